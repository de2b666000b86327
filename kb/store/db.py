"""Opening the SQLite store: WAL, busy timeout, foreign keys, migrations, transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 60_000


def open_db(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store at ``path``."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level="")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    db = sqlite_utils.Database(conn)
    from kb.store.migrations import migrations

    if migrations.pending(db):
        # Serialise concurrent first opens: the whole migration run holds the write lock.
        with write_transaction(db):
            migrations.apply(db)
    return db


def _retry_locked(fn, attempts: int = 200):
    for _ in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.05)
    return fn()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """``BEGIN IMMEDIATE`` so a writer waits for the lock up front instead of failing later.

    A deferred transaction that reads first and then writes cannot wait on the busy handler
    in WAL mode ("database is locked"); taking the write lock at BEGIN avoids that. Nested
    use becomes a savepoint.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
