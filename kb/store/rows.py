"""The one row -> dict path of the store (every module reads rows through it).

Nothing here imports sqlite-utils: these take a plain ``sqlite3`` connection, or a
sqlite-utils ``Database`` (its ``.conn`` is used).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

# Keys per ``IN (...)`` list: below SQLite's old limit of 999 bound variables.
CHUNK = 900


def conn_of(db: Any) -> sqlite3.Connection:
    """The ``sqlite3`` connection of a connection or a sqlite-utils ``Database``."""
    return db if isinstance(db, sqlite3.Connection) else db.conn


def rows(db: Any, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Every row of ``sql`` as a dict of column -> value."""
    cur = conn_of(db).execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def first(db: Any, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
    """The first row of ``sql`` as a dict, or None."""
    found = rows(db, sql, params)
    return found[0] if found else None


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def marks(n: int) -> str:
    """``?, ?, ...`` for an ``IN`` list of ``n`` values."""
    return ",".join("?" * n)
