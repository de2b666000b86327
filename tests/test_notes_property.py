"""Whatever a person writes in a note survives every command, byte for byte."""

import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kbtest import make_paper, put, run_cli

from kb.config import KB
from kb.core import social
from kb.core.init import init_kb
from kb.models import Author
from kb.notes.create import ensure_note
from kb.notes.index import sync_notes
from kb.notes.render import packaged_template
from kb.notes.status import future_missing, list_notes, note_for
from kb.store.papers import PaperWriter, delete_paper

FIXTURES = Path(__file__).parent / "fixtures" / "notes"
KEYS = ["ruder2017overview", "yu2020gradient"]


def _papers():
    return [
        make_paper(topics=["survey"]),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020),
    ]


def _fresh_kb() -> KB:
    root = Path(tempfile.mkdtemp(prefix="mtlkb-notes-prop-"))
    kb = KB(root / "kb")
    init_kb(kb)
    put(kb, *_papers())
    return kb


_BASE = packaged_template()

edits = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.tuples(st.integers(0, len(_BASE)), st.text(max_size=200)).map(
        lambda t: (_BASE[: t[0]] + t[1] + _BASE[t[0]:]).encode("utf-8", "surrogatepass")),
    st.sampled_from(sorted(p.name for p in FIXTURES.iterdir())).map(
        lambda n: (FIXTURES / n).read_bytes()),
)

OPS = ["ensure", "sync", "note_for", "list", "future", "reput", "refresh", "vote", "save",
       "collection", "review", "init", "remove_readd", "export_import", "touch_template"]


def _apply(kb: KB, op: str) -> None:
    err = io.StringIO()
    if op == "ensure":
        for key in KEYS:
            ensure_note(kb, key)
    elif op == "sync":
        sync_notes(kb, err=err)
    elif op == "note_for":
        for key in KEYS:
            note_for(kb, key)
    elif op == "list":
        sync_notes(kb, err=err)
        list_notes(kb, unread=True)
    elif op == "future":
        sync_notes(kb, err=err)
        future_missing(kb)
    elif op in ("reput", "refresh"):
        with kb.write() as db:
            writer = PaperWriter(db)
            for p in _papers():
                writer.put(p.model_copy(update={"abstract": "A new abstract."}),
                           refresh=op == "refresh")
    elif op == "vote":
        social.set_vote(kb, KEYS[0], "up")
    elif op == "save":
        social.set_saved(kb, KEYS[1], True)
    elif op == "collection":
        social.collection_add(kb, "to read", KEYS)
    elif op == "review":
        social.add_review(kb, KEYS[0], strength="clear", concern=None, question="why?")
    elif op == "init":
        init_kb(kb)
    elif op == "remove_readd":
        with kb.write() as db:
            delete_paper(db, KEYS[1])
        put(kb, _papers()[1])
        ensure_note(kb, KEYS[1])
    elif op == "export_import":
        social.import_social(kb, social.export_social(kb))
    elif op == "touch_template":
        kb.templates_dir.mkdir(exist_ok=True)
        (kb.templates_dir / "note.md").write_text("## S\n__*Q?*__\n")


def _snapshot(kb: KB) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(kb.notes_dir.iterdir()) if p.is_file()}


_KB: list[KB] = []


def _kb() -> KB:
    if not _KB:
        _KB.append(_fresh_kb())
    return _KB[0]


def teardown_module(module):
    for kb in _KB:
        kb.close()
        shutil.rmtree(kb.root.parent, ignore_errors=True)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(content=edits, other=edits, ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=6))
def test_user_edits_survive_any_sequence_of_operations(content, other, ops):
    kb = _kb()
    template = kb.templates_dir / "note.md"
    if template.exists():
        template.unlink()
    (kb.notes_dir / f"{KEYS[0]}.md").write_bytes(content)
    (kb.notes_dir / f"{KEYS[1]}.md").write_bytes(other)
    before = _snapshot(kb)
    for op in ops:
        _apply(kb, op)
        assert (kb.notes_dir / f"{KEYS[0]}.md").read_bytes() == content
        assert (kb.notes_dir / f"{KEYS[1]}.md").read_bytes() == other
        assert _snapshot(kb) == before
    # the store's view is consistent with the files (never crashes on them)
    sync_notes(kb, err=io.StringIO())
    assert {n["key"] for n in list_notes(kb)} == set(KEYS)


def test_real_commands_leave_an_edited_note_alone(tmp_kb):
    put(tmp_kb, *_papers())
    path = ensure_note(tmp_kb, KEYS[0])
    edited = (FIXTURES / "answered.md").read_bytes() + b"\r\ntrailing \x00 junk \xff\n"
    path.write_bytes(edited)
    os.chmod(path, 0o640)
    stat = os.stat(path)
    commands = [
        ["note", KEYS[0]], ["notes", "--json"], ["show", KEYS[0], "--json"],
        ["search", "zebrafish"], ["init"], ["vote", KEYS[0], "up"],
        ["collection", "add", "to read", KEYS[0]], ["note", KEYS[1]],
    ]
    for args in commands:
        r = run_cli(tmp_kb, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert path.read_bytes() == edited, args
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (stat.st_ino, stat.st_mtime_ns,
                                                                stat.st_mode)
