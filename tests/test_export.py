"""Export (kb.core.export) in process: generated and stored BibTeX, JSON shape, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kb.config import KB
from kb.core import bib_import
from kb.core.export import export, generate_bibtex, paper_bibtex, paper_json
from kb.core.init import init_kb
from kb.files import write_atomic
from kb.models import Author, Paper
from kb.sources.bibtex_source import parse_bibtex
from kb.store.papers import PaperWriter, list_papers

FIXTURES = Path(__file__).parent / "fixtures" / "bib"


@pytest.fixture
def kb(tmp_kb: KB) -> KB:
    """The shared empty KB (conftest's ``tmp_kb``), under this module's shorter name."""
    return tmp_kb


def test_generated_bibtex_round_trips() -> None:
    paper = Paper(
        key="odd2020", title="Braces {here} & 50% -- a_b ~ \\", year=2020,
        authors=[Author(first="Ann", last="O'Neil"), Author(last="Google Research"),
                 Author(first="Jan", last="van der Berg"), Author(first="Juan", last="De la Cruz")],
        doi="10.1/x_y", arxiv_id="2001.06782", topics=["loss weighting", "mtl"],
        fields={"pages": "1–10", "note": "a {b}"}, venue="NeurIPS", entry_type="inproceedings",
    )
    text = generate_bibtex(paper)
    assert "author = {O'Neil, Ann and {Google Research} and van der Berg, Jan and " in text
    back = parse_bibtex(text).records[0].paper
    assert back.key == paper.key and back.title == paper.title and back.year == 2020
    assert back.authors == paper.authors
    assert back.doi == paper.doi and back.arxiv_id == paper.arxiv_id
    assert back.topics == paper.topics and back.venue == "NeurIPS"
    assert back.fields["pages"] == "1–10" and back.fields["note"] == "a {b}"


def test_arxiv_paper_without_bibtex_exports_as_misc_with_eprint() -> None:
    paper = Paper(key="ruder2017overview", title="An Overview of Multi-Task Learning",
                  authors=[Author(first="Sebastian", last="Ruder")], year=2017,
                  arxiv_id="1706.05098", primary_category="cs.LG",
                  abstract="Multi-task learning (MTL) has led to successes.")
    text = generate_bibtex(paper)
    assert text.startswith("@misc{ruder2017overview,\n  title = {An Overview")
    assert "eprint = {1706.05098}" in text and "archivePrefix = {arXiv}" in text
    back = parse_bibtex(text).records[0].paper
    assert (back.arxiv_id, back.primary_category, back.abstract) == (
        "1706.05098", "cs.LG", paper.abstract)


def test_stored_bibtex_is_exported_faithfully_with_updates() -> None:
    raw = "@article{orig,\n  title = {T},\n  author = {A, B},\n  year = 2020,\n}"
    paper = parse_bibtex(raw).records[0].paper
    assert paper_bibtex(paper) == raw
    paper.key, paper.doi, paper.topics = "renamed", "10.1/z", ["mtl"]
    paper.fields["booktitle"] = "CVPR"
    out = paper_bibtex(paper)
    assert out.startswith("@article{renamed,\n  title = {T},\n  author = {A, B},\n  year = 2020,")
    back = parse_bibtex(out).records[0].paper
    assert (back.key, back.doi, back.topics) == ("renamed", "10.1/z", ["mtl"])
    assert back.fields["booktitle"] == "CVPR"


def test_merged_identifiers_reach_the_exported_text(kb: KB) -> None:
    report = bib_import.run(kb, [FIXTURES / "same_paper.bib"])
    assert not report.failed
    papers = {p.key: p for p in list_papers(kb.db)}
    # @misc from arXiv, merged with the CVPR record: cited as the published version
    text = paper_bibtex(papers["mtan-arxiv"])
    assert text.startswith("@inproceedings{mtan-arxiv,")
    back = parse_bibtex(text).records[0].paper
    assert back.doi == "10.1109/cvpr.2019.00197"
    assert back.arxiv_id == "1803.10704"
    assert back.venue == "CVPR"


def test_json_objects_have_the_public_shape_plus_full_authors(kb: KB) -> None:
    bib_import.run(kb, [FIXTURES / "clean.bib"])
    paper = next(p for p in list_papers(kb.db) if p.key == "google2021pathways")
    obj = paper_json(paper)
    assert set(paper.public_dict()) <= set(obj)
    assert obj["authors"][0] == "Google Research"
    assert obj["authors_full"][0] == {"first": "", "last": "Google Research"}
    assert obj["bibtex"].startswith("@techreport{google2021pathways,")
    assert obj["fields"]["institution"] == "Google"
    json.dumps(obj)  # serialisable


def test_json_reimport_in_process(kb: KB, tmp_path: Path) -> None:
    bib_import.run(kb, [FIXTURES / "clean.bib", FIXTURES / "same_paper.bib"])
    out = tmp_path / "lib.json"
    export(kb, "json", out)
    other = KB(tmp_path / "other")
    init_kb(other)
    report = bib_import.run(other, [out])
    assert not report.failed and len(report.added) == 9
    a = [p.model_dump(exclude={"added_at"}) for p in list_papers(kb.db)]
    b = [p.model_dump(exclude={"added_at"}) for p in list_papers(other.db)]
    assert a == b
    other.close()


def test_export_of_an_empty_kb(kb: KB) -> None:
    assert export(kb, "bibtex") == ""
    data = json.loads(export(kb, "json"))
    assert data == [] or data["papers"] == []


def test_write_atomic_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bib"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomic(target, "new text\n")
    assert target.read_text() == "new text\n"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bib"]


def test_unknown_format_is_refused(kb: KB) -> None:
    with pytest.raises(ValueError):
        export(kb, "ris")


def test_export_after_arxiv_style_put(kb: KB) -> None:
    with kb.write() as db:
        PaperWriter(db).put(Paper(key="x2020y", title="A {weird} title", year=2020,
                                  authors=[Author(first="A", last="B")], arxiv_id="2001.00001"))
    text = export(kb, "bibtex")
    assert "title = {A \\{weird\\} title}" in text
    assert parse_bibtex(text).records[0].paper.title == "A {weird} title"
