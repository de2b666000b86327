"""init, list, show, search, tag, untag, rm."""

from pathlib import Path

import typer

from kb.cli_support import echo_json, fail, get_kb, print_table, require_kb
from kb.config import KB


def _authors_short(names: list[str], n: int = 2) -> str:
    if len(names) <= n:
        return ", ".join(names)
    return ", ".join(names[:n]) + " et al."


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        ctx: typer.Context,
        directory: Path | None = typer.Argument(None, help="Folder of the new KB (default: cwd)."),
    ) -> None:
        """Create a knowledge base (idempotent: existing files are never overwritten)."""
        from kb.init import init_kb

        kb = KB(directory) if directory else get_kb(ctx)
        created = init_kb(kb)
        for path in created:
            typer.echo(f"created {kb.rel(path) if path != kb.root else path}")
        typer.echo(f"knowledge base ready at {kb.root}")

    @app.command("list")
    def list_(
        ctx: typer.Context,
        topic: str | None = typer.Option(None, "--topic", "-t", help="Only this topic's papers."),
        sort: str = typer.Option("key", help="key, year, added or title."),
        limit: int | None = typer.Option(None, "--limit", "-n", min=1),
        as_json: bool = typer.Option(False, "--json", help="A JSON array of papers."),
    ) -> None:
        """List the papers in the KB."""
        from kb.notes_hook import refresh_notes
        from kb.store.papers import SORTS, list_papers

        kb = require_kb(ctx)
        if sort not in SORTS:
            fail(f"--sort must be one of {', '.join(SORTS)}, not {sort!r}")
        refresh_notes(kb)
        papers = list_papers(kb.db, topic=topic, sort=sort, limit=limit)
        if as_json:
            echo_json([p.public_dict() for p in papers])
            return
        print_table(
            ["key", "year", "title", "authors", "topics"],
            [
                [p.key or "", str(p.year or ""), p.title,
                 _authors_short([a.name for a in p.authors]), ", ".join(p.topics)]
                for p in papers
            ],
        )
        typer.echo(f"{len(papers)} paper(s)")

    @app.command()
    def show(
        ctx: typer.Context,
        ref: str = typer.Argument(..., help="A citation key, an arXiv id or a DOI."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show one paper: metadata, note status, social record, reproductions."""
        from kb.notes_hook import refresh_notes
        from kb.show import find, paper_record

        kb = require_kb(ctx)
        refresh_notes(kb)
        paper = find(kb, ref)
        if paper is None:
            fail(f"no paper {ref!r} in {kb.root}")
        record = paper_record(kb, paper)
        if as_json:
            echo_json(record)
            return
        _print_record(record)

    from kb.store.search import SYNTAX

    @app.command(epilog=SYNTAX)
    def search(
        ctx: typer.Context,
        query: list[str] = typer.Argument(
            ..., help="Words, \"phrases\", prefix*, -word, AND/OR/NOT/NEAR (syntax below)."),
        limit: int = typer.Option(20, "--limit", "-n", min=1),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Full-text search over titles, abstracts, authors, topics and notes (bm25)."""
        from kb.notes_hook import refresh_notes
        from kb.store.search import RANK_CAP, search_results

        kb = require_kb(ctx)
        refresh_notes(kb)
        results = search_results(kb.conn, " ".join(query), limit=limit)
        hits = results.hits
        if results.capped:
            typer.echo(f"note: over {RANK_CAP} papers match; the {RANK_CAP} most recently added "
                       "were ranked (add words to narrow the search)", err=True)
        if as_json:
            from kb.store.papers import get_papers

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

    @app.command()
    def tag(
        ctx: typer.Context,
        ref: str = typer.Argument(..., help="The paper (key, arXiv id or DOI)."),
        topics: list[str] = typer.Argument(..., help="Topics to add."),
    ) -> None:
        """Add topics to a paper."""
        from kb.store.papers import add_topics, resolve_key

        kb = require_kb(ctx)
        with kb.write() as db:
            key = resolve_key(db, ref)
            if key is None:
                fail(f"no paper {ref!r}")
            add_topics(db, key, [t.strip() for t in topics if t.strip()])
        typer.echo(f"{key}: tagged {', '.join(topics)}")

    @app.command()
    def untag(
        ctx: typer.Context,
        ref: str = typer.Argument(...),
        topics: list[str] = typer.Argument(...),
    ) -> None:
        """Remove topics from a paper."""
        from kb.store.papers import remove_topics, resolve_key

        kb = require_kb(ctx)
        with kb.write() as db:
            key = resolve_key(db, ref)
            if key is None:
                fail(f"no paper {ref!r}")
            remove_topics(db, key, topics)
        typer.echo(f"{key}: untagged {', '.join(topics)}")

    @app.command()
    def rm(
        ctx: typer.Context,
        refs: list[str] = typer.Argument(..., help="Papers to remove."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    ) -> None:
        """Remove papers from the store (their note files stay on disk)."""
        from kb.store.papers import delete_paper, resolve_key

        kb = require_kb(ctx)
        keys = []
        for ref in refs:
            key = resolve_key(kb.db, ref)
            if key is None:
                fail(f"no paper {ref!r}")
            keys.append(key)
        if not yes and not typer.confirm(f"Remove {', '.join(keys)}?"):
            raise typer.Exit(1)
        with kb.write() as db:
            for key in keys:
                delete_paper(db, key)
        for key in keys:
            typer.echo(f"removed {key}")


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
    if r.get("abstract"):
        lines += ["", r["abstract"]]
    typer.echo("\n".join(lines))
