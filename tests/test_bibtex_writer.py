"""One BibTeX writer behind export, the note's citation block and the site's paper page: after
a key collision every one of them shows the stored key (issue 15, "Three BibTeX writers")."""

from __future__ import annotations

import re
from pathlib import Path

from kbtest import make_paper

from kb.config import KB
from kb.core import bib_import
from kb.core.export import export
from kb.models import Author
from kb.notes.create import ensure_note
from kb.site.generate import generate
from kb.sources.bibtex_source import parse_bibtex
from kb.sources.bibtex_writer import entry, with_abstract
from kb.sources.bibtex_writer import generate as generate_entry

FIRST = """@article{smith2020,
  title   = {Shared Encoders for Dense Prediction},
  author  = {Smith, Ann and Jones, Bo},
  journal = {Journal of Synthetic Examples},
  year    = {2020},
  pages   = {1--10},
}
"""
# Another paper, another file, the same key: stored as smith2020a.
SECOND = """@article{smith2020,
  title    = {Task Routing with Sparse Experts},
  author   = {Smith, Carl},
  journal  = {Letters of Made-up Results},
  year     = {2020},
  abstract = {We route tasks.},
}
"""
HEADS = re.compile(r"@(\w+)\{([^,\s]+),")


def _collide(kb: KB, tmp_path: Path) -> None:
    (tmp_path / "a.bib").write_text(FIRST, encoding="utf-8")
    (tmp_path / "b.bib").write_text(SECOND, encoding="utf-8")
    assert not bib_import.run(kb, [tmp_path / "a.bib"]).failed
    report = bib_import.run(kb, [tmp_path / "b.bib"])
    assert not report.failed
    assert [(c.requested, c.key) for c in report.key_changes] == [("smith2020", "smith2020a")]


def test_collided_key_is_the_stored_key_in_export_note_and_site(tmp_kb: KB, tmp_path: Path):
    _collide(tmp_kb, tmp_path)

    exported = export(tmp_kb, "bibtex")
    assert HEADS.findall(exported) == [("article", "smith2020"), ("article", "smith2020a")]

    note = ensure_note(tmp_kb, "smith2020a").read_text(encoding="utf-8")
    assert HEADS.findall(note) == [("article", "smith2020a")]
    assert "Task Routing with Sparse Experts" in note and "{We route tasks.}" in note

    docs = generate(tmp_kb).docs_dir
    page = (docs / "papers" / "smith2020a.md").read_text(encoding="utf-8")
    heads = HEADS.findall(page)
    assert heads and set(heads) == {("article", "smith2020a")}  # page BibTeX and the note's
    other = (docs / "papers" / "smith2020.md").read_text(encoding="utf-8")
    assert set(HEADS.findall(other)) == {("article", "smith2020")}

    # The three agree: the note's entry is the export's, plus nothing but the abstract it has.
    block = exported.split("\n\n")[1].strip()
    assert block in note
    assert "@article{smith2020a," in page and "Task Routing with Sparse Experts" in page


def test_entry_round_trips_and_takes_extra_fields():
    paper = make_paper(key="ruder2017overview", venue="arXiv", topics=["surveys"],
                       fields={"pages": "1–10"}, doi="10.48550/arXiv.1706.05098")
    text = entry(paper, extra={"ids": "ruder2017, ruder2017a"})
    back = parse_bibtex(text).records[0].paper
    assert back.key == "ruder2017overview" and back.topics == ["surveys"]
    assert back.fields["ids"] == "ruder2017, ruder2017a" and back.fields["pages"] == "1–10"
    assert back.arxiv_id == "1706.05098" and back.abstract == paper.abstract
    # stored text keeps its own formatting; the key and extra fields are set in it
    stored = make_paper(key="new", bibtex="@misc{old,\n  title = {T},\n  year = 2017\n}")
    out = entry(stored, extra={"ids": "old"})
    assert out.startswith("@misc{new,\n  title = {T},\n  year = 2017")
    assert parse_bibtex(out).records[0].paper.fields["ids"] == "old"


def test_generated_entries_choose_the_venue_field_by_type():
    def venue_field(entry_type: str) -> str:
        p = make_paper(key="k", arxiv_id=None, entry_type=entry_type, venue="V",
                       authors=[Author(first="A", last="B")])
        return re.search(r"  (\w+) = \{V\}", generate_entry(p)).group(1)

    assert [venue_field(t) for t in ("article", "inproceedings", "incollection", "techreport",
                                     "phdthesis", "misc")] == [
        "journal", "booktitle", "booktitle", "institution", "school", "howpublished"]


def test_with_abstract_adds_it_once():
    text = "@article{k,\n  title = {T}\n}"
    assert with_abstract(text, "A } b") == "@article{k,\nabstract = {A \\} b},\n  title = {T}\n}"
    assert with_abstract(with_abstract(text, "A"), "B").count("abstract") == 1
    assert with_abstract(text, None) == text
