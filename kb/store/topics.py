"""The ``topics`` table: the taxonomy mirrored in the store, and the KB's own topics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kb.store.rows import conn_of, rows


def put_topics(db: Any, topics: Iterable[Any]) -> None:
    """Write topics' titles, parents and descriptions (``name``, ``title``, ``parent``,
    ``description`` attributes), creating those not there yet."""
    conn_of(db).executemany(
        "INSERT INTO topics (name, title, parent, description) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET title = excluded.title, parent = excluded.parent, "
        "description = excluded.description",
        [(t.name, t.title, t.parent, t.description) for t in topics],
    )


def stored_topics(db: Any) -> list[dict[str, Any]]:
    """Every topic row: ``{name, title, parent, description}``."""
    return rows(db, "SELECT name, title, parent, description FROM topics")
