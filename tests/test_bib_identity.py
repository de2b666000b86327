"""Identity at import (issue 15): what must not merge, what must, and merged keys as aliases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kbtest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "bib"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    home = tmp_path_factory.mktemp("identity") / "kb"
    home.mkdir()
    assert run_cli(home, "init", cwd=home).returncode == 0
    r = run_cli(home, "import", str(FIXTURES / "identity.bib"), cwd=home)
    assert r.returncode == 0, r.stderr
    return home, r


def _keys(home: Path) -> set[str]:
    from kb.config import KB

    kb = KB(home)
    try:
        return {row[0] for row in kb.db.conn.execute("SELECT key FROM papers")}
    finally:
        kb.close()


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("colt14preface", "aistats14preface", "generic title"),
        ("mtlbook-ch1", "mtlbook-ch2", "chapter 1 and 2"),
        ("issue-a", "issue-b", "pages 1–2 and 101–102"),
        ("main-conf", "ws-version", "venues"),
        ("lee13bc", "babb15bcplus", "the titles differ"),
        ("kendall-real", "wrong-pdf-link", "same arXiv id 1705.07115, but the titles differ"),
        ("mtl-handbook", "mtl-handbook-ch3", "@book and @incollection"),
    ],
)
def test_different_publications_are_not_merged_but_reported(imported, a, b, why) -> None:
    home, r = imported
    keys = _keys(home)
    assert a in keys and b in keys
    line = next(x for x in r.stdout.splitlines() if f"{b!r} may be the same paper as {a!r}" in x)
    assert why in line and f"mtlkb merge {a} {b}" in line


def test_the_same_paper_merges_and_its_key_stays_an_alias(imported) -> None:
    home, r = imported
    keys = _keys(home)
    assert "kendall-dup" not in keys and "gebsch06c" not in keys
    assert "'kendall-dup' merged into 'kendall-real' (same arXiv id 1705.07115)" in r.stdout
    assert "'gebsch06c' merged into 'gebsch06b' (same title and year)" in r.stdout
    shown = run_cli(home, "show", "gebsch06c", cwd=home)
    assert shown.returncode == 0, shown.stderr
    assert "Tableau Calculi" in shown.stdout
    assert "17 entries read from 1 file(s): 15 added, 2 merged, 0 error(s)" in r.stdout


def test_reimport_changes_no_row(imported, tmp_path) -> None:
    from kb.config import KB

    home = tmp_path / "kb"
    shutil.copytree(imported[0], home)

    def stamps():
        kb = KB(home)
        try:
            return dict(kb.db.conn.execute("SELECT key, modified_at FROM papers"))
        finally:
            kb.close()

    before = stamps()
    r = run_cli(home, "import", str(FIXTURES / "identity.bib"), cwd=home)
    assert r.returncode == 0, r.stderr
    assert "may be the same" not in r.stdout
    assert stamps() == before
    # the alias's record merges into its paper again, without a new key
    assert len(before) == len(stamps()) == 15


def test_a_book_does_not_gain_its_chapter_s_fields(imported) -> None:
    from kb.config import KB
    from kb.store.papers import get_paper

    kb = KB(imported[0])
    try:
        book, chapter = get_paper(kb.db, "mtl-handbook"), get_paper(kb.db, "mtl-handbook-ch3")
    finally:
        kb.close()
    assert book is not None and chapter is not None
    assert "pages" not in book.fields and "chapter" not in book.fields
    assert book.entry_type == "book" and book.fields.get("publisher") == "MTL Press"
    assert [a.last for a in book.authors] == ["Editor", "Editor"]  # its editors, no more
    assert chapter.fields["pages"] == "45–67" and chapter.fields["chapter"] == "3"


def test_a_merged_away_key_resolves_everywhere(imported, tmp_path) -> None:
    home = tmp_path / "kb"
    shutil.copytree(imported[0], home)
    note = run_cli(home, "note", "gebsch06c", cwd=home)
    assert note.returncode == 0, note.stderr
    assert note.stdout.strip().endswith("gebsch06b.md")
    shown = run_cli(home, "show", "gebsch06c", "--json", cwd=home)
    import json

    record = json.loads(shown.stdout)
    assert record["key"] == "gebsch06b" and record["aliases"] == ["gebsch06c"]
    assert [v["key"] for v in record["versions"]] == ["gebsch06b", "gebsch06c"]
    exported = run_cli(home, "export", cwd=home)
    entry = next(e for e in exported.stdout.split("\n\n") if "{gebsch06b," in e)
    assert "ids = {gebsch06c}" in entry
    # the exported file names the alias again in a new KB
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "out.bib").write_text(exported.stdout, encoding="utf-8")
    assert run_cli(other, "init", cwd=other).returncode == 0
    assert run_cli(other, "import", str(tmp_path / "out.bib"), cwd=other).returncode == 0
    again = run_cli(other, "show", "gebsch06c", "--json", cwd=other)
    assert again.returncode == 0 and json.loads(again.stdout)["key"] == "gebsch06b"
