"""``vote``, ``save`` / ``unsave``, ``collection add|remove|list|show``, ``review``."""

import typer

from kb.cli.output import echo_json, print_table, require_kb
from kb.cli.papers import paper_table
from kb.config import KBError
from kb.core.social import (
    add_review,
    clean_name,
    collection_add,
    collection_keys,
    collection_remove,
    delete_collection,
    list_collections,
    reviews_for,
    saved_papers,
    set_saved,
    set_vote,
)
from kb.store.papers import get_papers, resolve_key

VOTE_NAMES = {1: "up", -1: "down", 0: "none"}


app = typer.Typer()


@app.command()
def vote(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The paper (key, arXiv id or DOI)."),
    value: str = typer.Argument(..., help="up, down or none."),
) -> None:
    """Vote a paper up or down (none clears the vote)."""
    key, v = set_vote(require_kb(ctx), ref, value)
    typer.echo(f"{key}: vote {VOTE_NAMES[v]}")

@app.command()
def save(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., help="Papers to save."),
) -> None:
    """Save papers (a reading list)."""
    kb = require_kb(ctx)
    for ref in refs:
        key, _ = set_saved(kb, ref, True)
        typer.echo(f"{key}: saved")

@app.command()
def unsave(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., help="Papers to unsave."),
) -> None:
    """Unsave papers."""
    kb = require_kb(ctx)
    for ref in refs:
        key, _ = set_saved(kb, ref, False)
        typer.echo(f"{key}: not saved")

coll = typer.Typer(help="Named collections of papers.", no_args_is_help=True)
app.add_typer(coll, name="collection")

@coll.command("add")
def coll_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The collection (created if new)."),
    refs: list[str] = typer.Argument(None, help="Papers to add."),
    description: str | None = typer.Option(None, "--description", "-d"),
) -> None:
    """Add papers to a collection (creating it)."""
    added = collection_add(require_kb(ctx), name, refs or [], description)
    typer.echo(f"{clean_name(name)}: added {len(added)} paper(s)"
               + (f" ({', '.join(added)})" if added else ""))

@coll.command("remove")
def coll_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The collection."),
    refs: list[str] = typer.Argument(None, help="Papers to remove (none: the collection)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete a collection without asking."),
) -> None:
    """Remove papers from a collection; with no papers, delete the collection itself."""
    kb = require_kb(ctx)
    if not refs:
        held = len(collection_keys(kb, name))
        if not yes and held and not typer.confirm(
                f"Delete collection {clean_name(name)} ({held} paper(s) in it)?"):
            raise typer.Exit(1)
        n = delete_collection(kb, name)
        typer.echo(f"deleted collection {clean_name(name)} ({n} paper(s) in it)")
        return
    removed = collection_remove(kb, name, refs)
    typer.echo(f"{clean_name(name)}: removed {len(removed)} paper(s)"
               + (f" ({', '.join(removed)})" if removed else ""))

@coll.command("list")
def coll_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List the collections."""
    items = list_collections(require_kb(ctx))
    if as_json:
        echo_json(items)
        return
    if not items:
        typer.echo("no collections")
        return
    print_table(["collection", "papers", "created", "description"],
           [[c["name"], str(c["papers"]), c["created_at"] or "", c["description"] or ""]
            for c in items])

@coll.command("show")
def coll_show(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The papers of a collection."""
    kb = require_kb(ctx)
    papers = get_papers(kb.db, collection_keys(kb, name))
    if as_json:
        echo_json([p.public_dict() for p in papers])
        return
    if not papers:
        typer.echo("no papers")
        return
    print_table(["key", "year", "title"],
           [[p.key or "", str(p.year or ""), p.title] for p in papers])

@app.command()
def review(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The paper (key, arXiv id or DOI)."),
    strength: str | None = typer.Option(None, "--strength", help="A concrete strength."),
    concern: str | None = typer.Option(None, "--concern", help="A concern."),
    question: str | None = typer.Option(None, "--question", help="A method question."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a structured review (strength, concern, method question); none: list reviews."""
    kb = require_kb(ctx)
    if strength is None and concern is None and question is None:
        key = resolve_key(kb.db, ref)
        if key is None:
            raise KBError(f"no paper {ref!r} in {kb.root}")
        items = reviews_for(kb, key)
        if as_json:
            echo_json(items)
            return
        if not items:
            typer.echo(f"{key}: no reviews")
        for r in items:
            typer.echo(f"#{r['id']} {r['created_at']}\n  strength: {r['strength'] or '-'}"
                       f"\n  concern: {r['concern'] or '-'}\n  question: "
                       f"{r['question'] or '-'}")
        return
    rev = add_review(kb, ref, strength, concern, question)
    if as_json:
        echo_json(rev)
        return
    typer.echo(f"{rev['key']}: review #{rev['id']} recorded")


@app.command()
def saved(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="A JSON array of papers."),
) -> None:
    """List the saved papers (first saved first)."""
    kb = require_kb(ctx)
    papers = get_papers(kb.db, saved_papers(kb))
    if as_json:
        echo_json([p.public_dict() for p in papers])
        return
    if not papers:
        typer.echo("no saved papers")
        return
    paper_table(papers)
