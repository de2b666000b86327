"""CSL-JSON (Zotero / Better BibTeX exports) through the CSL-JSON file source and ``mtlkb
import``: told apart from mtlkb's JSON, fields mapped, bad items named by line, index and id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kbtest import run_cli

from kb.sources.csl_json import CslError, CslJsonFiles, is_csl, item_to_paper, parse_csl
from kb.sources.registry import read_files

FIXTURES = Path(__file__).parent / "fixtures" / "csl"
ZOTERO = FIXTURES / "zotero_export.json"
BBT = FIXTURES / "betterbibtex_export.json"


def _read(path: Path):
    text = path.read_text(encoding="utf-8")
    return parse_csl(json.loads(text), text, path.name)


def test_zotero_export_maps_every_field():
    result = _read(ZOTERO)
    kendall, caruana, ruder = (r.paper for r in result.records)
    assert kendall.key is None  # Zotero's ids are URLs: the store makes a key
    assert (kendall.entry_type, kendall.year, kendall.doi) == (
        "inproceedings", 2018, "10.1109/cvpr.2018.00781")
    assert kendall.venue.startswith("Proceedings of the IEEE Conference on Computer Vision")
    assert kendall.fields == {"pages": "7482–7491"}
    assert kendall.arxiv_id == "1705.07115"  # from Zotero's "arXiv: ..." note
    assert [(a.first, a.last) for a in kendall.authors] == [
        ("Alex", "Kendall"), ("Yarin", "Gal"), ("Roberto", "Cipolla")]
    assert kendall.abstract.startswith("Numerous deep learning applications")
    assert caruana.entry_type == "article" and caruana.venue == "Machine Learning"
    assert caruana.fields == {"pages": "41–75", "volume": "28", "number": "1",
                              "issn": "1573-0565"}
    assert (ruder.entry_type, ruder.year, ruder.month) == ("misc", 2017, 6)
    assert ruder.arxiv_id == "1706.05098" and ruder.url == "http://arxiv.org/abs/1706.05098"
    assert ruder.topics == ["surveys", "architectures/hard-sharing"]
    assert ruder.source == "csl-json"


def test_bad_items_are_named_by_line_index_and_id():
    result = _read(ZOTERO)
    assert len(result.records) == 3
    lines = [str(p) for p in result.problems]
    text = ZOTERO.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("zotero_export.json:")
    line = int(lines[0].split(":")[1])
    assert text[line - 1].strip() == "{" and "NOTITLE1" in text[line]  # the item's own line
    assert "item 4 ('http://zotero.org/users/local/kQ3xT9bL/items/NOTITLE1'): no title" in lines[0]
    assert "item 5 ('http://zotero.org/users/local/kQ3xT9bL/items/BADDATE1')" in lines[1]
    assert "is not a date; not imported" in lines[1]
    assert "item 6: not an object; not imported" in lines[2]
    assert all(p.kind == "error" for p in result.problems)


def test_better_bibtex_keys_particles_and_literal_names():
    a, b = (r.paper for r in _read(BBT).records)
    assert (a.key, b.key) == ("misra2016cross", "vandenhende2021multi")
    assert [x.last for x in b.authors][2:] == ["Van Gansbeke", "Proesmans", "Dai", "Van Gool"]
    assert b.arxiv_id == "2004.13379"
    p = item_to_paper({"type": "report", "title": "T", "author": [{"literal": "A Group"}],
                       "issued": {"raw": "2019-05"}, "publisher": "P", "number": "TR-7"})
    assert (p.entry_type, p.year, p.authors[0].last, p.authors[0].first) == (
        "techreport", 2019, "A Group", "")
    assert p.venue == "P" and p.fields["number"] == "TR-7"
    with pytest.raises(CslError, match="author is not a list"):
        item_to_paper({"type": "book", "title": "T", "author": "Someone"})


def test_recognised_apart_from_mtlkb_json():
    assert is_csl([{"id": "x", "type": "book", "title": "T"}])
    assert is_csl({"id": "x", "type": "book", "title": "T"})  # one item
    assert not is_csl([{"key": "k", "title": "T", "entry_type": "article"}])
    assert not is_csl({"papers": [], "social": {}})
    mtlkb_json = json.dumps([{"key": "k1", "title": "Own", "authors": ["A B"],
                              "fields": {"type": "PhD thesis"}}])
    zotero = ZOTERO.read_text(encoding="utf-8")
    out = read_files([("mine.json", mtlkb_json), ("zotero.json", zotero)])
    assert [r.paper.source for r in out.records] == ["json", "csl-json", "csl-json", "csl-json"]
    source = CslJsonFiles()
    assert not source.match("refs.bib", "@article{k, title={T}}")
    assert not source.match("broken.json", "[{")  # left to mtlkb JSON, which reports the line


def test_import_cli_reads_zotero_and_better_bibtex(tmp_path):
    kb = tmp_path / "kb"
    assert run_cli(None, "--kb", str(kb), "init").returncode == 0
    r = run_cli(kb, "import", str(BBT))
    assert r.returncode == 0, r.stderr
    assert "2 entries read from 1 file(s): 2 added" in r.stdout
    r = run_cli(kb, "import", str(ZOTERO))
    assert r.returncode == 1  # three bad items
    errors = [line for line in r.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 3 and all(line.startswith(f"{ZOTERO}:") for line in errors)
    assert "3 entries read from 1 file(s): 3 added" in r.stdout
    r = run_cli(kb, "show", "misra2016cross", "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["doi"] == "10.1109/cvpr.2016.433" and shown["year"] == 2016
    r = run_cli(kb, "export")
    assert "@inproceedings{misra2016cross," in r.stdout and "pages = {3994–4003}" in r.stdout
