"""``export --format json`` and ``list --json`` stream a paper at a time: the text is the same
as ``json.dumps`` of the whole document, and papers are read from the store in batches."""

from __future__ import annotations

import json

from kbtest import make_paper, put, run_cli

from kb.config import KB
from kb.core.export import export_record, export_social, json_chunks, paper_json
from kb.core.papers import json_array, list_json
from kb.models import Author
from kb.store import papers as store_papers
from kb.store.papers import iter_papers, list_papers


def _fill(kb: KB, n: int) -> None:
    put(kb, *[make_paper(title=f"Paper number {i} on task weighting", arxiv_id=None,
                         key=f"p{i:03d}", year=2000 + i % 20, topics=[f"t{i % 3}"],
                         authors=[Author(first="Anders", last="Søgaard"),
                                  Author(first="Ann", last=f"Author{i}")],
                         abstract="Ünïcode “quotes” and a {brace}.")
              for i in range(n)])


def test_json_array_is_json_dumps() -> None:
    for items in ([], [{}], [{"a": [1, {"b": "é"}], "c": None}, {"d": []}], [[1, 2], "x"]):
        assert "".join(json_array(items)) == json.dumps(
            items, indent=2, ensure_ascii=False, default=str)


def test_iter_papers_reads_in_batches_and_equals_list_papers(tmp_kb: KB,
                                                             monkeypatch) -> None:
    _fill(tmp_kb, 23)
    seen: list[int] = []
    real = store_papers._papers_from_rows

    def spy(db, rows):
        seen.append(len(rows))
        return real(db, rows)

    monkeypatch.setattr(store_papers, "_papers_from_rows", spy)
    streamed = list(iter_papers(tmp_kb.db, sort="year", batch=5))
    assert seen == [5, 5, 5, 5, 3]
    monkeypatch.setattr(store_papers, "_papers_from_rows", real)
    assert streamed == list_papers(tmp_kb.db, sort="year")
    assert [p.key for p in iter_papers(tmp_kb.db, topic="t1", limit=4)] == [
        "p001", "p004", "p007", "p010"]


def test_export_json_streams_the_same_document(tmp_kb: KB) -> None:
    _fill(tmp_kb, 12)
    papers = list_papers(tmp_kb.db, sort="key")
    whole = json.dumps({"papers": [paper_json(p) for p in papers],
                        "social": export_social(tmp_kb), "record": export_record(tmp_kb)},
                       indent=2, ensure_ascii=False) + "\n"
    chunks = list(json_chunks(tmp_kb, iter(papers)))
    assert "".join(chunks) == whole
    assert len(chunks) == len(papers) + 4  # a chunk a paper, not one text
    empty = json.dumps({"papers": [], "social": export_social(tmp_kb),
                        "record": export_record(tmp_kb)}, indent=2, ensure_ascii=False) + "\n"
    assert "".join(json_chunks(tmp_kb, iter([]))) == empty


def test_cli_export_and_list_json(tmp_kb: KB, tmp_path) -> None:
    _fill(tmp_kb, 7)
    out = run_cli(tmp_kb, "export", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [p["key"] for p in data["papers"]] == [f"p{i:03d}" for i in range(7)]
    assert data["papers"][0]["authors_full"][0] == {"first": "Anders", "last": "Søgaard"}
    target = tmp_path / "out.json"
    assert run_cli(tmp_kb, "export", "--format", "json", "-o", str(target)).returncode == 0
    assert target.read_text(encoding="utf-8") == out.stdout
    again = run_cli(tmp_kb, "export", "--format", "json", "-o", str(target))
    assert again.returncode != 0 and "exists" in again.stderr  # never replaced unasked

    listed = run_cli(tmp_kb, "list", "--json", "--sort", "year", "-n", "3")
    assert listed.returncode == 0, listed.stderr
    expected = [p.public_dict() for p in list_papers(tmp_kb.db, sort="year", limit=3)]
    assert listed.stdout == json.dumps(expected, indent=2, ensure_ascii=False,
                                       default=str) + "\n"
    assert "".join(list_json(tmp_kb, topic="nothing")) == "[]"
    assert json.loads(run_cli(tmp_kb, "list", "--json", "-t", "nothing").stdout) == []
