"""Rebuilds touch only what changed: nothing for no change, a few files for one note."""

from __future__ import annotations

import os
from pathlib import Path

from test_site_generate import populate

from kb.config import KB


def _mtimes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns
            for p in site.rglob("*") if p.is_file()}


def test_no_change_rebuild_writes_nothing_and_one_note_few_files(tmp_path: Path):
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    first = build_site(kb)
    before = _mtimes(first.site_dir)
    second = build_site(kb)
    assert second.site_written == [] and second.site_removed == []
    assert _mtimes(second.site_dir) == before

    note = kb.notes_dir / "kendall2018multi.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line quokkaword.\n",
                    encoding="utf-8")
    os.utime(note, None)
    third = build_site(kb)
    changed = {k for k, v in _mtimes(third.site_dir).items() if before.get(k) != v}
    assert "papers/kendall2018multi.html" in changed
    assert set(third.site_written) == changed
    assert len(changed) <= 8, sorted(changed)
    kb.close()
