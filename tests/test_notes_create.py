"""Notes are created atomically, in notes/ only, and an existing note is never touched."""

import os
import threading

import pytest
from kbtest import make_paper, put

from kb.config import KBError
from kb.notes.create import created_note, ensure_note, note_path, write_new_file


def _setup(kb):
    put(kb, make_paper())
    return "ruder2017overview"


def test_ensure_note_creates_once_and_never_overwrites(tmp_kb):
    key = _setup(tmp_kb)
    path, created = created_note(tmp_kb, key)
    assert created and path == tmp_kb.notes_dir / f"{key}.md"
    path.write_bytes(b"my own words\r\n\x00 and bytes \xff")
    before = os.stat(path)
    for _ in range(3):
        assert ensure_note(tmp_kb, key) == path
    after = os.stat(path)
    assert path.read_bytes() == b"my own words\r\n\x00 and bytes \xff"
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert created_note(tmp_kb, key) == (path, False)


def test_empty_and_symlinked_notes_are_left_alone(tmp_kb, tmp_path):
    key = _setup(tmp_kb)
    path = note_path(tmp_kb, key)
    tmp_kb.notes_dir.mkdir(exist_ok=True)
    path.write_bytes(b"")
    ensure_note(tmp_kb, key)
    assert path.read_bytes() == b""
    path.unlink()
    os.symlink(tmp_path / "elsewhere.md", path)  # dangling
    ensure_note(tmp_kb, key)
    assert os.path.islink(path) and not (tmp_path / "elsewhere.md").exists()


def test_no_temporary_files_left(tmp_kb):
    key = _setup(tmp_kb)
    ensure_note(tmp_kb, key)
    assert sorted(p.name for p in tmp_kb.notes_dir.iterdir()) == [f"{key}.md"]


def test_concurrent_creation_has_one_winner(tmp_path):
    target = tmp_path / "notes" / "x.md"
    results = []
    barrier = threading.Barrier(8)

    def worker(i):
        barrier.wait()
        results.append(write_new_file(target, f"writer {i}\n" * 1000))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    text = target.read_text()
    first = text.split("\n")[0]
    assert text == f"{first}\n" * 1000  # one writer's whole content, never a mix
    assert [p.name for p in target.parent.iterdir()] == ["x.md"]


def test_interrupted_write_leaves_no_note(tmp_path, monkeypatch):
    target = tmp_path / "notes" / "y.md"

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "link", boom)
    with pytest.raises(KeyboardInterrupt):
        write_new_file(target, "whole note\n")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("key", ["../evil", "a/b", "..", ".", "", "a b", "/abs", "x\x00y",
                                 "a\\..\\b", "..hidden", "key\n"])
def test_unsafe_keys_never_make_a_path(tmp_kb, key):
    with pytest.raises(KBError):
        note_path(tmp_kb, key)
    with pytest.raises(KBError):
        ensure_note(tmp_kb, key)
    assert sorted(p.name for p in tmp_kb.root.parent.iterdir()) == ["kb"]
    assert list(tmp_kb.notes_dir.iterdir()) == []


def test_unknown_paper_is_an_error(tmp_kb):
    with pytest.raises(KBError):
        ensure_note(tmp_kb, "nobody2020nothing")
    assert not (tmp_kb.notes_dir / "nobody2020nothing.md").exists()


def test_ensure_note_inside_a_write_transaction(tmp_kb):
    """The add/import helpers may call ensure_note before committing the paper."""
    from kb.store.papers import PaperWriter

    with tmp_kb.write() as db:
        key = PaperWriter(db).put(make_paper(arxiv_id="2001.06782", title="Gradient Surgery",
                                             year=2020)).key
        path = ensure_note(tmp_kb, key)
    assert path.is_file() and "Gradient Surgery" in path.read_text()
