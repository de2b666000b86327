"""``mtlkb repro list|run|show`` and ``mtlkb link``: recorded runs, artifacts, failures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from kbtest import run_cli

from kb.config import KB
from kb.repro import links as repro_links
from kb.repro import runs
from reproductions import registry
from reproductions.spec import overall_verdict

FAST = "kendall-uncertainty"  # about a second at smoke scale


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    return tmp_path / "kb"


def invoke(kb_dir: Path, *args: str):
    return run_cli(None, "--kb", str(kb_dir), *args)


def add_paper(kb_dir: Path, key: str, arxiv_id: str | None = None, doi: str | None = None) -> None:
    kb = KB.find(kb_dir)
    with kb.write() as db:
        db["papers"].insert({"key": key, "arxiv_id": arxiv_id, "doi": doi, "title": key,
                             "title_norm": key, "added_at": "2026-01-01T00:00:00+00:00",
                             "modified_at": "2026-01-01T00:00:00+00:00"})
    kb.close()


def test_list_json(kb_dir: Path) -> None:
    res = invoke(kb_dir, "repro", "list", "--json")
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)
    ids = [i["id"] for i in items]
    assert {"toy-pareto", "kendall-uncertainty", "multimnist"} <= set(ids)
    for item in items:
        assert set(item) >= {"id", "title", "arxiv_ids", "claim", "last_verdict"}
    toy = next(i for i in items if i["id"] == "toy-pareto")
    assert toy["arxiv_ids"] == ["2110.14048", "2202.01017", "2306.03792"]


def test_run_records_and_show(kb_dir: Path) -> None:
    res = invoke(kb_dir, "repro", "run", FAST, "--device", "cpu", "--scale", "smoke",
                 "--seed", "0", "--json")
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)
    assert run["status"] == "done" and run["reproduction"] == FAST
    assert run["device"] == "cpu" and run["scale"] == "smoke" and run["seed"] == 0
    assert run["verdicts"] and all(v["passed"] for v in run["verdicts"])
    for v in run["verdicts"]:
        assert set(v) >= {"claim", "ours", "paper", "tolerance", "passed"}
    assert run["metrics"]["learned_std"][0] > run["metrics"]["learned_std"][1]
    files = [kb_dir / a for a in run["artifacts"]]
    assert any(f.name == "metrics.json" for f in files)
    assert any(f.suffix == ".png" for f in files) and any(f.suffix == ".svg" for f in files)
    assert all(f.is_file() and f.stat().st_size > 0 for f in files)
    assert all(f.parent == kb_dir / "runs" / run["run_id"] for f in files)

    row = sqlite3.connect(kb_dir / "mtlkb.db").execute(
        "SELECT status, device, device_name, seed, scale, wall_s, versions, config, error "
        "FROM runs WHERE id = ?", [run["run_id"]]).fetchone()
    assert row[0] == "done" and row[1] == "cpu" and row[2] and row[3] == 0
    assert row[4] == "smoke" and row[5] > 0 and "torch" in json.loads(row[6])
    assert json.loads(row[7])["seed"] == 0 and row[8] is None

    listed = json.loads(invoke(kb_dir, "repro", "list", "--json").stdout)
    assert next(i for i in listed if i["id"] == FAST)["last_verdict"] == "passed"

    shown = json.loads(invoke(kb_dir, "repro", "show", FAST, "--json").stdout)
    assert shown["reproduction"]["id"] == FAST
    assert shown["runs"][0]["run_id"] == run["run_id"]
    assert shown["runs"][0]["plots"] and shown["runs"][0]["metrics"] == run["metrics"]
    text = invoke(kb_dir, "repro", "show", FAST)
    assert text.exit_code == 0 and run["run_id"] in text.output and "PASS" in text.output


def test_same_seed_same_metrics_and_seeds(kb_dir: Path) -> None:
    res = invoke(kb_dir, "repro", "run", FAST, "--device", "cpu", "--seeds", "2", "--json",
                 "--set", "epochs=30")
    assert res.exit_code in (0, 2), res.output  # 2: a claim failed (30 epochs is short)
    out = json.loads(res.stdout)
    assert isinstance(out, list) and [r["seed"] for r in out] == [0, 1]
    again = json.loads(invoke(kb_dir, "repro", "run", FAST, "--device", "cpu", "--seed", "1",
                              "--json", "--set", "epochs=30").stdout)
    assert again["metrics"] == out[1]["metrics"]
    assert again["run_id"] != out[1]["run_id"]
    assert len(runs.runs_for(KB.find(kb_dir), FAST, include_reference=False)) == 3


def test_crash_marks_failed_with_traceback(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reproductions.experiments import kendall_uncertainty

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash")

    before = json.loads(invoke(kb_dir, "repro", "list", "--json").stdout)
    monkeypatch.setattr(kendall_uncertainty, "run", boom)
    res = invoke(kb_dir, "repro", "run", FAST, "--device", "cpu",
                                   "--json")
    assert res.exit_code == 1
    run = json.loads(res.stdout)
    assert run["status"] == "failed" and "simulated crash" in run["error"]
    tb = kb_dir / run["artifacts"][0]
    assert tb.name == "traceback.txt" and "simulated crash" in tb.read_text()
    # a crash is no verdict on the claim: the last verdict (reference runs only) is unchanged
    after = json.loads(invoke(kb_dir, "repro", "list", "--json").stdout)
    assert [i["last_verdict"] for i in after] == [i["last_verdict"] for i in before]


def test_interrupt_marks_interrupted(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reproductions.experiments import kendall_uncertainty

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(kendall_uncertainty, "run", interrupted)
    res = invoke(kb_dir, "repro", "run", FAST, "--device", "cpu")
    assert res.exit_code == 130
    rows = runs.runs_for(KB.find(kb_dir), FAST, include_reference=False)
    assert len(rows) == 1 and rows[0].status == "interrupted"
    assert "KeyboardInterrupt" in (rows[0].error or "")
    assert (kb_dir / "runs" / rows[0].id / "traceback.txt").is_file()


def test_bad_input_is_one_line_error(kb_dir: Path) -> None:
    for args in (("repro", "run", "nope", "--device", "cpu"),
                 ("repro", "run", FAST, "--scale", "huge"),
                 ("repro", "show", "nope"),
                 ("link", "no-paper", FAST),
                 ("repro", "run", FAST, "--set", "no_such_field=1")):
        res = invoke(kb_dir, *args)
        assert res.exit_code == 1, (args, res.stdout)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("error:"), res.stderr


def test_links_automatic_and_manual(kb_dir: Path) -> None:
    add_paper(kb_dir, "navon2022nash", arxiv_id="2202.01017")
    add_paper(kb_dir, "ma2018mmoe", doi="10.1145/3219819.3220007")
    add_paper(kb_dir, "caruana1997", None)
    kb = KB.find(kb_dir)
    auto = repro_links.linked_reproductions(kb, "navon2022nash")
    assert [(r.id, r.source) for r in auto] == [("toy-pareto", "arxiv"), ("qm9", "arxiv")]
    assert auto[0].claim and auto[0].last_verdict is None
    mmoe = repro_links.linked_reproductions(kb, "ma2018mmoe")
    assert [r.id for r in mmoe] == ["mmoe-synthetic"]
    assert repro_links.linked_reproductions(kb, "caruana1997") == []
    kb.close()

    res = invoke(kb_dir, "link", "caruana1997", "mmoe-synthetic", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"paper_key": "caruana1997", "reproduction": "mmoe-synthetic",
                                      "source": "manual"}
    kb = KB.find(kb_dir)
    linked = repro_links.linked_reproductions(kb, "caruana1997")
    assert [(r.id, r.source) for r in linked] == [("mmoe-synthetic", "manual")]
    papers = repro_links.linked_papers(kb, "mmoe-synthetic")
    assert {p.key for p in papers} == {"ma2018mmoe", "caruana1997"}
    kb.close()
    # a paper the registry names by key (PLE has no arXiv id) is linked both ways
    add_paper(kb_dir, "tang2020progressive", None)
    kb = KB.find(kb_dir)
    papers = repro_links.linked_papers(kb, "mmoe-synthetic")
    assert {(p.key, p.source) for p in papers} == {
        ("ma2018mmoe", "doi"), ("caruana1997", "manual"), ("tang2020progressive", "registry")}
    assert [(r.id, r.source) for r in repro_links.linked_reproductions(
        kb, "tang2020progressive")] == [("mmoe-synthetic", "registry")]
    refs = [r for r in runs.reference_runs("mmoe-synthetic") if r.scale == "full"]
    expected = None if not refs else overall_verdict(refs[0].verdicts)
    assert expected in (None, "passed", "failed", "inconclusive")
    # no run here yet: the latest verdict is none, the bundled reference is shown apart
    assert runs.last_verdict(kb, "mmoe-synthetic") is None
    summary = runs.reproduction_summary(kb, registry.get("mmoe-synthetic"))
    assert summary.latest is None and summary.last_verdict is None
    assert (summary.reference.verdict if summary.reference else None) == expected
    assert expected is None or (summary.reference and summary.reference.reference)
    kb.close()
    shown = json.loads(invoke(kb_dir, "repro", "show", "mmoe-synthetic", "--json").stdout)
    assert {p["key"] for p in shown["reproduction"]["papers"]} == {
        "ma2018mmoe", "caruana1997", "tang2020progressive"}


def test_reference_runs_are_listed(kb_dir: Path) -> None:
    kb = KB.find(kb_dir)
    refs = runs.reference_runs()
    for ref in refs:
        assert ref.reference and ref.status == "done"
        ids = [r.id for r in runs.runs_for(kb, ref.reproduction)]
        assert ref.id in ids
    kb.close()


def test_plain_cli_does_not_import_torch(kb_dir: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kb.cli import app\n"
        f"r = CliRunner().invoke(app, ['--kb', {str(kb_dir)!r}, 'repro', 'list', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(app, ['--kb', {str(kb_dir)!r}, 'repro', 'show', 'toy-pareto'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_reading_creates_no_store(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert invoke(empty, "repro", "list", "--json").exit_code == 0
    assert invoke(empty, "repro", "show", "toy-pareto", "--json").exit_code == 0
    assert not (empty / "mtlkb.db").exists()


# The JSON shapes of the typed reproduction records (issue 18): key names in their order, as
# scripts reading ``repro list|show --json``, ``show --json`` and ``link --json`` see them.
SUMMARY_KEYS = ["run_id", "status", "scale", "seed", "device", "started_at", "finished_at",
                "wall_s", "verdict", "reference"]
STATUS_KEYS = ["id", "title", "arxiv_ids", "claim", "doi", "last_verdict", "last_verdict_scale",
               "latest", "reference", "latest_run", "n_runs"]
RUN_KEYS = ["run_id", "reproduction", "status", "device", "device_name", "scale", "seed",
            "metrics", "verdicts", "verdict", "artifacts", "config", "started_at",
            "finished_at", "wall_s", "git_commit", "versions", "error", "reference"]


def test_json_shapes_are_pinned(kb_dir: Path) -> None:
    add_paper(kb_dir, "kendall2018", arxiv_id="1705.07115")
    add_paper(kb_dir, "caruana1997", None)
    kb = KB.find(kb_dir)
    runs.record_run(kb, runs.Run(
        id="ku-here", reproduction=FAST, status="done", scale="smoke", seed=3, device="cpu",
        verdicts=[{"claim": "c", "ours": 1.0, "paper": 1.0, "tolerance": "10%",
                   "outcome": "failed", "passed": False}],
        artifacts=["runs/ku-here/loss.svg", "runs/ku-here/metrics.json"],
        started_at="2030-01-01T00:00:00+00:00", finished_at="2030-01-01T00:00:05+00:00",
        wall_s=5.0))
    kb.close()

    linked = json.loads(invoke(kb_dir, "link", "caruana1997", FAST, "--json").stdout)
    assert linked == {"paper_key": "caruana1997", "reproduction": FAST, "source": "manual"}

    listed = json.loads(invoke(kb_dir, "repro", "list", "--json").stdout)
    item = next(i for i in listed if i["id"] == FAST)
    assert list(item) == ["id", "title", "arxiv_ids", "claim", "last_verdict",
                          "last_verdict_scale", "doi", "n_runs", "latest", "reference"]
    assert list(item["latest"]) == SUMMARY_KEYS
    assert (item["latest"]["run_id"], item["latest"]["verdict"]) == ("ku-here", "failed")
    assert item["last_verdict"] == "failed" and item["n_runs"] == 1

    shown = json.loads(invoke(kb_dir, "repro", "show", FAST, "--json").stdout)
    assert list(shown) == ["reproduction", "runs"]
    assert list(shown["reproduction"]) == STATUS_KEYS + ["papers", "module"]
    assert [list(p) for p in shown["reproduction"]["papers"]] == [
        ["key", "title", "arxiv_id", "source"]] * 2
    assert [(p["key"], p["source"]) for p in shown["reproduction"]["papers"]] == [
        ("caruana1997", "manual"), ("kendall2018", "arxiv")]
    here = next(r for r in shown["runs"] if r["run_id"] == "ku-here")
    assert list(here) == RUN_KEYS + ["plots"]
    assert here["plots"] == ["runs/ku-here/loss.svg"]

    paper = json.loads(invoke(kb_dir, "show", "kendall2018", "--json").stdout)
    (repro,) = paper["reproductions"]
    assert list(repro) == STATUS_KEYS + ["source"]
    assert repro["source"] == "arxiv" and list(repro["latest_run"]) == SUMMARY_KEYS

    removed = json.loads(invoke(kb_dir, "link", "caruana1997", FAST, "--remove", "--json").stdout)
    assert removed == {"paper_key": "caruana1997", "reproduction": FAST, "removed": True}
