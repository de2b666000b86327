"""add: papers by arXiv id or URL, or by DOI (Crossref)."""

import typer

from kb.cli.output import echo_json, require_kb
from kb.core.add import run

app = typer.Typer()


@app.command()
def add(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(
        ..., metavar="REF",
        help="arXiv ids (2009.09796, 2009.09796v2, hep-th/9901001, arXiv:...) or abs/pdf URLs; "
        "DOIs (10.1109/CVPR.2018.00781, doi:..., https://doi.org/...). Mixed is fine.",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds to wait for each source (default: timeout in the "
        "arxiv or crossref table of mtlkb.toml, else 20).",
    ),
    no_note: bool = typer.Option(False, "--no-note", help="Do not create reading notes."),
    as_json: bool = typer.Option(
        False, "--json", help="A JSON array of {key, arxiv_id, doi, action, title, source}."
    ),
) -> None:
    """Add papers from arXiv (one request for all ids) or Crossref (by DOI); adding again
    refreshes them. Nothing is written unless every reference was fetched.

    Endpoints: $MTLKB_ARXIV_API, $MTLKB_CROSSREF_API. Polite pool: mailto in the crossref table.
    """
    kb = require_kb(ctx)
    report = run(kb, refs, timeout=timeout, with_notes=not no_note)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        echo_json([p.as_json() for p in report.papers])
        return
    for p in report.papers:
        typer.echo(f"{p.action} {p.key}  {p.title}")
