"""The KB folder: where it is, what it holds, and the open store.

A KB is found from an explicit path, else ``$MTLKB_HOME``, else the nearest folder upward
holding ``mtlkb.toml``, else the current folder. Pass the :class:`KB` object around instead
of reading global state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils

CONFIG_NAME = "mtlkb.toml"
DB_NAME = "mtlkb.db"


class KBError(Exception):
    """A user-facing error: the message is printed as one line, no traceback."""


class KB:
    """One knowledge-base folder and its SQLite store (opened lazily)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"KB({str(self.root)!r})"

    @classmethod
    def find(cls, explicit: Path | str | None = None, cwd: Path | None = None) -> KB:
        """Locate the KB: ``explicit``, ``$MTLKB_HOME``, ``mtlkb.toml`` upward, or the cwd."""
        if explicit:
            return cls(Path(explicit).expanduser())
        env = os.environ.get("MTLKB_HOME")
        if env:
            return cls(Path(env).expanduser())
        start = (cwd or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls(folder)
        return cls(start)

    # -- paths ---------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        """``path`` relative to the KB root when inside it (as stored and shown)."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def notes_dir(self) -> Path:
        return self.root / "notes"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def mkdocs_path(self) -> Path:
        return self.root / "mkdocs.yml"

    @cached_property
    def settings(self) -> dict[str, Any]:
        """Parsed ``mtlkb.toml`` (empty when absent)."""
        if not self.config_path.is_file():
            return {}
        import tomllib

        try:
            return tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KBError(f"{self.config_path}: not valid TOML ({exc})") from None

    # -- store ---------------------------------------------------------------------------
    @property
    def has_store(self) -> bool:
        """Whether the store is open or exists on disk (reading a folder without one reads
        nothing and creates nothing)."""
        return "conn" in self.__dict__ or self.db_path.is_file()

    @cached_property
    def conn(self) -> sqlite3.Connection:
        """A plain ``sqlite3`` connection to the migrated store (created on first use).

        Cheap when the schema is current: no sqlite-utils, no migration code. Otherwise the
        store is migrated on this connection first. :attr:`db` wraps this same connection.
        """
        import sqlite3

        from kb.store.db import connect, open_db, schema_is_current
        from kb.store.fts import keep_in_step

        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
        conn = None
        try:
            if self.read_only:
                # Read as it is: no migration, no index repair, no catch-up (nothing can be
                # written); a store from an older mtlkb needs one writable open first.
                conn = connect(self.db_path, read_only=True)
                if not schema_is_current(conn):
                    raise KBError(f"{self.db_path}: read-only, and its schema is not the "
                                  "current one (open it once where it can be written)")
                return conn
            conn = connect(self.db_path)
            if not schema_is_current(conn):
                open_db(conn)
            else:  # a tool may have dropped the index's triggers or written links
                keep_in_step(conn)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.DatabaseError) and "locked" not in str(exc):
                raise KBError(f"{self.db_path}: not a usable mtlkb store ({exc})") from None
            raise
        return conn

    @cached_property
    def read_only(self) -> bool:
        """Whether the store cannot be written here (``MTLKB_READ_ONLY=1`` forces it)."""
        from kb.store.db import writable

        return os.environ.get("MTLKB_READ_ONLY") == "1" or not writable(self.db_path)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The migrated store as a sqlite-utils ``Database`` (created on first use)."""
        from kb.store.db import open_db

        return open_db(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on exit, rolled back on error."""
        from kb.store.db import write_transaction
        from kb.store.fts import catch_up

        if self.read_only:
            raise KBError(f"{self.root}: the knowledge base is read-only here (nothing was "
                          "changed)")
        with write_transaction(self.db) as db:
            yield db
            catch_up(db.conn)  # texts of papers whose topic or author links changed

    def close(self) -> None:
        """Close the store's connection (reopened on next use)."""
        self.__dict__.pop("db", None)
        conn = self.__dict__.pop("conn", None)
        if conn is not None:
            conn.close()
