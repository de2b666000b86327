"""The ``paper_links`` table: a paper's code and dataset links (not reproduction links,
which are :mod:`kb.store.links`)."""

from __future__ import annotations

from typing import Any

from kb.models.record import PaperLink
from kb.store.rows import conn_of, rows

_SELECT = "SELECT paper_key AS key, kind, url, name, source, added_at FROM paper_links"


def add_link(db: Any, link: PaperLink) -> bool:
    """Add a link (True) or, when the paper has that URL already, update its name (False);
    a manual link is never downgraded to another source."""
    conn = conn_of(db)
    added = conn.execute(
        "INSERT OR IGNORE INTO paper_links (paper_key, kind, url, name, source, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [link.key, link.kind, link.url, link.name, link.source, link.added_at]).rowcount > 0
    if not added and link.name:
        conn.execute("UPDATE paper_links SET name = ? WHERE paper_key = ? AND kind = ? "
                     "AND url = ?", [link.name, link.key, link.kind, link.url])
    return added


def remove_link(db: Any, key: str, kind: str, url: str) -> bool:
    return conn_of(db).execute(
        "DELETE FROM paper_links WHERE paper_key = ? AND kind = ? AND url = ?",
        [key, kind, url]).rowcount > 0


def links_of(db: Any, key: str) -> list[PaperLink]:
    """A paper's links: code first, then datasets, each in the order added."""
    return [PaperLink(**r) for r in rows(
        db, f"{_SELECT} WHERE paper_key = ? ORDER BY kind, added_at, rowid", [key])]


def all_links(db: Any) -> list[PaperLink]:
    return [PaperLink(**r) for r in rows(db, f"{_SELECT} ORDER BY paper_key, kind, rowid")]
