"""``mtlkb note KEY`` (path; create; --edit) and ``mtlkb notes`` (reading status)."""

import typer

from kb.cli.output import echo_json, fail, print_table, require_kb
from kb.notes.create import created_note
from kb.notes.index import sync_notes
from kb.notes.status import future_missing, list_notes, orphan_notes, totals
from kb.store.papers import resolve_key


def _open_editor(path) -> None:
    import os
    import shlex
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor or not editor.strip():
        fail(f"set $VISUAL or $EDITOR to edit notes (the note is {path})")
    try:
        cmd = shlex.split(editor)
    except ValueError:
        fail(f"cannot read the editor command {editor!r}")
    try:
        code = subprocess.call([*cmd, str(path)])
    except OSError as exc:
        fail(f"could not start the editor {cmd[0]!r} ({exc.strerror or exc})")
    if code != 0:
        fail(f"the editor exited with status {code}")


app = typer.Typer()


@app.command()
def note(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The paper (key, arXiv id or DOI)."),
    edit: bool = typer.Option(False, "--edit", "-e", help="Open it in $VISUAL / $EDITOR."),
) -> None:
    """Print the path of a paper's note, creating it from the template if missing."""
    kb = require_kb(ctx)
    key = resolve_key(kb.db, ref)
    if key is None:
        fail(f"no paper {ref!r} in {kb.root}")
    path, created = created_note(kb, key)
    if created:
        typer.echo(f"created {kb.rel(path)}", err=True)
    if edit:
        _open_editor(path)
    sync_notes(kb)
    typer.echo(str(path))

@app.command()
def notes(
    ctx: typer.Context,
    unread: bool = typer.Option(
        False, "--unread", help="Only notes not yet read (no Read on date)."
    ),
    topic: str | None = typer.Option(None, "--topic", "-t", help="Only this topic."),
    future: bool = typer.Option(
        False, "--future", help="List future-reading refs not yet in the KB instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="A JSON array."),
) -> None:
    """Reading status of every note: answered questions, read on, time spent, topics."""
    kb = require_kb(ctx)
    sync_notes(kb)
    if future:
        missing = future_missing(kb)
        if as_json:
            echo_json(missing)
            return
        if not missing:
            typer.echo("every future-reading paper is in the KB")
            return
        print_table(["ref", "kind", "listed in"],
               [[m["ref"], m["kind"], ", ".join(m["cited_by"])] for m in missing])
        typer.echo(f"{len(missing)} paper(s) to add")
        return
    items = list_notes(kb, unread=unread, topic=topic)
    if as_json:
        echo_json([{k: i[k] for k in ("key", "title", "path", "answered", "questions",
                                      "read_on", "minutes", "topics")} for i in items])
        return
    for path in orphan_notes(kb):
        typer.echo(f"warning: {path}: no paper with this key in the KB", err=True)
    if not items:
        typer.echo("no unread notes" if unread else "no notes")
        return
    print_table(
        ["key", "title", "answered", "read on", "minutes", "topics"],
        [[i["key"], i["title"] or "", f"{i['answered']}/{i['questions']}",
          i["read_on"] or "", str(i["minutes"]) if i["minutes"] else "",
          ", ".join(i["topics"])] for i in items],
    )
    t = totals(items)
    typer.echo(f"{t['notes']} paper(s) with notes, {t['read']} read, "
               f"{t['minutes']} minutes read")
