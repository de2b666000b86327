"""Parsing BibTeX into Papers (kb.sources.bibtex_source), in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.models import Author, Paper
from kb.sources.bibtex_source import (
    entry_spans,
    parse_bibtex,
    parse_file,
    set_field,
    set_key,
    split_names,
)

FIXTURES = Path(__file__).parent / "fixtures" / "bib"


@pytest.fixture(scope="module")
def clean() -> dict[str, Paper]:
    parsed = parse_file(FIXTURES / "clean.bib")
    assert parsed.problems == []
    return {r.paper.key: r.paper for r in parsed.records}


def test_all_clean_entries_are_read(clean: dict[str, Paper]) -> None:
    assert list(clean) == [
        "kendall2018multi", "ruder2017overview", "sener2018multi", "yu2020gradient",
        "muller2019umlaut", "google2021pathways", "crawshaw2020survey",
    ]


def test_string_macros_and_concatenation(clean: dict[str, Paper]) -> None:
    # booktitle = "Proc. " # cvpr  (macro names are case-insensitive)
    assert clean["kendall2018multi"].venue == (
        "Proc. IEEE Conference on Computer Vision and Pattern Recognition"
    )
    # a macro that is itself a concatenation
    assert clean["crawshaw2020survey"].venue == (
        "Proceedings of the International Conference on Machine Learning"
    )


def test_macros_are_substituted_in_the_kept_bibtex(clean: dict[str, Paper]) -> None:
    text = clean["crawshaw2020survey"].bibtex
    assert "booktitle = {Proceedings of the International Conference on Machine Learning}" in text
    assert "icml" not in text.replace("crawshaw", "")
    # entries without macros are kept byte for byte
    assert clean["ruder2017overview"].bibtex.startswith("@article{ruder2017overview,\n  title")


def test_months(clean: dict[str, Paper]) -> None:
    assert clean["kendall2018multi"].month == 6  # jun macro
    assert clean["muller2019umlaut"].month == 12  # "dec"
    assert clean["crawshaw2020survey"].month == 9  # 9
    assert clean["ruder2017overview"].month is None


def test_year_is_an_int(clean: dict[str, Paper]) -> None:
    assert clean["ruder2017overview"].year == 2017
    assert clean["kendall2018multi"].year == 2018


def test_latex_decoded_to_unicode(clean: dict[str, Paper]) -> None:
    p = clean["muller2019umlaut"]
    assert p.title == "Über die Multitask-Optimierung mit ß-Gewichten – ein Ärger?"
    assert p.venue == "Zeitschrift für Lernen & Optimierung"
    assert p.fields["pages"] == "1–10"
    assert [a.name for a in p.authors] == [
        "Jörg Müller", "José García-López", "Anders Søgaard", "Jan van der Berg",
    ]
    assert p.authors[3].last == "van der Berg"


def test_corporate_authors_stay_one_name(clean: dict[str, Paper]) -> None:
    authors = clean["google2021pathways"].authors
    assert authors == [
        Author(first="", last="Google Research"),
        Author(first="", last="DeepMind Technologies"),
        Author(first="Jeff", last="Dean"),
    ]


@pytest.mark.parametrize(
    ("key", "arxiv_id", "version"),
    [
        ("kendall2018multi", "1705.07115", 3),  # eprint + archivePrefix
        ("ruder2017overview", "1706.05098", None),  # journal = {arXiv preprint arXiv:...}
        ("sener2018multi", "1810.04650", None),  # arXiv URL
        ("yu2020gradient", "2001.06782", None),  # DOI 10.48550/arXiv....
        ("muller2019umlaut", None, None),
    ],
)
def test_arxiv_ids(clean: dict[str, Paper], key: str, arxiv_id: str | None, version) -> None:
    assert clean[key].arxiv_id == arxiv_id
    assert clean[key].arxiv_version == version


@pytest.mark.parametrize(
    ("key", "doi"),
    [
        ("muller2019umlaut", "10.1000/zlo.2019.42"),  # https://doi.org/
        ("google2021pathways", "10.5555/pathways.2021"),  # http://dx.doi.org/
        ("crawshaw2020survey", "10.1234/mtl-survey"),  # doi:
        ("yu2020gradient", "10.48550/arxiv.2001.06782"),
    ],
)
def test_dois_normalised(clean: dict[str, Paper], key: str, doi: str) -> None:
    assert clean[key].doi == doi


def test_keywords_become_topics_and_extra_fields_are_kept(clean: dict[str, Paper]) -> None:
    p = clean["kendall2018multi"]
    assert p.topics == ["loss weighting", "uncertainty", "multi-task learning"]
    assert p.primary_category == "cs.CV"
    assert p.fields["pages"] == "7482–7491"
    assert p.fields["booktitle"].startswith("Proc. IEEE")
    assert "eprint" not in p.fields and "title" not in p.fields
    assert clean["google2021pathways"].fields["note"] == "Technical report"
    assert p.entry_type == "inproceedings"
    assert p.source == "bibtex"


def test_problems_have_file_and_one_based_line() -> None:
    parsed = parse_file(FIXTURES / "broken.bib", "broken.bib")
    assert [r.paper.key for r in parsed.records] == ["good1", "good2", "../escape", "my key"]
    assert [r.line for r in parsed.records] == [3, 24, 30, 41]
    problems = [(p.line, p.kind, p.key) for p in parsed.problems]
    assert problems == [
        (9, "error", "good1"),
        (14, "error", "dupfield"),
        (20, "error", None),
        (36, "error", "notitle"),
    ]
    text = [str(p) for p in parsed.problems]
    assert text[0].startswith(
        "broken.bib:9: error: duplicate key 'good1' (first defined at line 3)"
    )
    assert "repeats field(s) title" in text[1]
    assert text[2].startswith("broken.bib:20: error: could not parse '@article{broken,")
    assert "has no title" in text[3]


def test_undefined_macro_is_a_warning_and_kept() -> None:
    parsed = parse_bibtex("@misc{k, title = {T}, journal = nowhere # { press}}", "x.bib")
    assert parsed.records[0].paper.venue == "nowhere press"
    assert [(p.kind, p.line) for p in parsed.problems] == [("warning", 1)]


def test_strings_must_be_defined_before_use_and_hash_inside_braces() -> None:
    text = "@string{a = {A}}\n@misc{k, title = {C\\# and } # a # {, \"q\" # x}}\n"
    p = parse_bibtex(text).records[0].paper
    assert p.title == 'C# and A, "q" # x'


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Kendall, Alex and Gal, Yarin", [("Alex", "Kendall"), ("Yarin", "Gal")]),
        ("Alex Kendall AND Yarin Gal", [("Alex", "Kendall"), ("Yarin", "Gal")]),
        ("Ludwig van Beethoven", [("Ludwig", "van Beethoven")]),
        ("van der Berg, Jan", [("Jan", "van der Berg")]),
        ("Smith, Jr., John", [("John", "Smith Jr.")]),
        ("{Barnes and Noble}", [("", "Barnes and Noble")]),
        ("{Google Research} and others", [("", "Google Research"), ("", "others")]),
        ("others", []),
        ("M{\\\"u}ller, J{\\\"o}rg", [("Jörg", "Müller")]),
        ("{\\'E}mile Zola", [("Émile", "Zola")]),
        ("Plato", [("", "Plato")]),
        ("", []),
    ],
)
def test_split_names(names: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.first, a.last) for a in split_names(names)] == expected


def test_entry_spans_set_key_and_set_field() -> None:
    raw = '@article{old,\n  title = {A, {B}},\n  year = 2020,\n}'
    spans = entry_spans(raw)
    assert spans is not None and [f[0] for f in spans.fields] == ["title", "year"]
    assert set_key(raw, "new").startswith("@article{new,\n")
    added = set_field(raw, "doi", "10.1/x")
    assert added == '@article{old,\n  title = {A, {B}},\n  year = 2020,\n  doi = {10.1/x},\n}'
    replaced = set_field(raw, "title", "T")
    assert "title = {T}," in replaced
    one_line = set_field("@misc{k, title = {T}}", "year", "2001")
    assert one_line == "@misc{k, title = {T},\n  year = {2001}}"


def test_a_record_the_store_rejects_is_reported_and_the_rest_stored(tmp_path, monkeypatch):
    import sqlite3

    from kb.config import KB
    from kb.core import bib_import
    from kb.core.init import init_kb
    from kb.store import papers as store_papers

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    real_put = store_papers.PaperWriter.put

    def put(self, paper, **kw):
        if paper.key == "sener2018multi":
            raise sqlite3.IntegrityError("simulated constraint failure")
        return real_put(self, paper, **kw)

    monkeypatch.setattr(store_papers.PaperWriter, "put", put)
    report = bib_import.run(kb, [FIXTURES / "clean.bib"])
    assert report.failed and report.written
    assert [str(p).split(": error: ")[0] for p in report.problems] == [
        f"{FIXTURES / 'clean.bib'}:26"
    ]
    assert "simulated constraint failure" in report.problems[0].message
    keys = {r[0] for r in kb.db.conn.execute("SELECT key FROM papers")}
    assert len(keys) == 6 and "sener2018multi" not in keys
    kb.close()
