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


@dataclass
class Hit:
    key: str
    score: float
    snippet: str


def search(db: sqlite_utils.Database, text: str, limit: int = 50) -> list[Hit]:
    """Papers matching ``text``, best first (bm25 with title and authors weighted up)."""
    query = fts_query(text)
    if query is None:
        return []
    sql = (
        "SELECT p.key, papers_fts.rank, "
        "snippet(papers_fts, -1, '[', ']', '…', 12) "
        "FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
        "WHERE papers_fts MATCH ? ORDER BY papers_fts.rank LIMIT ?"
    )
    return [Hit(k, s, snip) for k, s, snip in db.conn.execute(sql, [query, limit])]
