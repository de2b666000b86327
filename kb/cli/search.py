"""``mtlkb search``: kept light (plain ``sqlite3``, no models, no sqlite-utils) unless
``--json`` asks for whole paper records."""

import typer

from kb.cli.output import echo_json, fail, print_table, require_kb
from kb.notes.index import sync_notes
from kb.store.fts import SEARCHED
from kb.store.search import RANK_CAP, SYNTAX, search_results

app = typer.Typer()


@app.command(epilog=SYNTAX, help=f"Full-text search (bm25) over {SEARCHED}.")
def search(
    ctx: typer.Context,
    query: list[str] | None = typer.Argument(
        None, metavar="QUERY...",
        help="Words, \"phrases\", prefix*, -word, AND/OR/NOT/NEAR (syntax below)."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, metavar="N",
                              help="At most N results."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    prepare: bool = typer.Option(
        False, "--prepare", help="First make the lists that rank broad words, prefixes and "
        "hyphenated terms fast (exactly as FTS5 does; made on first use otherwise). The "
        "query is then optional."),
) -> None:
    """Full-text search over the papers (what it reads: ``kb.store.fts.SEARCHED``)."""
    if not query and not prepare:
        fail("a query is needed (or --prepare): see mtlkb search --help")
    kb = require_kb(ctx)
    sync_notes(kb)
    if prepare:
        from kb.core.search_lists import prepare as prepare_lists

        typer.echo(prepare_lists(kb).line(), err=bool(query))
        if not query:
            return
    results = search_results(kb.conn, " ".join(query), limit=limit, build=not kb.read_only)
    hits = results.hits
    if results.capped:
        typer.echo(f"note: over {RANK_CAP} papers match; the {RANK_CAP} most recently added "
                   "were ranked (add words to narrow the search)", err=True)
    if as_json:
        from kb.store.papers import get_papers  # sqlite-utils and the models: --json only

        papers = {p.key: p for p in get_papers(kb.db, [h.key for h in hits])}
        echo_json(
            [dict(papers[h.key].public_dict(), score=h.score, snippet=h.snippet) for h in hits]
        )
        return
    if not hits:
        typer.echo("no match")
        return
    print_table(
        ["key", "year", "title", "match"],
        [[h.key, str(h.year or ""), h.title, h.snippet] for h in hits],
    )
