"""``comment``, ``comments``, ``link``, ``cite``, ``enrich``: the paper record (issue 16)."""

import typer

from kb.cli.output import echo_json, print_table, require_kb
from kb.cli.record_view import comment_lines
from kb.config import KBError
from kb.core import citations, comments, paper_links
from kb.core import enrich as enrich_core
from kb.repro import links as repro_links

app = typer.Typer()


@app.command()
def comment(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="The paper (key, arXiv id or DOI)."),
    text: str = typer.Argument(None, metavar="TEXT",
                               help="The comment (or the new text with --edit)."),
    reply_to: int | None = typer.Option(None, "--reply-to", metavar="ID",
                                        help="Reply to comment ID."),
    edit: int | None = typer.Option(None, "--edit", metavar="ID",
                                    help="Replace the text of your comment ID."),
    delete: int | None = typer.Option(None, "--delete", metavar="ID",
                                      help="Delete your comment ID (and its replies)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comment as JSON."),
) -> None:
    """Comment on a paper (threaded: --reply-to); --edit / --delete one's own comment."""
    kb = require_kb(ctx)
    if delete is not None:
        if text is not None or edit is not None or reply_to is not None:
            raise KBError("--delete takes no text, --edit or --reply-to")
        key, _ = comments.list_comments(kb, ref)
        n = comments.delete_comment(kb, delete, ref)
        if as_json:
            echo_json({"key": key, "deleted": delete, "removed": n})
        else:
            typer.echo(f"{key}: deleted comment #{delete}"
                       + (f" and {n - 1} repl{'y' if n == 2 else 'ies'}" if n > 1 else ""))
        return
    if text is None:
        raise KBError("give the comment's text (mtlkb comment KEY TEXT)")
    if edit is not None:
        if reply_to is not None:
            raise KBError("--edit and --reply-to do not go together")
        c = comments.edit_comment(kb, edit, text, ref)
        verb = "edited"
    else:
        c = comments.add_comment(kb, ref, text, reply_to)
        verb = "recorded"
    if as_json:
        echo_json(c.public_dict(with_key=True))
    else:
        typer.echo(f"{c.key}: comment #{c.id} {verb}"
                   + (f" (reply to #{c.parent_id})" if c.parent_id else ""))


@app.command("comments")
def comments_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="The paper (key, arXiv id or DOI)."),
    as_json: bool = typer.Option(False, "--json", help="Threads as JSON."),
) -> None:
    """A paper's discussion, newest thread first, replies under their comment."""
    key, items = comments.list_comments(require_kb(ctx), ref)
    if as_json:
        echo_json([c.public_dict() for c in items])
        return
    if not items:
        typer.echo(f"{key}: no comments")
        return
    typer.echo("\n".join(comment_lines([c.public_dict() for c in items])))


@app.command("link")
def link_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="The paper (key, arXiv id or DOI)."),
    repro_id: str = typer.Argument(None, metavar="REPRO_ID",
                                   help="A reproduction id to link by hand."),
    code: list[str] = typer.Option(None, "--code", metavar="URL",
                                   help="A code repository URL (repeatable)."),
    dataset: list[str] = typer.Option(None, "--dataset", metavar="NAME=URL",
                                      help="A dataset as NAME=URL (repeatable)."),
    remove: bool = typer.Option(False, "--remove", help="Remove the links named instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Link a paper to code (--code URL), datasets (--dataset NAME=URL) or a reproduction;
    with nothing to link, list its links."""
    kb = require_kb(ctx)
    if repro_id is not None:
        if code or dataset:
            raise KBError("link either a reproduction or --code/--dataset, not both")
        out = (repro_links.unlink if remove else repro_links.link)(kb, ref, repro_id)
        if as_json:
            echo_json(out.public_dict())
        else:
            arrow = "-/->" if remove else "->"
            typer.echo(f"{'unlinked' if remove else 'linked'} {out.paper_key} {arrow} "
                       f"{out.reproduction}")
        return
    if not code and not dataset:
        if remove:
            raise KBError("--remove needs --code URL, --dataset NAME=URL or a reproduction id")
        from kb.store.lookup import resolve_key

        key = resolve_key(kb.conn, ref) if kb.has_store else None
        if key is None:
            raise KBError(f"no paper {ref!r} in {kb.root}")
        record = paper_links.links_record(kb, key)
        if as_json:
            echo_json({"key": key, **record})
            return
        rows = [["code", x["name"], x["url"] or "", x["source"]] for x in record["code"]]
        rows += [["dataset", x["name"], x["url"] or "", x["source"]] for x in record["datasets"]]
        if not rows:
            typer.echo(f"{key}: no code or dataset links")
            return
        print_table(["kind", "name", "url", "source"], rows)
        return
    change = paper_links.change_links(kb, ref, code or [], dataset or [], remove=remove)
    if as_json:
        echo_json(change.as_json())
        return
    for x in change.added:
        typer.echo(f"{change.key}: {x.kind} {x.name + ' ' if x.name else ''}{x.url} linked")
    for x in change.removed:
        typer.echo(f"{change.key}: {x.kind} {x.url} removed")
    for url in change.missing:
        typer.echo(f"{change.key}: {url} was not linked")
    if not (change.added or change.removed or change.missing):
        typer.echo(f"{change.key}: already linked")


@app.command()
def cite(
    ctx: typer.Context,
    citing: str = typer.Argument(..., metavar="CITING", help="The citing paper."),
    cited: list[str] = typer.Argument(..., metavar="CITED",
                                      help="The papers it cites (in this KB)."),
    remove: bool = typer.Option(False, "--remove", help="Forget these citations instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record that a paper cites other papers of the KB."""
    change = citations.cite(require_kb(ctx), citing, cited, remove=remove)
    if as_json:
        echo_json(change.as_json())
        return
    verb = "no longer cites" if remove else "cites"
    if change.changed:
        typer.echo(f"{change.citing} {verb} {', '.join(change.changed)}")
    if change.unchanged:
        typer.echo(f"{change.citing}: {'did not cite' if remove else 'already cites'} "
                   f"{', '.join(change.unchanged)}")


@app.command()
def enrich(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(None, metavar="KEY", help="Papers (default: every paper)."),
    source: str = typer.Option("semanticscholar", "--source", metavar="SOURCE",
                               help="semanticscholar, openalex or crossref."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask again even when cached."),
    skip_missing: bool = typer.Option(False, "--skip-missing",
                                      help="Go on past papers the source does not know."),
    timeout: float | None = typer.Option(None, "--timeout", metavar="SECONDS",
                                         help="Seconds per request."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fill external citation counts, references, affiliations and open-access PDFs from
    an open API (all or nothing: a failure changes nothing)."""
    report = enrich_core.enrich(require_kb(ctx), refs or [], source=source, refresh=refresh,
                                skip_missing=skip_missing, timeout=timeout)
    if as_json:
        echo_json(report.as_json())
        return
    for e in report.enriched:
        in_kb = sum(1 for r in e.references if r.key)
        typer.echo(f"{e.key}: {e.citation_count if e.citation_count is not None else '?'} "
                   f"citations, {len(e.references)} references ({in_kb} in this KB), "
                   f"{sum(1 for a in e.affiliations if a.institutions)} affiliated authors"
                   + (", open-access PDF" if e.oa_pdf else ""))
    for line in report.missing:
        typer.echo(f"skipped: {line}", err=True)
    typer.echo(f"{source}: {len(report.enriched)} enriched, {len(report.cached)} cached, "
               f"{len(report.missing)} skipped", err=True)
