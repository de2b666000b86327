"""The ``notes`` table as the note index keeps it (on every command's path: plain
``sqlite3``, no models). Status reads are in :mod:`kb.store.notes`."""

from __future__ import annotations

from typing import Any

from kb.store.rows import conn_of

# What a sync compares with the file on disk: key -> (mtime_ns, size, template, path, warnings)
Indexed = dict[str, tuple[Any, ...]]


def indexed(db: Any) -> Indexed:
    return {r[0]: r[1:] for r in conn_of(db).execute(
        "SELECT paper_key, mtime_ns, size, template, path, warnings FROM notes")}


def put_note_rows(db: Any, gone: list[str], parsed: list[tuple[dict[str, Any], str]]) -> None:
    """Drop the rows of notes whose file is ``gone``; write ``(row, text)`` of re-read ones
    (``text`` becomes ``papers.note_text``, which the search index covers). Call inside a
    write transaction; a row whose paper is no longer in the store is skipped."""
    conn = conn_of(db)
    for key in gone:
        conn.execute("DELETE FROM notes WHERE paper_key = ?", [key])
        conn.execute("UPDATE papers SET note_text = '' WHERE key = ? AND note_text != ''", [key])
    for row, text in parsed:
        if conn.execute("SELECT 1 FROM papers WHERE key = ?", [row["paper_key"]]).fetchone() \
                is None:
            continue
        cols = ", ".join(row)
        conn.execute(f"INSERT OR REPLACE INTO notes ({cols}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
        conn.execute("UPDATE papers SET note_text = ? WHERE key = ? AND note_text IS NOT ?",
                     [text, row["paper_key"], text])
