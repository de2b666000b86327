"""Word-pair tokens: a phrase search walks one short posting list instead of two long ones.

No longer used by the FTS index (schema 8 made it plain FTS5, which any tool can keep in
step; see :mod:`kb.store.fts`). Kept for its tokenizer (FTS5's own tokens, tested) until
PaperWriter's call of :meth:`Tokenizer.prepare` is gone; the description below is of the
schema-7 design.

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
starts, splits and ends with the control character U+0001, which the tokenizer is told is a
token character (``tokenchars``) and which no title or abstract holds: a prefix query of a
word never reaches a pair, and the porter stemmer leaves a token ending in it alone. (A
private-use character would serve too, but every string holding one is stored two bytes a
character in Python and takes FTS5's slow path for non-ASCII text: a third more work to
index the pairs.)
"""

from __future__ import annotations

import itertools
import operator
import re
import sqlite3
import threading
from collections.abc import Iterable

MARK = "\x01"  # starts, splits and ends a pair token
# The store's FTS5 tokenizer: porter stemming over unicode61, MARK a token character.
TOKENIZE = f"porter unicode61 tokenchars '{MARK}'"
TOKENIZE_ARG = "tokenize = '" + TOKENIZE.replace("'", "''") + "'"  # for CREATE VIRTUAL TABLE
FUNCTION = "mtlkb_pairs"  # the SQL function the FTS triggers call

# Pieces of text between ASCII separators (all but MARK); everything else unicode61 decides.
_PIECE = re.compile(r"[^\x00\x02-/:-@\[-`{-\x7f]+")
_CACHE_LIMIT = 500_000  # pieces
_MEMO_LIMIT = 4096  # texts (a batch of the writer is 500 papers of 5 texts)


class Tokenizer:
    """FTS5's tokens for any text, from SQLite's own tokenizer (cached per piece of text),
    and the twin column's pair text (remembered for the texts last written)."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, {TOKENIZE_ARG})")
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._cache: dict[str, tuple[str, ...]] = {}
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def tokens(self, text: str | None) -> list[str]:
        """The tokens FTS5 indexes for ``text``, in order."""
        return self._tokens(_PIECE.findall(text)) if text else []

    def pairs(self, text: str | None) -> str:
        """The twin column's text for ``text``: one pair token per token, the last token
        paired with ``""`` (so a column has as many pairs as tokens)."""
        if not text:
            return ""
        memo = self._memo
        done = memo.get(text)
        if done is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            done = memo[text] = self._pair_text(self.tokens(text))
        return done

    def prepare(self, texts: Iterable[str | None]) -> None:
        """Nothing, since schema 8: the FTS index holds no pairs, so no write needs them.
        (PaperWriter still calls it before each batch; the call can go. The former body,
        which worked out the pairs of a batch in one round trip, is :meth:`learn_batch`.)"""

    def learn_batch(self, texts: Iterable[str | None]) -> None:
        """Work out the pair texts of ``texts`` ahead, learning all their new pieces in one
        round trip to SQLite (one piece at a time costs ~50 µs; in a batch, ~5 µs)."""
        memo, cache = self._memo, self._cache
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        unknown: list[tuple[str, list[str]]] = []
        for text in texts:
            if not text or text in memo:
                continue
            pieces = _PIECE.findall(text)
            try:
                toks = [tok for piece in pieces for tok in cache[piece]]
            except KeyError:  # a piece never seen: learnt below, with all the others
                unknown.append((text, pieces))
                continue
            memo[text] = self._pair_text(toks)
        if unknown:
            self._learn([piece for _, pieces in unknown for piece in pieces])
            for text, pieces in unknown:
                memo[text] = self._pair_text(self._tokens(pieces))

    def _tokens(self, pieces: list[str]) -> list[str]:
        cache = self._cache
        out: list[str] = []
        for piece in pieces:
            toks = cache.get(piece)
            if toks is None:
                toks = self._learn(pieces)[piece]
            out += toks
        return out

    @staticmethod
    def _pair_text(toks: list[str]) -> str:
        if not toks:
            return ""
        heads = [MARK + a + MARK for a in toks]
        toks.append("")
        # pair(a, b) is head(a) + b + MARK; the MARKs go into the separator (C-speed joins:
        # the FTS triggers need this for every indexed column of every row written)
        return (MARK + " ").join(map(operator.add, heads, toks[1:])) + MARK

    def _learn(self, pieces: list[str]) -> dict[str, tuple[str, ...]]:
        """Tokenise ``pieces`` through SQLite; returns the cache, which now has them all."""
        with self._lock:
            cache = self._cache
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            new = [p for p in dict.fromkeys(pieces) if p not in cache]
            conn = self._conn
            with conn:
                conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(new))
                found: dict[int, list[tuple[int, str]]] = {}
                for doc, offset, term in conn.execute("SELECT doc, offset, term FROM v"):
                    found.setdefault(doc, []).append((offset, term))
                conn.execute("DELETE FROM t")
            for i, piece in enumerate(new):
                cache[piece] = tuple(term for _, term in sorted(found.get(i, ())))
            return cache


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
    """The twin column's text for ``text`` (see :meth:`Tokenizer.pairs`)."""
    return tokenizer().pairs(text)


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
