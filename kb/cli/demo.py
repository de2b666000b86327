"""demo: the whole tool on the bundled canon."""

from pathlib import Path

import typer

from kb.cli.output import get_kb
from kb.config import KB
from kb.core.demo import run

app = typer.Typer()


@app.command()
def demo(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(
        None, help="KB folder (default: the current KB, e.g. this repository)."
    ),
    rerun: bool = typer.Option(False, help="Run reproductions again even if already run."),
) -> None:
    """Import the MTL canon, write notes, run the reproductions (smoke), build the site."""
    kb = KB(directory) if directory else get_kb(ctx)
    index = run(kb, say=typer.echo, rerun=rerun)
    typer.echo(str(index))
    typer.echo(f"next: open {index} in a browser; `source .venv/bin/activate` puts `mtlkb` on "
               "your PATH, then try `mtlkb list`, `mtlkb search \"gradient conflict\"`, "
               "`mtlkb show ruder2017overview`, `mtlkb repro list`")
