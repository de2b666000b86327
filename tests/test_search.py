"""Search accepts anything a person types, ranks with bm25, supports prefixes."""

from hypothesis import given, settings
from hypothesis import strategies as st
from kbtest import make_paper, put

from kb.models import Author
from kb.store.search import fts_query, search


def _seed(kb):
    put(
        kb,
        make_paper(),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020,
                   abstract="We identify conflicting gradients as a cause of negative transfer."),
        make_paper(arxiv_id="2110.14048", title="Conflict-Averse Gradient Descent",
                   authors=[Author(first="Bo", last="Liu")], year=2021,
                   abstract="Gradient conflict slows multi-task optimisation; CAGrad averts it."),
    )


def test_query_translation():
    assert fts_query("multi-task") == '"multi task"'
    assert fts_query('grad* "negative transfer"') == '"grad"* "negative transfer"'
    assert fts_query("a OR b") == '"a" OR "b"'
    assert fts_query("OR AND") is None
    assert fts_query('"unbalanced') == '"unbalanced"'
    assert fts_query("") is None


def test_ranking_prefers_title_matches(tmp_kb):
    _seed(tmp_kb)
    keys = [h.key for h in search(tmp_kb.db, "gradient conflict")]
    assert keys[0] == "liu2021conflict"
    assert set(keys) == {"liu2021conflict", "yu2020gradient"}


def test_prefix_phrase_author_and_stemming(tmp_kb):
    _seed(tmp_kb)
    assert {h.key for h in search(tmp_kb.db, "surg*")} == {"yu2020gradient"}
    assert {h.key for h in search(tmp_kb.db, '"negative transfer"')} == {"yu2020gradient"}
    assert {h.key for h in search(tmp_kb.db, "Ruder")} == {"ruder2017overview"}
    assert {h.key for h in search(tmp_kb.db, "conflicts")} == {"liu2021conflict", "yu2020gradient"}
    assert len(search(tmp_kb.db, "multi-task")) == 3


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_input_is_accepted(text):
    from kb.store.db import open_db

    db = _DB.get("db")
    if db is None:
        db = _DB["db"] = open_db(":memory:")
    search(db, text)


_DB: dict = {}


def test_broad_queries_rank_only_the_newest_matches(tmp_kb):
    from kb.store.search import search_results

    put(tmp_kb, *[make_paper(arxiv_id=None, title=f"Paper number {i} on learning", year=2000 + i)
                  for i in range(12)])
    full = search_results(tmp_kb.db, "learning", limit=50)
    assert not full.capped and len(full.hits) == 12
    capped = search_results(tmp_kb.db, "learning", limit=50, cap=5)
    assert capped.capped
    assert {h.key for h in capped.hits} == {f"ruder{2000 + i}paper" for i in range(7, 12)}
