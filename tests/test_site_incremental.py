"""Rebuilds touch only what changed: nothing for no change, a few files for one note.

The incremental result must be the site a clean build makes: one changed note renders its
page alone (MkDocs' dirty build) and the search index is rebuilt from every page's cached
entries, so it still holds every page, the new words included.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from test_site_generate import populate

from kb.config import KB


def _mtimes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns
            for p in site.rglob("*") if p.is_file()}


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _terms(site: Path) -> set[str]:
    raw = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return set(json.loads(raw["config"]["mtlkb"])["terms"])


def _clean_build(kb: KB, where: Path) -> Path:
    from kb.site.build import build_site

    shutil.copytree(kb.root, where, ignore=shutil.ignore_patterns(".staging", "site"))
    other = KB(where)
    result = build_site(other)
    assert result.mkdocs_mode == "full"
    other.close()
    return result.site_dir


def test_no_change_skips_mkdocs_and_one_note_renders_one_page(tmp_path: Path):
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    first = build_site(kb)
    assert first.mkdocs_mode == "full"
    before = _mtimes(first.site_dir)
    second = build_site(kb)
    assert second.mkdocs_mode == "skipped"
    assert second.site_written == [] and second.site_removed == []
    assert _mtimes(second.site_dir) == before

    note = kb.notes_dir / "kendall2018multi.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line quokkaword.\n",
                    encoding="utf-8")
    os.utime(note, None)
    third = build_site(kb)
    assert third.mkdocs_mode == "dirty"
    changed = {k for k, v in _mtimes(third.site_dir).items() if before.get(k) != v}
    assert "papers/kendall2018multi.html" in changed
    assert "search/search_index.js" in changed
    assert set(third.site_written) == changed
    assert len(changed) <= 8, sorted(changed)
    assert "quokkaword" in _terms(third.site_dir)

    # byte for byte what a clean build of the same KB makes (the search index included)
    clean = _clean_build(kb, tmp_path / "copy")
    ours, theirs = _files(third.site_dir), _files(clean)
    assert sorted(ours) == sorted(theirs)
    differ = sorted(k for k in ours if ours[k] != theirs[k])
    assert differ == [], differ
    kb.close()


def test_site_files_removed_by_hand_come_back_and_config_change_is_full(tmp_path: Path):
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    first = build_site(kb)
    page = first.site_dir / "papers" / "kendall2018multi.html"
    good = page.read_bytes()
    page.unlink()
    (first.site_dir / "index.html").write_text("edited", encoding="utf-8")
    again = build_site(kb)
    assert again.mkdocs_mode == "skipped"
    assert sorted(again.site_written) == ["index.html", "papers/kendall2018multi.html"]
    assert page.read_bytes() == good

    cfg = kb.mkdocs_path.read_text(encoding="utf-8")
    kb.mkdocs_path.write_text(cfg.replace("site_name: ", "site_name: 'Renamed' #", 1),
                              encoding="utf-8")
    renamed = build_site(kb)
    assert renamed.mkdocs_mode == "full"
    assert "Renamed" in (renamed.site_dir / "index.html").read_text(encoding="utf-8")
    kb.close()


def test_a_changed_title_is_a_full_build(tmp_path: Path):
    """Front matter (titles, tags) is read by other pages: a change there is never dirty."""
    from kb.core.init import init_kb
    from kb.site.build import build_site
    from kb.store.papers import set_fields

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    build_site(kb)
    with kb.write() as db:
        set_fields(db, "kendall2018multi", {"title": "A renamed zebrafinch paper"})
    result = build_site(kb)
    assert result.mkdocs_mode == "full"
    assert "zebrafinch" in _terms(result.site_dir)
    kb.close()


def test_unchanged_notes_are_not_rendered_again(tmp_path: Path, monkeypatch):
    from kb.core.init import init_kb
    from kb.site import note_html
    from kb.site.generate import generate

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    first = generate(kb)
    page = (first.docs_dir / "papers" / "kendall2018multi.md").read_text(encoding="utf-8")
    calls: list[str] = []
    real = note_html.note_markdown

    def counting(info, *args, **kwargs):
        calls.append(str(info.path))
        return real(info, *args, **kwargs)

    monkeypatch.setattr(note_html, "note_markdown", counting)
    again = generate(kb)
    assert calls == [] and again.written == []
    assert (again.docs_dir / "papers" / "kendall2018multi.md").read_text("utf-8") == page
    note = kb.notes_dir / "kendall2018multi.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    generate(kb)
    assert len(calls) == 1 and calls[0].endswith("kendall2018multi.md")
    # a linked paper's new title re-renders the note linking it ([[ruder2017overview]])
    from kb.store.papers import set_fields

    with kb.write() as db:
        set_fields(db, "ruder2017overview", {"title": "A retitled overview"})
    generate(kb)
    assert len(calls) == 2
    html = (kb.root / ".staging/docs/papers/kendall2018multi.md").read_text("utf-8")
    assert "A retitled overview" in html
    kb.close()
