"""Reading status of notes: one paper's (for ``show``) and all of them (for ``mtlkb notes``).

Read from the notes index (:mod:`kb.store.notes`) as :class:`~kb.models.note.NoteStatus`.
"""

from __future__ import annotations

import os
from typing import Any

from kb.config import KB, KBError
from kb.models.note import FutureRef, NoteStatus
from kb.notes.create import note_path
from kb.notes.index import note_files, read_note, template_in_effect
from kb.store import notes as store
from kb.store.lookup import all_keys, key_of_arxiv, resolve_key, title_of
from kb.store.versions import all_aliases


def _resolve(kb: KB, ref: FutureRef) -> str | None:
    if ref.kind == "arxiv":
        return key_of_arxiv(kb.conn, ref.ref)
    return resolve_key(kb.conn, ref.ref)


def resolve_future(kb: KB, refs: list[FutureRef]) -> list[FutureRef]:
    """Future-reading refs with ``key`` set to the paper they name in the KB (else None)."""
    return [r.model_copy(update={"key": _resolve(kb, r)}) for r in refs]


def note_status(kb: KB, key: str) -> NoteStatus | None:
    """The status of paper ``key``'s note; ``None`` when it has none.

    Uses the indexed row when it matches the file on disk, else parses the file directly
    (without writing to the store).
    """
    try:
        path = note_path(kb, key)
    except KBError:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    row = store.note_row(kb.conn, key)
    spec, fingerprint = template_in_effect(kb)
    if (row is not None and row.get("mtime_ns") == st.st_mtime_ns
            and row.get("size") == st.st_size and row.get("template") == fingerprint):
        status = store.status_from_row(row)
    else:
        note, _, _ = read_note(kb, key, spec)
        status = NoteStatus(
            key=key, path=f"notes/{path.name}", header=note.header, answered=note.answered,
            questions=note.total, read_on=note.read_on, minutes=note.minutes,
            topics=note.topics, future=store.future_refs(note.future),
            warnings=store.note_warnings(note.warnings))
    header = status.header or {}
    title = title_of(kb.conn, key)
    if title is None and isinstance(header.get("title"), str):
        title = header["title"]
    return status.model_copy(update={
        "path": f"notes/{path.name}", "title": title,
        "future": resolve_future(kb, status.future)})


def note_for(kb: KB, key: str) -> dict[str, Any] | None:
    """The note of paper ``key`` as ``show --json`` reports it; ``None`` when it has none."""
    status = note_status(kb, key)
    return status.public_dict() if status else None


def list_notes(kb: KB, *, unread: bool = False, topic: str | None = None) -> list[NoteStatus]:
    """Every indexed note (call :func:`kb.notes.index.sync_notes` first), by key.

    ``topic`` matches a topic of the note (its Topic(s) line) or of the paper.
    """
    items = store.indexed_statuses(kb.conn)
    if unread:
        items = [i for i in items if not i.read_on]
    if topic:
        wanted = topic.casefold()
        tags = store.paper_topics(kb.conn)
        items = [i for i in items if wanted in {t.casefold() for t in i.topics}
                 | {t.casefold() for t in tags.get(i.key, ())}]
    return items


def totals(items: list[NoteStatus]) -> dict[str, int]:
    return {
        "notes": len(items),
        "read": sum(1 for i in items if i.read_on),
        "minutes": sum(i.minutes or 0 for i in items),
    }


def future_missing(kb: KB) -> list[dict]:
    """Future-reading refs from all notes that name no paper in the KB yet, first seen first."""
    found: dict[tuple[str | None, str], dict] = {}
    for key, refs in store.futures(kb.conn):
        for ref in resolve_future(kb, refs):
            if ref.key is not None:
                continue
            item = found.setdefault((ref.kind, ref.ref),
                                    {"ref": ref.ref, "kind": ref.kind, "cited_by": []})
            if key not in item["cited_by"]:
                item["cited_by"].append(key)
    return list(found.values())


def orphan_notes(kb: KB) -> list[str]:
    """Note files whose name is no paper's key nor a key merged into one (an alias keeps
    its note: ``mtlkb merge`` leaves it alone) (``notes/NAME.md`` paths)."""
    files = note_files(kb)
    if not files:
        return []
    keys = set(all_keys(kb.conn))
    keys.update(a for merged in all_aliases(kb.conn).values() for a in merged)
    return sorted(st.path for k, st in files.items() if k not in keys)
