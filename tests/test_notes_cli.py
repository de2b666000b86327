"""End to end through the real ``mtlkb`` command: ``note`` and ``notes``."""

import json
import sys
from pathlib import Path

from kbtest import make_paper, put, run_cli

from kb.models import Author

FIXTURES = Path(__file__).parent / "fixtures" / "notes"


def _seed(kb):
    put(kb,
        make_paper(topics=["survey"]),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020,
                   topics=["gradients"]))


def test_note_prints_path_creates_once_and_refuses_bad_refs(tmp_kb):
    _seed(tmp_kb)
    r = run_cli(tmp_kb, "note", "1706.05098")  # any ref: key, arXiv id, DOI
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path == tmp_kb.notes_dir / "ruder2017overview.md" and path.is_file()
    assert "created notes/ruder2017overview.md" in r.stderr
    path.write_text("mine\n")
    r = run_cli(tmp_kb, "note", "ruder2017overview")
    assert r.returncode == 0 and Path(r.stdout.strip()) == path and "created" not in r.stderr
    assert path.read_text() == "mine\n"
    for bad in ("nobody2020x", "../../etc/passwd"):
        r = run_cli(tmp_kb, "note", bad)
        assert r.returncode == 1 and r.stderr.startswith("error: no paper")
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_kb.notes_dir.iterdir()) == ["ruder2017overview.md"]


def test_note_edit_uses_editor_and_is_picked_up(tmp_kb, tmp_path):
    _seed(tmp_kb)
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "p = sys.argv[-1]\n"
        "t = open(p, encoding='utf-8').read()\n"
        "t = t.replace('Read on:   ', 'Read on: 2024-03-01  ').replace('*0*', '*25*')\n"
        "t = t.replace('__*What do the results mean?*__\\n',"
        " '__*What do the results mean?*__\\nPareto okapi.\\n')\n"
        "open(p, 'w', encoding='utf-8').write(t + '\\n- 1705.07115\\n')\n"
    )
    r = run_cli(tmp_kb, "note", "yu2020gradient", "--edit",
                env={"VISUAL": f"{sys.executable} {editor}", "EDITOR": "false"})
    assert r.returncode == 0, r.stderr
    r = run_cli(tmp_kb, "search", "okapi", "--json")
    assert [h["key"] for h in json.loads(r.stdout)] == ["yu2020gradient"]
    r = run_cli(tmp_kb, "show", "yu2020gradient", "--json")
    note = json.loads(r.stdout)["note"]
    assert (note["answered"], note["questions"]) == (1, 16)
    assert note["read_on"] == "2024-03-01" and note["minutes"] == 25
    assert note["future"] == [{"kind": "arxiv", "ref": "1705.07115", "key": None}]
    r = run_cli(tmp_kb, "note", "yu2020gradient", "--edit", env={"VISUAL": "", "EDITOR": ""})
    assert r.returncode == 1 and "$EDITOR" in r.stderr
    r = run_cli(tmp_kb, "note", "yu2020gradient", "--edit", env={"VISUAL": "false"})
    assert r.returncode == 1 and "editor exited" in r.stderr


def test_notes_table_json_filters_and_future(tmp_kb):
    _seed(tmp_kb)
    tmp_kb.notes_dir.joinpath("ruder2017overview.md").write_bytes(
        (FIXTURES / "answered.md").read_bytes())
    assert run_cli(tmp_kb, "note", "yu2020gradient").returncode == 0

    r = run_cli(tmp_kb, "notes")
    assert r.returncode == 0, r.stderr
    assert "ruder2017overview" in r.stdout and "3/16" in r.stdout and "0/16" in r.stdout
    assert "2020-01-16" in r.stdout and "180" in r.stdout and "multi-task" in r.stdout
    assert "2 paper(s) with notes, 1 read, 180 minutes read" in r.stdout

    r = run_cli(tmp_kb, "notes", "--json")
    items = json.loads(r.stdout)
    assert [set(i) for i in items] == [{"key", "title", "path", "answered", "questions",
                                        "read_on", "minutes", "topics"}] * 2
    assert items[0] == {
        "key": "ruder2017overview",
        "title": "An Overview of Multi-Task Learning in Deep Neural Networks",
        "path": "notes/ruder2017overview.md", "answered": 3, "questions": 16,
        "read_on": "2020-01-16", "minutes": 180, "topics": ["multi-task"],
    }
    r = run_cli(tmp_kb, "notes", "--unread", "--json")
    assert [i["key"] for i in json.loads(r.stdout)] == ["yu2020gradient"]
    r = run_cli(tmp_kb, "notes", "--topic", "gradients", "--json")
    assert [i["key"] for i in json.loads(r.stdout)] == ["yu2020gradient"]
    r = run_cli(tmp_kb, "notes", "--future", "--json")
    assert [m["ref"] for m in json.loads(r.stdout)] == ["1705.07115", "1810.04650",
                                                        "chen2018gradnorm"]


def test_broken_notes_are_reported_not_fatal(tmp_kb):
    _seed(tmp_kb)
    tmp_kb.notes_dir.joinpath("ruder2017overview.md").write_bytes(
        (FIXTURES / "broken_header.md").read_bytes())
    tmp_kb.notes_dir.joinpath("yu2020gradient.md").write_bytes(b"\x00\xff" * 300)
    r = run_cli(tmp_kb, "list")
    assert r.returncode == 0, r.stderr
    assert "warning: notes/ruder2017overview.md:2: header is not valid JSON" in r.stderr
    assert "warning: notes/yu2020gradient.md:1:" in r.stderr
    r = run_cli(tmp_kb, "notes", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert {i["key"]: i["answered"] for i in json.loads(r.stdout)} == {
        "ruder2017overview": 3, "yu2020gradient": 0}
