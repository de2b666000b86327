"""init, list, show, tag, untag, rm, version (``search`` is :mod:`kb.cli.search`)."""

from pathlib import Path

import typer

from kb import __version__
from kb.cli.output import echo_json, fail, get_kb, print_table, require_kb
from kb.cli.record_view import record_lines
from kb.config import KB
from kb.core import papers as core
from kb.core.init import init_kb
from kb.core.show import find, paper_record
from kb.models import Paper
from kb.notes.index import sync_notes
from kb.store.papers import SORTS, list_papers

app = typer.Typer()


def _authors_short(names: list[str], n: int = 2) -> str:
    if len(names) <= n:
        return ", ".join(names)
    return ", ".join(names[:n]) + " et al."


def paper_table(papers: list[Paper]) -> None:
    """Papers as a table (tab-separated when piped), and how many on stderr."""
    print_table(
        ["key", "year", "title", "authors", "topics"],
        [
            [p.key or "", str(p.year or ""), p.title,
             _authors_short([a.name for a in p.authors]), ", ".join(p.topics)]
            for p in papers
        ],
    )
    typer.echo(f"{len(papers)} paper(s)", err=True)  # not in `mtlkb list > papers.tsv`


@app.command()
def init(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(None, help="Folder of the new KB (default: cwd)."),
) -> None:
    """Create a knowledge base (idempotent: existing files are never overwritten)."""
    kb = KB(directory) if directory else get_kb(ctx)
    created = init_kb(kb)
    for path in created:
        typer.echo(f"created {kb.rel(path) if path != kb.root else path}")
    typer.echo(f"knowledge base ready at {kb.root}")


@app.command("list")
def list_(
    ctx: typer.Context,
    topic: str | None = typer.Option(None, "--topic", "-t", metavar="TOPIC",
                                     help="Only this topic's papers."),
    sort: str = typer.Option("key", metavar="ORDER", help="key, year, added or title."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, metavar="N",
                                     help="At most N papers."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array of papers."),
) -> None:
    """List the papers in the KB (the count goes to stderr)."""
    kb = require_kb(ctx)
    if sort not in SORTS:
        fail(f"--sort must be one of {', '.join(SORTS)}, not {sort!r}")
    sync_notes(kb)
    if as_json:  # streamed: a large KB never sits in memory
        for chunk in core.list_json(kb, topic=topic, sort=sort, limit=limit):
            typer.echo(chunk, nl=False)
        typer.echo("")
        return
    paper_table(list_papers(kb.db, topic=topic, sort=sort, limit=limit))


@app.command()
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="A citation key, an arXiv id or a DOI."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one paper: metadata, note status, social record, reproductions."""
    kb = require_kb(ctx)
    sync_notes(kb)
    paper = find(kb, ref)
    if paper is None:
        fail(f"no paper {ref!r} in {kb.root}")
    record = paper_record(kb, paper)
    if as_json:
        echo_json(record)
        return
    _print_record(record)


@app.command()
def tag(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="The paper (key, arXiv id or DOI)."),
    topics: list[str] = typer.Argument(..., metavar="TOPIC...", help="Topics to add."),
) -> None:
    """Add topics to a paper."""
    report = core.tag(require_kb(ctx), ref, topics)
    if report.changed:
        typer.echo(f"{report.key}: tagged {', '.join(report.changed)}")
    if report.unchanged:
        typer.echo(f"{report.key}: already tagged {', '.join(report.unchanged)}")


@app.command()
def untag(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="The paper (key, arXiv id or DOI)."),
    topics: list[str] = typer.Argument(..., metavar="TOPIC...", help="Topics to remove."),
) -> None:
    """Remove topics from a paper."""
    report = core.untag(require_kb(ctx), ref, topics)
    if report.changed:
        typer.echo(f"{report.key}: untagged {', '.join(report.changed)}")
    if report.unchanged:
        typer.echo(f"{report.key}: not tagged {', '.join(report.unchanged)}")


@app.command()
def rm(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., metavar="REF...", help="Papers to remove."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Remove papers from the store (their note files stay on disk)."""
    kb = require_kb(ctx)
    keys = core.resolve_all(kb, refs)
    if not yes and not typer.confirm(f"Remove {', '.join(keys)}?"):
        raise typer.Exit(1)
    core.remove(kb, keys)
    for key in keys:
        typer.echo(f"removed {key}")


@app.command()
def version() -> None:
    """Print mtlkb's version (also `mtlkb --version`)."""
    typer.echo(f"mtlkb {__version__}")


def _print_record(r: dict) -> None:
    lines = [r["title"], ", ".join(r["authors"])]
    meta = [str(r["year"] or ""), r.get("venue") or ""]
    lines.append(" · ".join(m for m in meta if m))
    for label, field in (("key", "key"), ("arXiv", "arxiv_id"), ("DOI", "doi"),
                         ("url", "url"), ("pdf", "pdf_url")):
        if r.get(field):
            lines.append(f"{label}: {r[field]}")
    if r["topics"]:
        lines.append("topics: " + ", ".join(r["topics"]))
    if r.get("aliases"):
        lines.append("also cited as: " + ", ".join(r["aliases"]))
    for v in r.get("versions") or []:
        where = " · ".join(str(x) for x in (v["year"], v["venue"], v["doi"] or v["arxiv_id"])
                           if x)
        lines.append(f"version {v['key']} ({v['kind']}): {where}")
    note = r.get("note")
    if note:
        answered = f"{note.get('answered', 0)}/{note.get('questions', 0)} answered"
        lines.append(f"note: {note.get('path')} ({answered})")
    social = r.get("social") or {}
    if social:
        vote = {1: "up", -1: "down"}.get(social.get("vote", 0), "none")
        lines.append(f"vote: {vote} · saved: {'yes' if social.get('saved') else 'no'}")
        if social.get("collections"):
            lines.append("collections: " + ", ".join(social["collections"]))
        for rev in social.get("reviews", []):
            lines.append(f"review {rev.get('created_at', '')}: + {rev.get('strength') or '-'}"
                         f" / - {rev.get('concern') or '-'} / ? {rev.get('question') or '-'}")
    for rep in r.get("reproductions") or []:
        lines.append(f"reproduction: {rep['id']} — {rep.get('claim', '')} "
                     f"[{rep.get('last_verdict') or 'not run'}]")
    lines += record_lines(r)
    if r.get("abstract"):
        lines += ["", r["abstract"]]
    typer.echo("\n".join(lines))
