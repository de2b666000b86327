"""The SQLite store: connection, migrations, papers, search."""

import sys

_OPTIONAL = ("pandas", "numpy")


def _import_sqlite_utils_lean() -> None:
    # sqlite-utils imports pandas and numpy (0.3-0.4 s together) whenever they are installed,
    # only to convert their values, which we never store; hide them during that one import
    # so every command starts faster. They import normally afterwards.
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in _OPTIONAL if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


_import_sqlite_utils_lean()
