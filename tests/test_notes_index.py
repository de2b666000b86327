"""sync_notes: edits are picked up on the next command, cheaply, and broken notes never crash."""

import io
import json
import os
from pathlib import Path

from kbtest import make_paper, put

from kb.models import Author
from kb.notes.create import ensure_note
from kb.notes.index import sync_notes
from kb.notes.status import future_missing, list_notes, note_for, orphan_notes
from kb.store.search import search

FIXTURES = Path(__file__).parent / "fixtures" / "notes"


def _sync(kb) -> str:
    err = io.StringIO()
    sync_notes(kb, err=err)
    return err.getvalue()


def _setup(kb):
    put(kb, make_paper(topics=["survey"]),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   year=2020, abstract="Conflicting gradients.",
                   authors=[Author(first="Tianhe", last="Yu")]))
    return ensure_note(kb, "ruder2017overview")


def _note_text(kb, key):
    return kb.db.conn.execute("SELECT note_text FROM papers WHERE key = ?", [key]).fetchone()[0]


def test_edit_is_indexed_on_next_sync(tmp_kb):
    path = _setup(tmp_kb)
    assert _sync(tmp_kb) == ""
    assert [h.key for h in search(tmp_kb.db, "zebrafish")] == []
    path.write_text(path.read_text().replace(
        "__*What do the results mean?*__\n", "__*What do the results mean?*__\nzebrafish\n"))
    assert _sync(tmp_kb) == ""
    assert [h.key for h in search(tmp_kb.db, "zebrafish")] == ["ruder2017overview"]
    info = note_for(tmp_kb, "ruder2017overview")
    assert info["answered"] == 1 and info["questions"] == 16 and info["path"] == \
        "notes/ruder2017overview.md"
    # same size edit, immediately after: still seen (racy mtime handling)
    path.write_text(path.read_text().replace("zebrafish", "wildebees"))
    _sync(tmp_kb)
    assert [h.key for h in search(tmp_kb.db, "wildebees")] == ["ruder2017overview"]
    assert [h.key for h in search(tmp_kb.db, "zebrafish")] == []


def test_unchanged_notes_are_not_reparsed(tmp_kb, monkeypatch):
    path = _setup(tmp_kb)
    old = 1_600_000_000_000_000_000
    os.utime(path, ns=(old, old))
    _sync(tmp_kb)
    import kb.notes.index as index

    calls = []
    real = index.read_note
    monkeypatch.setattr(index, "read_note", lambda *a: calls.append(a) or real(*a))
    _sync(tmp_kb)
    assert calls == []
    path.write_text(path.read_text() + "\nmore\n")
    os.utime(path, ns=(old + 10**9, old + 10**9))
    _sync(tmp_kb)
    assert len(calls) == 1


def test_deleted_note_leaves_the_index(tmp_kb):
    path = _setup(tmp_kb)
    path.write_text(path.read_text() + "\nokapi\n")
    _sync(tmp_kb)
    assert _note_text(tmp_kb, "ruder2017overview")
    path.unlink()
    _sync(tmp_kb)
    assert _note_text(tmp_kb, "ruder2017overview") == ""
    assert note_for(tmp_kb, "ruder2017overview") is None
    assert list_notes(tmp_kb) == []


def test_broken_notes_warn_with_file_and_line_and_never_crash(tmp_kb):
    _setup(tmp_kb)
    ensure_note(tmp_kb, "yu2020gradient")
    (tmp_kb.notes_dir / "ruder2017overview.md").write_bytes(
        (FIXTURES / "broken_header.md").read_bytes())
    (tmp_kb.notes_dir / "yu2020gradient.md").write_bytes(bytes(range(256)) * 10)
    err = _sync(tmp_kb)
    assert "warning: notes/ruder2017overview.md:2: header is not valid JSON" in err
    assert "warning: notes/yu2020gradient.md:1:" in err
    info = note_for(tmp_kb, "ruder2017overview")
    assert info["answered"] == 3 and info["read_on"] == "2020-01-16"
    assert info["warnings"][0]["line"] == 2
    assert [h.key for h in search(tmp_kb.db, "zebrafish")] == ["ruder2017overview"]
    # still reported on later commands until fixed
    assert "notes/ruder2017overview.md:2" in _sync(tmp_kb)


def test_unreadable_and_odd_files(tmp_kb):
    _setup(tmp_kb)
    notes = tmp_kb.notes_dir
    (notes / "no-such-paper2020x.md").write_text("orphan")
    (notes / ".ruder2017overview.md.abc.tmp").write_text("temp")
    (notes / "sub.md").mkdir()
    (notes / "README.txt").write_text("not a note")
    _sync(tmp_kb)
    assert orphan_notes(tmp_kb) == ["notes/no-such-paper2020x.md"]
    assert [n["key"] for n in list_notes(tmp_kb)] == ["ruder2017overview"]


def test_template_change_recounts(tmp_kb):
    path = _setup(tmp_kb)
    _sync(tmp_kb)
    assert list_notes(tmp_kb)[0]["questions"] == 16
    tmp_kb.templates_dir.mkdir(exist_ok=True)
    (tmp_kb.templates_dir / "note.md").write_text("## S\n__*What do the results mean?*__\n")
    _sync(tmp_kb)
    assert list_notes(tmp_kb)[0]["questions"] == 1
    assert path.read_text().count("__*") == 16  # the note itself untouched


def test_status_filters_and_future(tmp_kb):
    _setup(tmp_kb)
    ensure_note(tmp_kb, "yu2020gradient")
    (tmp_kb.notes_dir / "ruder2017overview.md").write_bytes(
        (FIXTURES / "answered.md").read_bytes())
    _sync(tmp_kb)
    items = list_notes(tmp_kb)
    assert [i["key"] for i in items] == ["ruder2017overview", "yu2020gradient"]
    assert [i["key"] for i in list_notes(tmp_kb, unread=True)] == ["yu2020gradient"]
    assert [i["key"] for i in list_notes(tmp_kb, topic="multi-task")] == ["ruder2017overview"]
    assert [i["key"] for i in list_notes(tmp_kb, topic="survey")] == ["ruder2017overview"]
    info = note_for(tmp_kb, "ruder2017overview")
    links = {f["ref"]: f["key"] for f in info["future"]}
    assert links == {"1705.07115": None, "1810.04650": None, "chen2018gradnorm": None,
                     "yu2020gradient": "yu2020gradient"}
    missing = future_missing(tmp_kb)
    assert [m["ref"] for m in missing] == ["1705.07115", "1810.04650", "chen2018gradnorm"]
    put(tmp_kb, make_paper(arxiv_id="1705.07115", title="Multi-Task Learning Using Uncertainty",
                           year=2018))
    assert [m["ref"] for m in future_missing(tmp_kb)] == ["1810.04650", "chen2018gradnorm"]
    row = tmp_kb.db.conn.execute("SELECT future FROM notes WHERE paper_key = ?",
                                 ["ruder2017overview"]).fetchone()
    assert json.loads(row[0])[0]["ref"] == "1705.07115"


def test_a_sync_with_no_change_reads_through_the_plain_connection(tmp_kb):
    from kb.config import KB

    path = _setup(tmp_kb)
    old = 1_600_000_000_000_000_000
    os.utime(path, ns=(old, old))
    _sync(tmp_kb)
    tmp_kb.close()
    again = KB(tmp_kb.root)
    assert _sync(again) == ""
    assert "db" not in again.__dict__  # no sqlite-utils Database was needed
    path.write_text(path.read_text() + "\nokapi\n")
    _sync(again)
    assert "okapi" in _note_text(again, "ruder2017overview")
    again.close()
