"""The SQLite store: connection, migrations, papers, the FTS index and its word pairs, search.

Importing this package imports nothing heavy: ``mtlkb search`` reads the store through a
plain ``sqlite3`` connection (:func:`kb.store.db.connect`) and never loads sqlite-utils.
The modules that build on sqlite-utils import it themselves; the finder installed here makes
that import lean wherever it happens first (see :class:`_LeanSqliteUtilsFinder`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

_OPTIONAL = ("pandas", "numpy")


class _LeanLoader:
    """Wraps sqlite-utils' loader: its module runs with pandas and numpy hidden."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = [name for name in _OPTIONAL if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # "import pandas" fails
        try:
            self._loader.exec_module(module)
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self._loader, name)


class _LeanSqliteUtilsFinder:
    """Meta-path finder for ``sqlite_utils`` alone: its import runs under :class:`_LeanLoader`.

    sqlite-utils imports pandas and numpy (0.3-0.4 s together) whenever they are installed,
    only to convert their values, which we never store. They import normally afterwards.
    """

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name != "sqlite_utils":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _LeanLoader(spec.loader)
                return spec
        return None


if "sqlite_utils" not in sys.modules and not any(
    isinstance(f, _LeanSqliteUtilsFinder) for f in sys.meta_path
):
    sys.meta_path.insert(0, _LeanSqliteUtilsFinder())
