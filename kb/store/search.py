"""Full-text search over papers (FTS5, bm25 ranking) that accepts anything a person types."""

from __future__ import annotations

import heapq
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import sqlite_utils

# sqlite_utils is not imported here: `mtlkb search` runs on a plain connection.
Connectable = Union[sqlite3.Connection, "sqlite_utils.Database"]

# Column weights for bm25 (the FTS table's persistent rank, set by the migrations), in
# column order: title, abstract, authors, topics, note.
RANK = "bm25(10.0, 1.0, 5.0, 3.0, 1.0)"

_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"|(?P<word>[\w]+(?:[-\'.][\w]+)*\*?)', re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}


def fts_query(text: str) -> str | None:
    """Translate free text to a safe FTS5 query; ``None`` when nothing searchable is left.

    Words are quoted (so ``-``, ``:``, ``(`` never reach the FTS parser), hyphenated words
    become phrases (``multi-task`` -> ``"multi task"``), ``word*`` is a prefix search,
    ``"..."`` a phrase, and upper-case AND / OR / NOT between terms stay operators. An
    unbalanced quote is ignored.
    """
    parts: list[str] = []
    pending_op: str | None = None
    for m in _TOKEN.finditer(text.replace("\x00", "")):
        if m.group("phrase") is not None:
            words = re.findall(r"\w+", m.group("phrase"))
            if not words:
                continue
            term = '"' + " ".join(words) + '"'
        else:
            word = m.group("word")
            if word in _OPERATORS:
                if parts:
                    pending_op = word
                continue
            prefix = word.endswith("*")
            words = re.findall(r"\w+", word)
            if not words:
                continue
            term = '"' + " ".join(words) + '"' + ("*" if prefix else "")
        if parts and pending_op:
            parts.append(pending_op)
        pending_op = None
        parts.append(term)
    return " ".join(parts) or None


# Ranking costs about 1 µs per matching paper; past this many matches only the most recently
# added ones are ranked, which keeps a broad query ("learning") fast on a 100k-paper store.
RANK_CAP = 3000

_WEIGHTS = RANK[len("bm25("):-1]
_SCORED = (
    f"SELECT rowid, bm25(papers_fts, {_WEIGHTS}) FROM papers_fts WHERE papers_fts MATCH ? "
    "ORDER BY rowid DESC LIMIT ?"
)
_QUOTED = re.compile(r'"([^"]*)"')
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
    query = fts_query(text)
    if query is None or limit <= 0:
        return Results([], False)
    conn: sqlite3.Connection = getattr(db, "conn", db)
    if "*" in query or not any(" " in term for term in _QUOTED.findall(query)):
        return _ranked_by_fts5(conn, query, limit, cap)
    # A phrase: one pass over its matches, newest first, scoring as it goes and stopping at
    # the cap. Matching a phrase of two words found in every abstract walks both words'
    # position lists, and bm25 walks them again for the phrase's IDF; finding the cap's
    # boundary first (the other path) would be a third walk, and FTS5's sorter adds its own.
    scored = conn.execute(_SCORED, [query, cap + 1]).fetchall()
    capped = len(scored) > cap
    best = heapq.nsmallest(limit, scored[:cap], key=lambda r: (r[1], -r[0]))
    if not best:
        return Results([], capped)
    marks = ",".join("?" * len(best))
    # Seeking each hit by rowid is cheap for words and phrases (not for prefixes: FTS5
    # rebuilds a prefix's merged list on every seek, hence the other path).
    details = {
        row[0]: row[1:]
        for row in conn.execute(
            f"SELECT p.rowid, p.key, {_SNIPPET}, p.title, p.year FROM papers_fts "
            "JOIN papers p ON p.rowid = papers_fts.rowid "
            f"WHERE papers_fts MATCH ? AND papers_fts.rowid IN ({marks})",
            [query, *(r[0] for r in best)],
        )
    }
    hits = []
    for rowid, score in best:
        key, snip, title, year = details[rowid]
        hits.append(Hit(key, score, snip, title, year))
    return Results(hits, capped)


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
