"""Word pairs (kb/store/pairs.py, kb/store/fts.py): FTS5's own tokens, an index that stays in
step with papers, and phrase searches that match and score exactly like FTS5's phrases."""

import itertools
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from kbtest import make_paper, put

from kb.config import KB
from kb.init import init_kb
from kb.models import Author
from kb.store.fts import index_differences
from kb.store.pairs import MARK, TOKENIZE_ARG, Tokenizer, pair, pair_text
from kb.store.search import fts_query, pair_query, search_results

# Letters, digits and separators from several scripts, accents both precomposed and
# combining, typographic punctuation, superscripts, ligatures, CJK, emoji.
_ALPHABET = (
    "abcdefgxyzABCXYZ0123456789 -_'.,;:/()[]{}*\"\t\n"
    "éèüñçßøÆœﬁ²³½ΩαβγДжщ你好世界ق\u0301\u0308\u00a0\u2009\u2019\u2014\u2013…•😀"
)
_texts = st.text(alphabet=_ALPHABET, max_size=80)
_WORDS = ["learning", "multi", "task", "naïve", "Müller", "gradients", "conflicting", "x²",
          "ﬁne", "straße", "e\u0301te", "你好", "Pareto-optimal", "don’t", "MTL", "tasks"]


def _fts5_tokens(conn: sqlite3.Connection, text: str) -> list[str]:
    conn.execute("DELETE FROM t")
    conn.execute("INSERT INTO t(rowid, x) VALUES (1, ?)", [text])
    return [term for term, in conn.execute("SELECT term FROM v ORDER BY offset")]


def _reference() -> sqlite3.Connection:
    """A reference FTS5 table, filled by hand, to read the tokens SQLite makes."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, {TOKENIZE_ARG})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    return conn


_TOKENIZER = Tokenizer()
_REF = _reference()


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_tokens_are_fts5s_own(text):
    assert _TOKENIZER.tokens(text) == _fts5_tokens(_REF, text)


def test_tokens_of_known_words():
    assert _TOKENIZER.tokens("Multi-Task learning's gradients") == [
        "multi", "task", "learn", "s", "gradient"]
    assert _TOKENIZER.tokens("") == [] and _TOKENIZER.tokens(None) == []
    text = " ".join(_WORDS)
    assert _TOKENIZER.tokens(text) == _fts5_tokens(_REF, text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=12), min_size=2, max_size=2))
def test_a_pair_is_one_token_that_fts5_leaves_alone(words):
    toks = _TOKENIZER.tokens(" ".join(words))
    for a, b in itertools.pairwise([*toks, ""]):
        assert _fts5_tokens(_REF, pair(a, b)) == [pair(a, b)]


def test_a_column_has_as_many_pairs_as_tokens():
    text = "Gradient surgery for multi-task learning"
    pairs = pair_text(text).split(" ")
    assert len(pairs) == len(_TOKENIZER.tokens(text)) == 6
    assert pairs[0] == f"{MARK}gradient{MARK}surgeri{MARK}"
    assert pairs[-1] == f"{MARK}learn{MARK}{MARK}"
    assert pair_text("") == "" and pair_text(None) == ""


def test_pair_query_rewrites_only_phrases():
    assert pair_query("gradient conflict") is None  # words: nothing to pair
    assert pair_query('multi-ta*') is None  # a prefix phrase has no pair token
    assert pair_query('"a"') is None
    q = pair_query('multi-task OR "shared encoder loss" NOT pareto grad*')
    assert q == (f'"{MARK}multi{MARK}task{MARK}" OR '
                 f'"{MARK}share{MARK}encod{MARK} {MARK}encod{MARK}loss{MARK}" '
                 'NOT "pareto" "grad"*')


def test_index_stays_in_step_with_every_change(tmp_kb):
    put(tmp_kb, make_paper(), make_paper(arxiv_id="2001.06782",
                                         title="Gradient Surgery for Multi-Task Learning"))
    db = tmp_kb.db
    assert index_differences(db.conn) == []
    with tmp_kb.write() as w:
        w.execute("UPDATE papers SET note_text = 'naïve Pareto-optimal weighting' "
                  "WHERE key = 'ruder2017overview'")
        w.execute("UPDATE papers SET year = 1999")  # not indexed: the trigger stays quiet
        w.execute("UPDATE papers SET key = 'renamed' WHERE key = 'ruder2017overview'")
    assert index_differences(db.conn) == []
    assert [h.key for h in search_results(db, '"pareto optimal"').hits] == ["renamed"]
    put(tmp_kb, make_paper(key="again", title="An overview of multi-task learning in deep "
                           "neural networks", abstract="A new abstract about task routing"))
    assert index_differences(db.conn) == []
    with tmp_kb.write() as w:
        w.execute("DELETE FROM papers WHERE key = 'renamed'")
    assert index_differences(db.conn) == []
    assert search_results(db, '"task routing"').hits == []
    assert [h.key for h in search_results(db, '"gradient surgery"').hits]


def test_a_store_from_before_the_pairs_is_upgraded(tmp_path):
    """A store at schema 6 (sqlite-utils' five-column FTS) gains the pairs when opened."""
    kb = KB(tmp_path / "old")
    init_kb(kb)
    put(kb, make_paper())
    conn = kb.db.conn
    with kb.write() as db:
        for trig in ("papers_ai", "papers_ad", "papers_au"):
            db.execute(f"DROP TRIGGER {trig}")
        db.execute("DROP TABLE papers_fts")
        db.execute("DROP VIEW papers_fts_content")
        db["papers"].enable_fts(["title", "abstract", "authors_text", "topics_text",
                                 "note_text"], create_triggers=True, tokenize="porter")
        db.execute("DELETE FROM _sqlite_migrations WHERE name LIKE 'm007%'")
    kb.close()
    del conn
    kb = KB(tmp_path / "old")
    try:
        hits = search_results(kb.db, "multi-task learning").hits
        assert [h.key for h in hits] == ["ruder2017overview"]
        cols = [r[1] for r in kb.db.conn.execute("PRAGMA table_info(papers_fts)")]
        assert "abstract_pairs" in cols
        assert index_differences(kb.db.conn) == []
    finally:
        kb.close()


_KB: dict = {}


def _rich_kb() -> KB:
    """Papers written in the rich alphabet, where tokenising by hand would go wrong."""
    kb = _KB.get("kb")
    if kb is None:
        import random

        rng = random.Random(3)
        kb = _KB["kb"] = KB(Path(tempfile.mkdtemp(prefix="mtlkb-pairs-")))
        init_kb(kb)
        seps = [" ", " ", " ", "-", "’", "\u00a0", "—", ", ", "'s "]
        papers = []
        for i in range(60):
            words = rng.choices(_WORDS, k=rng.randint(4, 30))
            text = "".join(w + rng.choice(seps) for w in words)
            papers.append(make_paper(arxiv_id=None, title=f"Paper {i} " + text[:60],
                                     abstract=text, authors=[Author(first="A", last=f"B{i}")],
                                     year=2000 + i % 20))
        put(kb, *papers)
    return kb


def _fts5_ranking(db, query: str) -> list[tuple[str, float]]:
    return list(db.conn.execute(
        "SELECT p.key, papers_fts.rank FROM papers_fts JOIN papers p ON p.rowid = "
        "papers_fts.rowid WHERE papers_fts MATCH ? ORDER BY papers_fts.rank", [query]))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3),
       st.sampled_from(['"{}"', "{}", '"{}" learning', 'tasks OR "{}"', '"{}" NOT x²']))
def test_phrases_of_any_script_rank_exactly_like_fts5(words, shape):
    """The pairs are the words' own tokens: same matches, scores and order as FTS5's phrase."""
    kb = _rich_kb()
    text = shape.format(" ".join(words))
    query = fts_query(text)
    try:
        ref = _fts5_ranking(kb.db, query)
    except sqlite3.OperationalError:
        return
    got = search_results(kb.db, text, limit=1000)
    assert [round(h.score, 9) for h in got.hits] == [round(s, 9) for _, s in ref], text
    assert {h.key for h in got.hits} == {k for k, _ in ref}, text
    assert all(h.snippet for h in got.hits), text


def test_a_query_of_plain_words_never_starts_the_tokenizer(monkeypatch):
    """`mtlkb search word` pays nothing for the pairs (the tokenizer costs ~1 ms to start)."""
    import kb.store.pairs as pairs

    monkeypatch.setattr(pairs, "_tokenizer", None)
    assert pair_query("gradient OR conflict2 NOT surg*") is None
    assert pairs._tokenizer is None
    assert pair_query("naïve Bayes") is None  # non-ASCII: asked, and still one token each
    assert pairs._tokenizer is not None


def test_a_migration_that_transforms_papers_keeps_the_index(tmp_kb):
    """transform() rebuilds papers (the content view and triggers refer to it by name)."""
    from sqlite_utils import Migrations

    from kb.store.db import apply_migrations

    put(tmp_kb, make_paper())
    db = tmp_kb.db
    steps = Migrations("test-transform")

    @steps()
    def m001_month_as_text(db):
        db["papers"].transform(types={"month": str})

    apply_migrations(db, steps)
    assert [h.key for h in search_results(db, "multi-task learning").hits] == [
        "ruder2017overview"]
    assert index_differences(db.conn) == []
    put(tmp_kb, make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task"))
    assert index_differences(db.conn) == []
    assert len(search_results(db, "multi-task").hits) == 2
