"""Helpers of the command modules: the KB from ``--kb``, one-line errors, JSON and tables."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer

from kb.config import KB, KBError


def get_kb(ctx: typer.Context) -> KB:
    """The KB chosen by ``--kb`` / ``$MTLKB_HOME`` / ``mtlkb.toml`` upward / the cwd."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "kb" not in obj:
        obj["kb"] = KB.find(obj.get("kb_path"))
        root.obj = obj
        root.call_on_close(obj["kb"].close)
    return obj["kb"]


def require_kb(ctx: typer.Context) -> KB:
    """Like :func:`get_kb`, but fail when the folder has not been initialised."""
    kb = get_kb(ctx)
    if not kb.config_path.is_file() and not kb.db_path.is_file():
        fail(f"no knowledge base at {kb.root} (run `mtlkb init` there, or pass --kb DIR)")
    return kb


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def echo_json(obj: Any) -> None:
    """``obj`` as indented JSON on stdout (non-ASCII kept, unknown types as ``str``)."""
    import json

    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()


WRAP_COLUMNS = frozenset({"title", "description", "topics", "listed in", "match", "claim"})


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    """A terminal table of plain-text cells (never Rich markup: ``[x]`` in a title stays).

    Only prose columns wrap. Piped, it prints tab-separated lines (a header, then one line a
    row) that ``cut`` and ``awk`` can read, without paying for Rich.
    """
    if not sys.stdout.isatty():
        lines = ["\t".join(columns)]
        lines += ["\t".join(" ".join(cell.split()) for cell in row) for row in rows]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    def widest(i: int, name: str) -> int:
        return max([len(name), *(len(r[i]) for r in rows)])

    cols = [
        Column(c, no_wrap=c not in WRAP_COLUMNS, overflow="fold",
               min_width=None if c in WRAP_COLUMNS else widest(i, c))
        for i, c in enumerate(columns)
    ]
    table = Table(*cols, show_lines=False, highlight=False)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    Console(highlight=False).print(table)


__all__ = [
    "KBError", "echo_json", "fail", "get_kb", "is_tty", "print_table", "require_kb",
]
