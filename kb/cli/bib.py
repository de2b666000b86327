"""import, export."""

from pathlib import Path

import typer

from kb.cli.output import fail, is_tty, require_kb
from kb.core.bib_import import run
from kb.core.export import FORMATS, export_chunks
from kb.core.export import export as run_export

app = typer.Typer()


@app.command("import")
def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., help="BibTeX files, CSL-JSON files (Zotero, Better BibTeX) or JSON files written "
        "by `mtlkb export --format json`."
    ),
    strict: bool = typer.Option(False, "--strict", help="Write nothing if anything failed."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write nothing; report only."),
    notes: bool = typer.Option(
        False, "--notes", help="Create the reading note of each imported paper."
    ),
    prepare: bool = typer.Option(
        True, "--prepare/--no-prepare",
        help="After an import of 5,000 papers or more, make the search's lists of broad "
        "words (fast exact ranking; `mtlkb search --prepare` does it later)."
    ),
) -> None:
    """Import BibTeX entries (merging records of the same paper) in one transaction.

    Problems are printed as FILE:LINE lines on stderr; the exit status is 1 when any
    entry could not be imported.
    """
    kb = require_kb(ctx)
    report = run(kb, files, strict=strict, dry_run=dry_run, progress=is_tty(), notes=notes)
    for line in report.problem_lines():
        typer.echo(line, err=True)
    for line in report.info_lines():
        typer.echo(line)
    for path in report.notes:
        typer.echo(f"note {kb.rel(path)}")
    if prepare and report.written:
        from kb.core.search_lists import after_import

        line = after_import(kb, len(report.keys))
        if line is not None:
            typer.echo(line)
    typer.echo(report.summary())  # (the last line, as before)
    if report.failed:
        raise typer.Exit(1)

@app.command()
def export(
    ctx: typer.Context,
    fmt: str = typer.Option("bibtex", "--format", "-f", help="bibtex or json."),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Write to FILE (atomically) instead of stdout."
    ),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """Export every paper as BibTeX or JSON (`mtlkb import` reads both back)."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    kb = require_kb(ctx)
    if output is None:  # streamed: a large KB never sits in memory as one text
        for chunk in export_chunks(kb, fmt):
            typer.echo(chunk, nl=False)
        return
    try:
        run_export(kb, fmt, output, replace=force)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
