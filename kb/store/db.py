"""Opening the SQLite store: WAL, busy timeout, foreign keys, migrations, transactions.

sqlite-utils is imported only by :func:`open_db`: a command that only reads a store whose
schema is current (``mtlkb search``) uses :func:`connect` and :func:`schema_is_current`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils import Migrations

BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536  # page cache per connection

# The migration set of kb/store/migrations.py and how many steps it has, so the schema can
# be checked without importing sqlite-utils. tests/test_startup.py keeps them in step.
MIGRATION_SET = "mtlkb"
SCHEMA_VERSION = 13


def writable(path: Path | str) -> bool:
    """Whether the store at ``path`` can be written: the file (if there) and its folder (the
    WAL and its -shm index live beside it). As root, only a read-only mount says no."""
    import os

    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    while not folder.exists() and folder.parent != folder:  # a KB folder made on first use
        folder = folder.parent
    return os.access(folder, os.W_OK) and (not p.exists() or os.access(p, os.W_OK))


def connect(path: Path | str, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the store at ``path`` (created if missing), not migrated.

    Busy timeout, WAL, foreign keys on, synchronous NORMAL; ``BEGIN`` before writes (the
    transaction handling sqlite-utils expects). ``read_only``: opened ``mode=ro``, falling
    back to ``immutable=1`` when SQLite cannot open the WAL's -shm (a folder nobody may write
    and no -shm left there): the store is then read as it is, with no locking.
    """
    if read_only:
        return _connect_read_only(Path(path))
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level="")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # SQLite's default 2 MiB page cache spills dirty pages to the WAL mid-transaction, and
    # an import then writes some pages many times (20,000 papers: 279 MB written, 153 MB
    # with 64 MiB). Memory is taken only as pages are used.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    from urllib.parse import quote

    if not path.exists():
        raise sqlite3.OperationalError(f"no store at {path} (and it cannot be created here)")
    uri = "file:" + quote(str(path.resolve()))
    last: sqlite3.Error | None = None
    for mode in ("?mode=ro", "?immutable=1"):
        conn = sqlite3.connect(uri + mode, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level="")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:  # "unable to open database file" (no -shm)
            conn.close()
            last = exc
            continue
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        return conn
    assert last is not None
    raise last


def schema_is_current(conn: sqlite3.Connection) -> bool:
    """Whether every migration has been applied (one read of sqlite-utils' ledger table)."""
    try:
        row = conn.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchone()
    except sqlite3.OperationalError:  # no ledger yet: a new store
        return False
    return row[0] == SCHEMA_VERSION


def open_db(path_or_conn: Path | str | sqlite3.Connection) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store at a path, or on a :func:`connect`."""
    import sqlite_utils

    from kb.store.migrations import migrations

    if isinstance(path_or_conn, sqlite3.Connection):
        conn = path_or_conn
    else:
        conn = connect(path_or_conn)
    db = sqlite_utils.Database(conn)
    apply_migrations(db, migrations)
    return db


def apply_migrations(db: sqlite_utils.Database, ms: Migrations) -> None:
    """Apply pending steps of ``ms`` under one write lock, then restore the FTS triggers.

    Foreign keys are switched off meanwhile (``transform()`` rebuilds tables that others
    reference with ON DELETE CASCADE) and checked before commit. ``transform()`` also drops
    FTS sync triggers, so the index is rebuilt after any step: no migration can forget it.
    """
    if not ms.pending(db):
        return
    from kb.store.migrations import ensure_fts

    db.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        # Serialise concurrent first opens: the whole migration run holds the write lock.
        with write_transaction(db):
            if not ms.pending(db):
                return
            ms.apply(db)
            ensure_fts(db)
            problems = db.conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"migration broke foreign keys: {problems[:5]}")
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")


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
