"""Full-text search over papers (FTS5, bm25 ranking) that accepts anything a person types."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

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


def search(db: sqlite_utils.Database, text: str, limit: int = 50) -> list[Hit]:
    """Papers matching ``text``, best first (bm25 with title and authors weighted up)."""
    return search_results(db, text, limit).hits


def search_results(
    db: sqlite_utils.Database, text: str, limit: int = 50, cap: int = RANK_CAP
) -> Results:
    """Like :func:`search`, and says whether the ranking was capped (see :data:`RANK_CAP`)."""
    query = fts_query(text)
    if query is None:
        return Results([], False)
    # Walking the match list by rowid is cheap (no ranking); it finds the cap's boundary.
    row = db.conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid DESC "
        "LIMIT 1 OFFSET ?",
        [query, cap],
    ).fetchone()
    floor = row[0] if row else None
    sql = (
        "SELECT p.key, papers_fts.rank, "
        "snippet(papers_fts, -1, '[', ']', '…', 12), p.title, p.year "
        "FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
        "WHERE papers_fts MATCH ? AND papers_fts.rowid > ? ORDER BY papers_fts.rank LIMIT ?"
    )
    cur = db.conn.execute(sql, [query, floor if floor is not None else -1, limit])
    return Results([Hit(*row) for row in cur], floor is not None)
