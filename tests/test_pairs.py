"""Word pairs (kb/store/pairs.py): FTS5's own tokens. (The index no longer holds pairs since
schema 8; its tests are in tests/test_store_fts.py.)"""

import itertools
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.store.pairs import MARK, TOKENIZE_ARG, Tokenizer, pair, pair_text

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
