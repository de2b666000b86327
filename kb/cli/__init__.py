"""The ``mtlkb`` command: a thin typer layer; each command module registers its commands.

Heavy libraries (torch, mkdocs, arxiv, bibtexparser) are imported inside the commands that
need them, so ``mtlkb --help`` and ``mtlkb search`` stay fast.
"""

import importlib
import sys
from pathlib import Path

import typer

from kb.config import KBError

COMMAND_MODULES = ("core", "add", "bib", "notes", "social", "repro", "site", "demo")

app = typer.Typer(
    name="mtlkb",
    help="A literature knowledge base and reading notes for multi-task learning research.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    kb: Path | None = typer.Option(
        None, "--kb", help="KB folder (default: $MTLKB_HOME, else mtlkb.toml upward, else cwd)."
    ),
) -> None:
    ctx.obj = {"kb_path": kb}


for _name in COMMAND_MODULES:
    importlib.import_module(f"kb.commands.{_name}").register(app)


def main() -> None:
    """Console entry point: user errors become one line on stderr, never a traceback."""
    try:
        app()
    except KBError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        # sqlite3 is only imported by commands that open the store; keep it off --help's path.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
            raise
        typer.echo(f"error: the store could not be used ({exc})", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
