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
    assert fts_query("multi-task") == '("multi task" OR "multitask")'
    assert fts_query('grad* "negative transfer"') == '"grad"* AND "negative transfer"'
    assert fts_query("a OR b") == '"a" OR "b"'
    assert fts_query("OR AND") is None
    assert fts_query('"unbalanced') == '"unbalanced"'
    assert fts_query("") is None
    assert fts_query("-word foo") == '("foo") NOT ("word")'
    assert fts_query("NOT foo bar") == '("bar") NOT ("foo")'
    assert fts_query("foo NOT bar") == '("foo") NOT ("bar")'
    assert fts_query("-only NOT exclusions") is None
    assert fts_query("a NEAR b") == 'NEAR("a" "b", 10)'
    assert fts_query('a NEAR/3 "b c"') == 'NEAR("a" "b c", 3)'
    assert fts_query('"multi ta"*') == '"multi ta"*'
    assert fts_query("doi:10.1145/3292500.3330989") == '"10 1145 3292500 3330989"'
    assert fts_query("arXiv:1705.07115") == '"1705 07115"'
    assert fts_query("Søgaard Łukasz Straße") == '"Sogaard" AND "lukasz" AND "Strasse"'
    assert fts_query("near not and or") == '"near" AND "not" AND "and" AND "or"'


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


def test_broad_queries_rank_every_match(tmp_kb):
    from kb.store.search import search_results

    put(tmp_kb, *[make_paper(arxiv_id=None, title=f"Paper number {i} on learning", year=2000 + i,
                             abstract="learning " * (i % 5))
                  for i in range(12)])
    full = search_results(tmp_kb.db, "learning", limit=3)
    ref = _fts5_sorter_ranking(tmp_kb.db, '"learning"')
    assert not full.capped
    assert [(h.key, round(h.score, 9)) for h in full.hits] == [
        (k, round(s, 9)) for k, s in ref[:3]]


def _random_store(kb, n: int = 120, seed: int = 5):
    import random

    rng = random.Random(seed)
    words = "multi task learning gradient conflict shared encoder loss weighting pareto".split()
    put(kb, *[
        make_paper(arxiv_id=None, title=f"Study {i} " + " ".join(rng.choices(words, k=5)),
                   abstract=" ".join(rng.choices(words, k=rng.randint(5, 40))),
                   authors=[Author(first="A", last=f"Author{i}")], year=2000 + i % 25)
        for i in range(n)
    ])


def _fts5_sorter_ranking(db, query: str, floor: int = -1) -> list[tuple[str, float]]:
    """The reference: FTS5's own ORDER BY rank over every match above ``floor``."""
    return [
        (key, score) for key, score in db.conn.execute(
            "SELECT p.key, papers_fts.rank FROM papers_fts JOIN papers p "
            "ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ? AND papers_fts.rowid > ? "
            "ORDER BY papers_fts.rank", [query, floor])
    ]


def test_phrases_rank_exactly_like_fts5(tmp_kb):
    from kb.store.search import search_results

    _random_store(tmp_kb)
    for text in ('"multi task"', "multi-task learning", '"gradient conflict" pareto',
                 '"shared encoder loss"', '"task multi"'):
        ref = _fts5_sorter_ranking(tmp_kb.db, fts_query(text, tmp_kb.conn))
        got = search_results(tmp_kb.db, text, limit=1000)
        assert not got.capped
        assert [round(h.score, 9) for h in got.hits] == [round(s, 9) for _, s in ref], text
        assert {h.key for h in got.hits} == {k for k, _ in ref}, text
        assert all("[" in h.snippet for h in got.hits), text


def test_search_takes_a_plain_connection(tmp_kb):
    """`mtlkb search` runs on a bare sqlite3 connection (no sqlite-utils import)."""
    import sqlite3

    _seed(tmp_kb)
    conn = sqlite3.connect(tmp_kb.db_path)
    try:
        for text in ("gradient conflict", '"negative transfer"', "surg*"):
            assert [h.key for h in search(conn, text)] == [h.key for h in search(tmp_kb.db, text)]
    finally:
        conn.close()


_VOCAB = "multi task learning gradient conflict shared encoder loss weighting pareto".split()
_PROPERTY_KB: dict = {}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.lists(st.sampled_from(_VOCAB), min_size=2, max_size=3).map(lambda ws: f'"{" ".join(ws)}"'),
    st.sampled_from(_VOCAB),
    st.sampled_from(["OR", "NOT", "AND"]),
), min_size=1, max_size=4).map(" ".join))
def test_any_phrase_query_ranks_like_fts5(text):
    """Whatever mix of phrases, words and operators: the same matches, scores and order."""
    import tempfile
    from pathlib import Path

    from kb.config import KB
    from kb.core.init import init_kb
    from kb.store.search import search_results

    kb = _PROPERTY_KB.get("kb")
    if kb is None:
        kb = _PROPERTY_KB["kb"] = KB(Path(tempfile.mkdtemp(prefix="mtlkb-search-")))
        init_kb(kb)
        _random_store(kb, n=80, seed=11)
    query = fts_query(text, kb.conn)
    if query is None:
        return
    try:
        ref = _fts5_sorter_ranking(kb.db, query)
    except Exception:  # FTS5 rejects it (e.g. a query that starts with NOT): ours must too
        ref = None
    try:
        got = search_results(kb.db, text, limit=1000)
    except Exception:
        assert ref is None, text
        return
    assert ref is not None, text
    assert [round(h.score, 9) for h in got.hits] == [round(s, 9) for _, s in ref], text
    assert {h.key for h in got.hits} == {k for k, _ in ref}, text
