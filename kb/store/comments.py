"""The ``comments`` table: a paper's threaded discussion. Writers take the connection of an
open write transaction; input is checked in :mod:`kb.core.comments`."""

from __future__ import annotations

from typing import Any

from kb.models.record import Comment
from kb.store.rows import conn_of, rows

_SELECT = ("SELECT id, paper_key AS key, parent_id, author, body, created_at, edited_at "
           "FROM comments")


def add_comment(db: Any, key: str, author: str, body: str, created_at: str,
                parent_id: int | None = None, edited_at: str | None = None) -> Comment:
    cur = conn_of(db).execute(
        "INSERT INTO comments (paper_key, parent_id, author, body, created_at, edited_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", [key, parent_id, author, body, created_at, edited_at])
    return Comment(id=cur.lastrowid, key=key, parent_id=parent_id, author=author, body=body,
                   created_at=created_at, edited_at=edited_at)


def get_comment(db: Any, comment_id: int) -> Comment | None:
    found = rows(db, f"{_SELECT} WHERE id = ?", [comment_id])
    return Comment(**found[0]) if found else None


def edit_comment(db: Any, comment_id: int, body: str, edited_at: str) -> None:
    conn_of(db).execute("UPDATE comments SET body = ?, edited_at = ? WHERE id = ?",
                        [body, edited_at, comment_id])


def delete_comment(db: Any, comment_id: int) -> int:
    """Delete a comment and (by cascade) its replies; returns how many rows went."""
    conn = conn_of(db)
    before = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
    conn.execute("DELETE FROM comments WHERE id = ?", [comment_id])
    return before - conn.execute("SELECT count(*) FROM comments").fetchone()[0]


def comments_of(db: Any, key: str) -> list[Comment]:
    """A paper's comments, flat, oldest first."""
    return [Comment(**r) for r in rows(
        db, f"{_SELECT} WHERE paper_key = ? ORDER BY created_at, id", [key])]


def all_comments(db: Any) -> list[Comment]:
    """Every comment, parents before their replies (ids grow with insertion)."""
    return [Comment(**r) for r in rows(db, f"{_SELECT} ORDER BY id")]


def count_by_paper(db: Any) -> dict[str, int]:
    return {k: n for k, n in conn_of(db).execute(
        "SELECT paper_key, count(*) FROM comments GROUP BY paper_key")}


def find_comment(db: Any, key: str, author: str, body: str, created_at: str,
                 parent_id: int | None) -> int | None:
    """The id of an identical comment (same paper, author, text, time and parent)."""
    row = conn_of(db).execute(
        "SELECT id FROM comments WHERE paper_key = ? AND author = ? AND body = ? "
        "AND created_at = ? AND parent_id IS ?",
        [key, author, body, created_at, parent_id]).fetchone()
    return row[0] if row else None
