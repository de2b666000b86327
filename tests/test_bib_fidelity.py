"""Import fidelity (issue 15): crossref, one @string namespace per import, files that are
not BibTeX, encodings, control characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.sources.bibtex_source import BibReader, decode_bytes, parse_bibtex, parse_files

FIXTURES = Path(__file__).parent / "fixtures" / "bib"
MAIN, PROCS = FIXTURES / "xref_main.bib", FIXTURES / "xref_procs.bib"


@pytest.fixture(scope="module")
def xref():
    parsed = parse_files([MAIN, PROCS], ["main.bib", "procs.bib"])
    return parsed, {r.paper.key: r.paper for r in parsed.records}


def test_crossref_inherits_year_and_venue_across_files(xref) -> None:
    _, papers = xref
    p = papers["gebsch06c"]
    assert p.year == 2006
    # booktitle comes from the @proceedings' title, as BibTeX styles and biber do
    assert p.venue.startswith("Proceedings of the Twenty-second International Conference")
    assert p.fields["volume"] == "4079"
    assert p.fields["pages"] == "11-25"
    # macros of the first file resolve in the second (one namespace per import)
    assert p.fields["series"] == "Lecture Notes in Artificial Intelligence"
    assert p.fields["publisher"] == "Springer-Verlag"
    # the parent's own identifiers are not inherited
    assert p.doi is None and p.url is None
    # the kept BibTeX stands alone: inherited fields written in, crossref line gone
    assert "year = {2006}" in p.bibtex and "crossref" not in p.bibtex
    assert p.bibtex.startswith("@inproceedings{gebsch06c,\n  title = {Tableau")


def test_child_fields_win_and_nested_crossref(xref) -> None:
    _, papers = xref
    assert papers["own"].venue == "Own Booktitle" and papers["own"].year == 2001
    nested = papers["nested"]
    assert nested.year == 2007 and nested.venue == "Workshop Proceedings"
    assert nested.fields["volume"] == "4079"  # from the grandparent


def test_dangling_crossref_is_a_warning_and_order_is_kept(xref) -> None:
    parsed, papers = xref
    assert list(papers) == ["gebsch06c", "nested", "own", "dangling", "iclp06", "ws07"]
    assert [(str(p)) for p in parsed.problems] == [
        "main.bib:25: warning: entry 'dangling': crossref 'missing99' is not in the "
        "imported file(s) (its fields are not inherited)"
    ]


def test_macros_of_an_earlier_file_are_defined() -> None:
    reader = BibReader()
    reader.add("@string{cvpr = {CVPR}}", "a.bib")
    reader.add("@inproceedings{k, title = {T}, booktitle = cvpr, year = 2018}", "b.bib")
    parsed = reader.finish()
    assert parsed.problems == []
    assert parsed.records[0].paper.venue == "CVPR"


def test_macro_only_file_is_fine_and_duplicate_keys_across_files_name_the_first() -> None:
    reader = BibReader()
    reader.add("@string{a = {A}}", "macros.bib")
    reader.add("@misc{k, title = {T}}", "one.bib")
    reader.add("@misc{k, title = {U}}", "two.bib")
    parsed = reader.finish()
    assert [r.paper.title for r in parsed.records] == ["T"]
    assert [str(p) for p in parsed.errors] == [
        "two.bib:1: error: duplicate key 'k' (first defined in one.bib:1); this entry was "
        "not imported"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not a text file (binary data)"),
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"TY  - JOUR\nTI  - A title\nAU  - Smith, J\nER  - \n", "a RIS file, not BibTeX"),
        (b"just some notes, no entries\n", "no BibTeX entries found"),
    ],
)
def test_files_that_are_not_bibtex_are_one_error(data: bytes, message: str) -> None:
    parsed = parse_bibtex(decode_bytes(data), "f.bib")
    assert parsed.records == []
    assert len(parsed.problems) == 1 and parsed.problems[0].kind == "error"
    assert str(parsed.problems[0]).startswith(f"f.bib: error: {message}")


ENTRY = '@article{k, title = {Über Lernen}, author = {J. Müller}, year = 2020}\n'


@pytest.mark.parametrize(
    "data",
    [
        ENTRY.encode("utf-8"),
        b"\xef\xbb\xbf" + ENTRY.encode("utf-8"),
        ENTRY.encode("utf-16"),  # with its BOM
        ENTRY.encode("utf-16-le"),
        ENTRY.encode("utf-16-be"),
        ENTRY.encode("latin-1"),
    ],
)
def test_encodings_bibtex_tools_read(data: bytes) -> None:
    parsed = parse_bibtex(decode_bytes(data), "f.bib")
    assert parsed.problems == []
    assert parsed.records[0].paper.title == "Über Lernen"
    assert parsed.records[0].paper.authors[0].last == "Müller"


def test_control_characters_are_removed_with_a_warning() -> None:
    text = "@article{k, title = {T},\n abstract = {We\x07 show\x0b that\x1b[0m x}}\n"
    parsed = parse_bibtex(text, "f.bib")
    assert parsed.records[0].paper.abstract == "We show that [0m x"
    assert [str(p) for p in parsed.problems] == [
        "f.bib:2: warning: control character(s) U+0007, U+000B, U+001B removed"
    ]


def test_import_of_wrong_files_exits_non_zero(tmp_path: Path) -> None:
    from kbtest import run_cli

    home = tmp_path / "kb"
    home.mkdir()
    assert run_cli(home, "init", cwd=home).returncode == 0
    elf = tmp_path / "a.out.bib"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(200))
    r = run_cli(home, "import", str(elf), cwd=home)
    assert r.returncode != 0
    assert f"{elf}: error: not a text file (binary data)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli(home, "import", str(MAIN), str(PROCS), cwd=home)
    assert r.returncode == 0, r.stderr
    assert "undefined macro" not in r.stderr
