"""merge, split."""

import typer

from kb.cli.output import require_kb
from kb.core.merge import merge as run_merge
from kb.core.merge import split as run_split

app = typer.Typer()


@app.command()
def merge(
    ctx: typer.Context,
    into: str = typer.Argument(..., metavar="A", help="The paper that stays (key, arXiv id "
                                                      "or DOI)."),
    other: str = typer.Argument(..., metavar="B", help="The paper merged into A; its key "
                                                       "stays an alias of A."),
) -> None:
    """Merge paper B into paper A: B's record is kept as a version of A, its key an alias."""
    kb = require_kb(ctx)
    report = run_merge(kb, into, other)
    typer.echo(f"merged {report.merged!r} into {report.into!r} (cited as its "
               f"{report.cited_as} version; also cited as: {', '.join(report.aliases)})")
    if report.notes_left is not None:
        typer.echo(f"note {kb.rel(report.notes_left)} is left as it is: move what it holds "
                   f"into the note of {report.into!r} (`mtlkb note {report.into}`)", err=True)


@app.command()
def split(
    ctx: typer.Context,
    key: str = typer.Argument(..., metavar="KEY", help="A key merged into another paper."),
) -> None:
    """Split a merged-away key off as a paper of its own (never merged again automatically)."""
    report = run_split(require_kb(ctx), key)
    line = f"split {report.key!r} off {report.source!r}: two papers, never merged again " \
           "automatically"
    if report.dropped:
        line += f" ({', '.join(report.dropped)} stays with {report.source!r})"
    typer.echo(line)
