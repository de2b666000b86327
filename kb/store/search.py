"""Full-text search over papers (FTS5, bm25 ranking) that accepts anything a person types."""

from __future__ import annotations

import heapq
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from kb.store.fts import RANK
from kb.store.pairs import pair_phrase

if TYPE_CHECKING:
    import sqlite_utils

# sqlite_utils is not imported here: `mtlkb search` runs on a plain connection.
Connectable = Union[sqlite3.Connection, "sqlite_utils.Database"]

_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"|(?P<word>[\w]+(?:[-\'.][\w]+)*\*?)', re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass
class _Term:
    words: list[str]
    prefix: bool
    op: str | None  # the operator written before this term, if any


def _terms(text: str) -> list[_Term]:
    terms: list[_Term] = []
    pending_op: str | None = None
    for m in _TOKEN.finditer(text.replace("\x00", "")):
        if m.group("phrase") is not None:
            words, prefix = re.findall(r"\w+", m.group("phrase")), False
        else:
            word = m.group("word")
            if word in _OPERATORS:
                if terms:
                    pending_op = word
                continue
            words, prefix = re.findall(r"\w+", word), word.endswith("*")
        if words:
            terms.append(_Term(words, prefix, pending_op if terms else None))
            pending_op = None
    return terms


def _render(terms: list[_Term], phrases: list[str]) -> str:
    parts: list[str] = []
    for term, phrase in zip(terms, phrases, strict=True):
        if term.op:
            parts.append(term.op)
        parts.append(phrase)
    return " ".join(parts)


def _word_phrase(term: _Term) -> str:
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


def fts_query(text: str) -> str | None:
    """Translate free text to a safe FTS5 query; ``None`` when nothing searchable is left.

    Words are quoted (so ``-``, ``:``, ``(`` never reach the FTS parser), hyphenated words
    become phrases (``multi-task`` -> ``"multi task"``), ``word*`` is a prefix search,
    ``"..."`` a phrase, and upper-case AND / OR / NOT between terms stay operators. An
    unbalanced quote is ignored.
    """
    terms = _terms(text)
    return _render(terms, [_word_phrase(t) for t in terms]) or None


def pair_query(text: str) -> str | None:
    """The FTS5 query for ``text`` with every phrase of two or more tokens written as its
    word pairs (see :mod:`kb.store.pairs`): same matches, same bm25, one short posting list
    per phrase. ``None`` when there is no such phrase, or one ends in a prefix
    (``multi-ta*`` has no pair token to stand for it)."""
    return _pair_query(_terms(text))


def _pair_query(terms: list[_Term]) -> str | None:
    phrases: list[str] = []
    paired = False
    for term in terms:
        if len(term.words) == 1 and _ASCII_WORD.fullmatch(term.words[0]):
            pairs = None  # one token for sure: no need to ask SQLite's tokenizer
        else:
            pairs = pair_phrase(" ".join(term.words))
        if pairs is not None and term.prefix:
            return None
        paired = paired or pairs is not None
        phrases.append(pairs or _word_phrase(term))
    return _render(terms, phrases) if paired else None


# Ranking costs about 1 µs per matching paper; past this many matches only the most recently
# added ones are ranked, which keeps a broad query ("learning") fast on a 100k-paper store.
RANK_CAP = 3000

_WEIGHTS = RANK[len("bm25("):-1]
_SCORED = (
    f"SELECT rowid, bm25(papers_fts, {_WEIGHTS}) FROM papers_fts WHERE papers_fts MATCH ? "
    "ORDER BY rowid DESC LIMIT ?"
)
_SNIPPET = "snippet(papers_fts, -1, '[', ']', '…', 12)"


@dataclass
class Hit:
    key: str
    score: float
    snippet: str
    title: str
    year: int | None


@dataclass
class Results:
    hits: list[Hit]
    capped: bool  # more than RANK_CAP papers matched: the newest RANK_CAP were ranked


def search(db: Connectable, text: str, limit: int = 50) -> list[Hit]:
    """Papers matching ``text``, best first (bm25 with title and authors weighted up)."""
    return search_results(db, text, limit).hits


def search_results(db: Connectable, text: str, limit: int = 50, cap: int = RANK_CAP) -> Results:
    """Like :func:`search`, and says whether the ranking was capped (see :data:`RANK_CAP`).

    ``db`` is a ``sqlite3.Connection`` or a sqlite-utils ``Database``.
    """
    terms = _terms(text)
    query = _render(terms, [_word_phrase(t) for t in terms])
    if not query or limit <= 0:
        return Results([], False)
    conn: sqlite3.Connection = getattr(db, "conn", db)
    pairs = _pair_query(terms)
    if pairs is None:
        return _ranked_by_fts5(conn, query, limit, cap)
    # A phrase, matched through its word pairs: one short posting list where the words'
    # position lists would be walked twice (match, then bm25's IDF). Scored in one pass,
    # newest first, stopping at the cap; FTS5's sorter would add its own cost.
    scored = conn.execute(_SCORED, [pairs, cap + 1]).fetchall()
    capped = len(scored) > cap
    best = heapq.nsmallest(limit, scored[:cap], key=lambda r: (r[1], -r[0]))
    if not best:
        return Results([], capped)
    details = _details(conn, query, [r[0] for r in best])
    hits = []
    for rowid, score in best:
        key, snip, title, year = details[rowid]
        hits.append(Hit(key, score, snip, title, year))
    return Results(hits, capped)


def _details(conn: sqlite3.Connection, query: str, rowids: list[int]) -> dict[int, tuple]:
    """Key, snippet, title and year of the papers ``rowids``, which all match ``query``.

    The snippet marks the words of ``query`` (the pairs are not text). Seeking each paper
    by rowid is cheap for words and phrases; a prefix's merged list would be rebuilt at
    every seek, so with a prefix the range of rowids is walked once instead.
    """
    marks = ",".join("?" * len(rowids))
    if "*" in query:
        where, args = f"papers_fts.rowid BETWEEN ? AND ? AND +papers_fts.rowid IN ({marks})", [
            min(rowids), max(rowids), *rowids]
    else:
        where, args = f"papers_fts.rowid IN ({marks})", list(rowids)
    details = {
        row[0]: row[1:]
        for row in conn.execute(
            f"SELECT p.rowid, p.key, {_SNIPPET}, p.title, p.year FROM papers_fts "
            f"JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ? AND {where}",
            [query, *args],
        )
    }
    if len(details) < len(rowids):  # not expected: the pairs are the words' own tokens
        for rowid, key, title, year in conn.execute(
            f"SELECT rowid, key, title, year FROM papers WHERE rowid IN ({marks})", rowids
        ):
            details.setdefault(rowid, (key, "", title, year))
    return details


def _ranked_by_fts5(conn: sqlite3.Connection, query: str, limit: int, cap: int) -> Results:
    """Rank with FTS5's sorter below the cap's boundary.

    For words and prefixes this beats scoring in Python: finding the boundary stops early
    for a broad query, and ranking in C is cheaper than fetching every scored row.
    """
    row = conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid DESC "
        "LIMIT 1 OFFSET ?",
        [query, cap],
    ).fetchone()
    floor = row[0] if row else None
    cur = conn.execute(
        f"SELECT p.key, papers_fts.rank, {_SNIPPET}, p.title, p.year "
        "FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
        "WHERE papers_fts MATCH ? AND papers_fts.rowid > ? ORDER BY papers_fts.rank LIMIT ?",
        [query, floor if floor is not None else -1, limit],
    )
    return Results([Hit(*r) for r in cur], floor is not None)
