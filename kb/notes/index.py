"""Keeping the store in step with ``notes/*.md``: cheap enough to run before every command.

:func:`sync_notes` stats every note file and re-parses only those whose mtime or size
changed since the last run (or whose template changed), then updates the ``notes`` row and
``papers.note_text`` (which the FTS index covers). A file modified within the last couple of
seconds is recorded as "racy" and looked at again next time, so an edit made in the same
clock tick as a previous read is never missed. Notes with problems are reported on stderr as
``warning: notes/KEY.md:LINE: message``; nothing here raises on a note's content.

When no note changed, a run reads the store through :attr:`KB.conn` and imports neither the
note parser nor sqlite-utils: those load only when a note must be re-read or a row written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from kb.config import KB
from kb.keys import is_safe_key
from kb.store import note_index
from kb.store.lookup import existing_keys

if TYPE_CHECKING:
    from kb.notes.parse import ParsedNote, TemplateSpec

RACY_NS = 2_000_000_000
MAX_WARNINGS_SHOWN = 5


@dataclass
class FileStat:
    key: str
    path: str
    mtime_ns: int
    size: int


def template_in_effect(kb: KB) -> tuple[TemplateSpec, str]:
    """The template's questions and a fingerprint of its text."""
    from kb.notes.render import load_template

    text, _source = load_template(kb)
    return _spec(text), _fingerprint(text)


def _fingerprint(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


_SPECS: dict[str, TemplateSpec] = {}


def _spec(text: str) -> TemplateSpec:
    from kb.notes.parse import template_spec

    fp = _fingerprint(text)
    if fp not in _SPECS:
        _SPECS[fp] = template_spec(text)
    return _SPECS[fp]


def note_files(kb: KB) -> dict[str, FileStat]:
    """``{key: stat}`` for every ``notes/{key}.md`` whose name is a safe key."""
    out: dict[str, FileStat] = {}
    try:
        entries = list(os.scandir(kb.notes_dir))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return out
    for entry in entries:
        name = entry.name
        if not name.endswith(".md") or name.startswith("."):
            continue
        key = name[:-3]
        if not is_safe_key(key):
            continue
        try:
            st = entry.stat()
            if not entry.is_file():
                continue
        except OSError:
            continue
        out[key] = FileStat(key, f"notes/{name}", st.st_mtime_ns, st.st_size)
    return out


def read_note(kb: KB, key: str, spec: TemplateSpec) -> tuple[ParsedNote, int, int]:
    """Parse ``notes/{key}.md``; ``(note, mtime_ns, size)`` as seen after reading."""
    from kb.notes.parse import ParsedNote, parse_note

    path = kb.notes_dir / f"{key}.md"
    try:
        with open(path, "rb") as fh:
            data = fh.read(8 * 1024 * 1024)
            st = os.fstat(fh.fileno())
    except OSError as exc:
        note = ParsedNote()
        note.warn(1, f"cannot be read ({exc.strerror or exc})")
        return note, -1, -1
    try:
        note = parse_note(data, spec)
    except Exception as exc:  # noqa: BLE001 - a note must never crash a command
        note = ParsedNote()
        note.warn(1, f"could not be parsed ({type(exc).__name__}: {exc})")
    return note, st.st_mtime_ns, st.st_size


def note_row(key: str, path: str, note: ParsedNote, mtime_ns: int, size: int,
             fingerprint: str) -> dict:
    if mtime_ns >= 0 and time.time_ns() - mtime_ns < RACY_NS:
        mtime_ns = -1  # racy: look again next time
    return {
        "paper_key": key,
        "path": path,
        "mtime_ns": mtime_ns,
        "size": size,
        "header": json.dumps(note.header, ensure_ascii=False) if note.header is not None
        else None,
        "answered": note.answered,
        "questions": note.total,
        "read_on": note.read_on,
        "minutes": note.minutes,
        "topics": json.dumps(note.topics, ensure_ascii=False),
        "future": json.dumps(note.future, ensure_ascii=False),
        "warnings": json.dumps(note.warnings, ensure_ascii=False) if note.warnings else None,
        "template": fingerprint,
    }


def format_warnings(path: str, warnings: list) -> list[str]:
    lines = [f"warning: {path}:{line}: {message}" for line, message in
             warnings[:MAX_WARNINGS_SHOWN]]
    if len(warnings) > MAX_WARNINGS_SHOWN:
        lines.append(f"warning: {path}: {len(warnings) - MAX_WARNINGS_SHOWN} more problem(s)")
    return lines


def sync_notes(kb: KB, *, err: TextIO | None = None, quiet: bool = False) -> None:
    """Bring ``notes`` rows and ``papers.note_text`` up to date with the note files.

    Cheap: one ``stat`` per note, a re-parse only for files that changed. Problems in notes
    are printed on stderr (file and line); this function does not raise on them.
    """
    err = err or sys.stderr
    try:
        _sync(kb, err, quiet)
    except sqlite3.Error as exc:
        if not quiet:
            print(f"warning: notes not indexed ({exc})", file=err)


def _sync(kb: KB, err: TextIO, quiet: bool) -> None:
    conn = kb.conn
    files = note_files(kb)
    rows = note_index.indexed(conn)
    template = fingerprint = None
    if files:
        from kb.notes.render import load_template

        template, _ = load_template(kb)
        fingerprint = _fingerprint(template)
    candidates = [
        k for k, st in files.items()
        if k not in rows
        or rows[k][0] in (None, -1)
        or rows[k][0] != st.mtime_ns
        or rows[k][1] != st.size
        or rows[k][2] != fingerprint
        or rows[k][3] != st.path
    ]
    if candidates:
        known = existing_keys(conn, candidates)
        candidates = [k for k in candidates if k in known]
    gone = [k for k in rows if k not in files]
    if not candidates and not gone:
        _print_stored(rows, err, quiet)
        return
    parsed: list[tuple[dict, str]] = []
    spec = _spec(template) if candidates else None
    for key in candidates:
        st = files[key]
        note, mtime_ns, size = read_note(kb, key, spec)
        parsed.append((note_row(key, st.path, note, mtime_ns, size, fingerprint), note.text))
    with kb.write():
        note_index.put_note_rows(conn, gone, parsed)
    for row, _ in parsed:
        rows[row["paper_key"]] = (row["mtime_ns"], row["size"], row["template"], row["path"],
                                  row["warnings"])
    for key in gone:
        rows.pop(key, None)
    _print_stored(rows, err, quiet)


def _print_stored(rows: dict, err: TextIO, quiet: bool) -> None:
    if quiet:
        return
    for key in sorted(rows):
        path, warnings = rows[key][3], rows[key][4]
        if not warnings:
            continue
        try:
            items = json.loads(warnings)
        except (TypeError, ValueError):
            continue
        for line in format_warnings(path or f"notes/{key}.md", items):
            print(line, file=err)
