"""Reading status of notes: one paper's (for ``show``) and all of them (for ``mtlkb notes``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from kb.config import KB, KBError
from kb.notes.create import note_path
from kb.notes.parse import ParsedNote


def _loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _resolve_ref(kb: KB, ref: dict) -> str | None:
    conn = kb.db.conn
    if ref.get("kind") == "arxiv":
        row = conn.execute("SELECT key FROM papers WHERE arxiv_id = ?", [ref["ref"]]).fetchone()
    else:
        row = conn.execute("SELECT key FROM papers WHERE key = ?", [ref["ref"]]).fetchone()
    return row[0] if row else None


def resolve_future(kb: KB, refs: list[dict]) -> list[dict]:
    """Future-reading refs with ``key`` set to the paper they name in the KB (else None)."""
    return [{"kind": r.get("kind"), "ref": r.get("ref"), "key": _resolve_ref(kb, r)}
            for r in refs if isinstance(r, dict) and r.get("ref")]


def _from_parsed(kb: KB, key: str, note: ParsedNote) -> dict[str, Any]:
    return {
        "header": note.header,
        "answered": note.answered,
        "questions": note.total,
        "read_on": note.read_on,
        "minutes": note.minutes,
        "topics": note.topics,
        "future": note.future,
        "warnings": note.warnings,
    }


def _from_row(row: dict) -> dict[str, Any]:
    return {
        "header": _loads(row.get("header"), None),
        "answered": row.get("answered") or 0,
        "questions": row.get("questions") or 0,
        "read_on": row.get("read_on") or None,
        "minutes": row.get("minutes"),
        "topics": _loads(row.get("topics"), []),
        "future": _loads(row.get("future"), []),
        "warnings": _loads(row.get("warnings"), []),
    }


def _note_row(kb: KB, key: str) -> dict | None:
    cur = kb.db.conn.execute("SELECT * FROM notes WHERE paper_key = ?", [key])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def note_for(kb: KB, key: str) -> dict[str, Any] | None:
    """The note of paper ``key`` as ``show --json`` reports it; ``None`` when it has none.

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
    row = _note_row(kb, key)
    from kb.notes.index import read_note, template_in_effect

    spec, fingerprint = template_in_effect(kb)
    if (row is not None and row.get("mtime_ns") == st.st_mtime_ns
            and row.get("size") == st.st_size and row.get("template") == fingerprint):
        data = _from_row(row)
    else:
        note, _, _ = read_note(kb, key, spec)
        data = _from_parsed(kb, key, note)
    header = data.pop("header") or {}
    title_row = kb.db.conn.execute("SELECT title FROM papers WHERE key = ?", [key]).fetchone()
    title = title_row[0] if title_row else (header.get("title") if isinstance(
        header.get("title"), str) else None)
    return {
        "key": key,
        "path": f"notes/{path.name}",
        "title": title,
        "read": bool(data["read_on"]),
        **data,
        "future": resolve_future(kb, data["future"]),
        "warnings": [{"line": w[0], "message": w[1]} for w in data["warnings"]
                     if isinstance(w, list | tuple) and len(w) == 2],
    }


def list_notes(kb: KB, *, unread: bool = False, topic: str | None = None) -> list[dict]:
    """Every indexed note (call :func:`kb.notes.index.sync_notes` first), by key.

    Objects have key, title, path, answered, questions, read_on, minutes, topics (+ warnings).
    ``topic`` matches a topic of the note (its Topic(s) line) or of the paper.
    """
    cur = kb.db.conn.execute(
        "SELECT n.*, p.title AS paper_title FROM notes n JOIN papers p ON p.key = n.paper_key "
        "ORDER BY n.paper_key"
    )
    names = [d[0] for d in cur.description]
    out = []
    paper_topics: dict[str, set[str]] = {}
    if topic:
        for pk, t in kb.db.conn.execute("SELECT paper_key, topic FROM paper_topics"):
            paper_topics.setdefault(pk, set()).add(t)
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        data = _from_row(row)
        item = {
            "key": row["paper_key"],
            "title": row["paper_title"],
            "path": row["path"],
            "answered": data["answered"],
            "questions": data["questions"],
            "read_on": data["read_on"],
            "minutes": data["minutes"],
            "topics": data["topics"],
            "warnings": len(data["warnings"]),
        }
        if unread and item["read_on"]:
            continue
        if topic:
            wanted = topic.casefold()
            tags = {t.casefold() for t in item["topics"]} | {
                t.casefold() for t in paper_topics.get(item["key"], ())}
            if wanted not in tags:
                continue
        out.append(item)
    return out


def totals(items: list[dict]) -> dict[str, int]:
    return {
        "notes": len(items),
        "read": sum(1 for i in items if i.get("read_on")),
        "minutes": sum(i.get("minutes") or 0 for i in items),
    }


def future_missing(kb: KB) -> list[dict]:
    """Future-reading refs from all notes that name no paper in the KB yet, first seen first."""
    found: dict[tuple[str, str], dict] = {}
    for key, future in kb.db.conn.execute(
        "SELECT paper_key, future FROM notes ORDER BY paper_key"
    ):
        for ref in resolve_future(kb, _loads(future, [])):
            if ref["key"] is not None:
                continue
            item = found.setdefault((ref["kind"], ref["ref"]),
                                    {"ref": ref["ref"], "kind": ref["kind"], "cited_by": []})
            if key not in item["cited_by"]:
                item["cited_by"].append(key)
    return list(found.values())


def orphan_notes(kb: KB) -> list[str]:
    """Note files whose name is no paper's key (``notes/NAME.md`` paths)."""
    from kb.notes.index import note_files

    files = note_files(kb)
    if not files:
        return []
    keys = {r[0] for r in kb.db.conn.execute("SELECT key FROM papers")}
    return sorted(st.path for k, st in files.items() if k not in keys)


def link_future(kb: KB, key: str, text: str, href: Callable[[str], str]) -> str:
    """``text`` (the note) with the future-reading refs that are in the KB made into links.

    Only lines listed as future reading are touched, and only a ref not already inside a
    Markdown link or URL; ``href(key)`` gives the link target of a paper.
    """
    info = note_for(kb, key)
    if not info:
        return text
    raw = _note_row(kb, key)
    refs = _loads(raw.get("future") if raw else None, []) or info["future"]
    lines = text.split("\n")
    for ref in refs:
        target = _resolve_ref(kb, ref)
        lineno = ref.get("line")
        if target is None or not isinstance(lineno, int) or not 0 < lineno <= len(lines):
            continue
        line = lines[lineno - 1]
        if "](" in line or "://" in line:
            continue
        pattern = re.compile(r"(?<![\w/.\[-])(?:\[\[|@|`)?" + re.escape(ref["ref"])
                             + r"(?:v\d+)?(?:\]\]|`)?(?![\w/])")
        lines[lineno - 1] = pattern.sub(
            lambda m, t=target: f"[{m.group(0).strip('[]@`')}]({href(t)})", line, count=1
        )
    return "\n".join(lines)
