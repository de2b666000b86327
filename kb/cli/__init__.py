"""The ``mtlkb`` command: a thin typer layer over :mod:`kb.core`.

Each module of this package holds one group of module-level commands (papis style) on its own
``app``; :data:`COMMANDS` names the module of every top-level command and its one-line
summary, and a module is imported only when one of its commands runs (pip's lazy table). So
``mtlkb --help`` imports no command module at all, and ``mtlkb search`` only
:mod:`kb.cli.search`: heavy libraries (torch, mkdocs, arxiv, bibtexparser, sqlite-utils) and
the models stay off their paths.

User errors (:class:`~kb.config.KBError`, an unusable store) are turned into one line on
stderr and exit status 1 in one place, :meth:`LazyGroup.invoke`.

The command modules do not use ``from __future__ import annotations``: typer reads every
command's parameter annotations when it builds a command, and string annotations cost it a
compile and an eval each.
"""

import importlib
import sys
from pathlib import Path

import click
import typer
from typer.core import TyperGroup, TyperOption

from kb import __version__
from kb.config import KBError

# name -> (module in kb.cli, summary shown by `mtlkb --help`), in --help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("papers", "Create a knowledge base (idempotent: existing files are never "
                       "overwritten)."),
    "add": ("add", "Add papers from arXiv (one request for all; adding again refreshes them)."),
    "import": ("bib", "Import BibTeX entries (merging records of the same paper) in one "
                      "transaction."),
    "export": ("bib", "Export every paper as BibTeX or JSON (`mtlkb import` reads both back)."),
    "merge": ("merge", "Merge paper B into paper A (B's record kept as a version, its key an "
                       "alias)."),
    "split": ("merge", "Split a merged-away key off as a paper of its own (never merged "
                       "again automatically)."),
    "list": ("papers", "List the papers in the KB."),
    "show": ("papers", "Show one paper: metadata, note status, social record, reproductions."),
    "search": ("search", "Full-text search (bm25) over titles, abstracts, authors, topics, "
                         "notes, summaries, comments and reviews."),
    "tag": ("papers", "Add topics to a paper."),
    "untag": ("papers", "Remove topics from a paper."),
    "rm": ("papers", "Remove papers from the store (their note files stay on disk)."),
    "note": ("notes", "Print the path of a paper's note, creating it from the template if "
                      "missing."),
    "notes": ("notes", "Reading status of every note: answered questions, read on, time spent, "
                       "topics."),
    "vote": ("social", "Vote a paper up or down (none clears the vote)."),
    "save": ("social", "Save papers (a reading list)."),
    "unsave": ("social", "Unsave papers."),
    "saved": ("social", "List the saved papers."),
    "collection": ("social", "Named collections of papers."),
    "review": ("social", "Add a structured review (strength, concern, method question); none: "
                         "list reviews."),
    "repro": ("repro", "Reproductions: runnable code checking papers' claims, and their "
                       "recorded runs."),
    "link": ("record", "Link a paper to code (--code URL), datasets (--dataset NAME=URL) or a "
                       "reproduction."),
    "comment": ("record", "Comment on a paper (threaded: --reply-to); --edit / --delete "
                          "one's own."),
    "comments": ("record", "A paper's discussion, newest thread first."),
    "cite": ("record", "Record that a paper cites other papers of the KB."),
    "enrich": ("record", "Citation counts, references, affiliations and open-access PDFs from "
                         "an open API."),
    "site": ("site", "Build or preview the static site (MkDocs + Material)."),
    "demo": ("demo", "Import the MTL canon, write notes, run the reproductions (smoke), build "
                     "the site."),
    "version": ("papers", "Print mtlkb's version."),
}


class _Summary(click.Command):
    """What ``mtlkb --help`` lists for a command whose module is not imported."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name, help=summary, short_help=summary)
        self.rich_help_panel = None


class LazyGroup(TyperGroup):
    """The root group: commands come from :data:`COMMANDS`, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if ctx.resilient_parsing or getattr(ctx, "_listing", False):
            return _Summary(name, COMMANDS[name][1])
        return load_command(name)

    def invoke(self, ctx: click.Context):
        """Run the command; the one place user errors become one line and status 1."""
        try:
            return super().invoke(ctx)
        except KBError as exc:
            _error(str(exc))
        except Exception as exc:
            # sqlite3 is only imported by commands that open the store (not by --help).
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
                raise
            _error(f"the store could not be used ({exc})")

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx._listing = True  # type: ignore[attr-defined]  # the summaries are enough
        super().format_help(ctx, formatter)


def load_command(name: str) -> click.Command:
    """The click command ``name`` of its module in :data:`COMMANDS`."""
    module = importlib.import_module(f"kb.cli.{COMMANDS[name][0]}")
    group = typer.main.get_group(module.app)
    command = group.get_command(click.Context(group), name)
    assert command is not None, f"kb.cli.{COMMANDS[name][0]} has no command {name!r}"
    return command


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mtlkb {__version__}")
        raise typer.Exit()


# Flags take no value: show none where typer would print ``<bool>`` (``--json <bool>``).
_display_type_rich = TyperOption.display_type_rich


def _no_flag_type(self: TyperOption, ctx: click.Context) -> str | None:
    if self.is_flag and self.metavar is None:
        return None
    return _display_type_rich(self, ctx)


TyperOption.display_type_rich = _no_flag_type  # type: ignore[method-assign]

app = typer.Typer(
    name="mtlkb",
    cls=LazyGroup,
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
    version: bool = typer.Option(
        False, "--version", "-V", is_eager=True, callback=_version, help="Print the version."
    ),
) -> None:
    ctx.obj = {"kb_path": kb}


def _error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def main() -> None:
    """Console entry point. User errors are reported by :meth:`LazyGroup.invoke` (so
    in-process callers such as tests see the same); Ctrl-C outside a command is status 130."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
