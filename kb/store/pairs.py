"""Word-pair tokens: a phrase search walks one short posting list instead of two long ones.

FTS5 matches the phrase "multi task" by walking the position lists of both words over the
whole store, and bm25 walks them again for the phrase's IDF: on 100,000 abstracts where both
words are everywhere, ~10 ms. So each text column of ``papers_fts`` has a twin column
(``title_pairs`` ...) holding the column's consecutive token pairs, each pair one token. The
phrase "a b c" is then the pair phrase "ab bc" in the twins: same matches, and, because each
column has exactly as many pairs as tokens (the last token pairs with an empty end) and the
twins carry the same bm25 weights, the same bm25 score (FTS5 normalises by the whole row's
length, which doubles for every row alike).

Pairs are made of FTS5's own tokens (``porter`` over ``unicode61``): text is cut at ASCII
separators, which unicode61 always treats as separators, and each piece is tokenised by
SQLite itself through a private in-memory FTS5 table, with the answers cached. A pair token
starts and ends with a private-use character: unicode61 keeps it inside the token, a prefix
query of a word never reaches it, and the porter stemmer leaves a token ending in it alone.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading

TOKENIZE = "porter"  # the store's FTS5 tokenizer (porter stemming over unicode61)
MARK = "\ue000"  # private use (category Co): a token character to unicode61
FUNCTION = "mtlkb_pairs"  # the SQL function the FTS triggers call

# Pieces of text between ASCII separators; everything else unicode61 decides.
_PIECE = re.compile(r"[^\x00-/:-@\[-`{-\x7f]+")
_CACHE_LIMIT = 500_000


class Tokenizer:
    """FTS5's tokens for any text, from SQLite's own tokenizer (cached per piece of text)."""

    def __init__(self, tokenize: str = TOKENIZE) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{tokenize}')")
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._cache: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def tokens(self, text: str | None) -> list[str]:
        """The tokens FTS5 indexes for ``text``, in order."""
        if not text:
            return []
        pieces = _PIECE.findall(text)
        cache = self._cache
        missing = [p for p in dict.fromkeys(pieces) if p not in cache]
        if missing:
            self._learn(missing)
        out: list[str] = []
        for piece in pieces:
            out.extend(cache[piece])
        return out

    def _learn(self, pieces: list[str]) -> None:
        with self._lock:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            conn = self._conn
            with conn:
                conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(pieces))
                found: dict[int, list[tuple[int, str]]] = {}
                for doc, offset, term in conn.execute("SELECT doc, offset, term FROM v"):
                    found.setdefault(doc, []).append((offset, term))
                conn.execute("DELETE FROM t")
            for i, piece in enumerate(pieces):
                self._cache[piece] = tuple(term for _, term in sorted(found.get(i, ())))


_tokenizer: Tokenizer | None = None


def tokenizer() -> Tokenizer:
    """The process's tokenizer (created on first use)."""
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = Tokenizer()
    return _tokenizer


def pair(a: str, b: str) -> str:
    """The single token standing for token ``a`` followed by token ``b``."""
    return f"{MARK}{a}{MARK}{b}{MARK}"


def pair_text(text: str | None) -> str:
    """The twin column's text for ``text``: one pair token per token, the last with ``""``."""
    toks = tokenizer().tokens(text)
    if not toks:
        return ""
    toks.append("")
    return " ".join(pair(a, b) for a, b in itertools.pairwise(toks))


def pair_phrase(text: str) -> str | None:
    """The pair phrase (FTS5 syntax, quoted) matching the phrase ``text``; ``None`` when
    ``text`` has fewer than two tokens (a word needs no pairs)."""
    toks = tokenizer().tokens(text)
    if len(toks) < 2:
        return None
    return '"' + " ".join(pair(a, b) for a, b in itertools.pairwise(toks)) + '"'


def register(conn: sqlite3.Connection) -> None:
    """Make :func:`pair_text` callable from SQL on ``conn`` (the FTS triggers need it)."""
    try:  # already there? (registering again fails while a statement is active)
        conn.execute(f"SELECT {FUNCTION}('')").fetchone()
    except sqlite3.OperationalError:
        conn.create_function(FUNCTION, 1, pair_text, deterministic=True)
