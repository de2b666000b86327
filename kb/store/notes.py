"""Reading status from the ``notes`` table, as :class:`~kb.models.note.NoteStatus`.

The index itself is written by :mod:`kb.store.note_index` (kept light for every command).
"""

from __future__ import annotations

import json
from typing import Any

from kb.models.note import FutureRef, NoteStatus, NoteWarning
from kb.store.rows import conn_of, first, rows


def _loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def future_refs(items: Any) -> list[FutureRef]:
    """Future-reading refs as parsed (``{kind, ref, line}``), the malformed left out."""
    return [FutureRef(kind=r.get("kind"), ref=str(r["ref"]),
                      line=r.get("line") if isinstance(r.get("line"), int) else None)
            for r in items or [] if isinstance(r, dict) and r.get("ref")]


def note_warnings(items: Any) -> list[NoteWarning]:
    return [NoteWarning(line=w[0], message=str(w[1])) for w in items or []
            if isinstance(w, list | tuple) and len(w) == 2 and isinstance(w[0], int)]


def status_from_row(row: dict[str, Any], title: str | None = None) -> NoteStatus:
    header = _loads(row.get("header"), None)
    return NoteStatus(
        key=row["paper_key"], path=row["path"], title=title,
        header=header if isinstance(header, dict) else None,
        answered=row.get("answered") or 0, questions=row.get("questions") or 0,
        read_on=row.get("read_on") or None, minutes=row.get("minutes"),
        topics=[str(t) for t in _loads(row.get("topics"), []) or []],
        future=future_refs(_loads(row.get("future"), [])),
        warnings=note_warnings(_loads(row.get("warnings"), [])),
    )


def note_row(db: Any, key: str) -> dict[str, Any] | None:
    """The raw ``notes`` row of a paper (its mtime, size and template say if it is current)."""
    return first(db, "SELECT * FROM notes WHERE paper_key = ?", [key])


def indexed_statuses(db: Any) -> list[NoteStatus]:
    """Every indexed note whose paper is in the store, by key, with the paper's title."""
    return [status_from_row(r, r["paper_title"]) for r in rows(
        db, "SELECT n.*, p.title AS paper_title FROM notes n JOIN papers p "
        "ON p.key = n.paper_key ORDER BY n.paper_key")]


def futures(db: Any) -> list[tuple[str, list[FutureRef]]]:
    """``(key, future refs)`` of every indexed note, by key."""
    return [(key, future_refs(_loads(text, []))) for key, text in conn_of(db).execute(
        "SELECT paper_key, future FROM notes ORDER BY paper_key")]


def paper_topics(db: Any) -> dict[str, set[str]]:
    """Paper key -> its topics (the store's tags, not the note's Topic(s) line)."""
    out: dict[str, set[str]] = {}
    for key, topic in conn_of(db).execute("SELECT paper_key, topic FROM paper_topics"):
        out.setdefault(key, set()).add(topic)
    return out
