"""Sweeps on submitit: cells, run keys, resuming, a failed cell, the results table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.config import KB, KBError
from kb.repro.runs import runs_for
from kb.repro.sweep import interval, parse_seeds, results_table, run_sweep

FAST = {"steps_cagrad": 200, "steps_nashmtl": 200}


def test_parse_seeds() -> None:
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("3,0-1, 9") == [0, 1, 3, 9]
    for bad in ("", "a", "1-x"):
        with pytest.raises(KBError):
            parse_seeds(bad)


def test_interval_is_the_t_interval() -> None:
    iv = interval([1.0, 2.0, 3.0])
    # mean 2, sd 1, t_{0.975, 2} = 4.303: half-width 4.303 / sqrt(3)
    assert iv.mean == 2.0 and iv.n == 3
    assert iv.high - iv.mean == pytest.approx(4.303 / 3 ** 0.5)
    assert interval([5.0]).low == interval([5.0]).high == 5.0


def test_three_seed_local_sweep_records_runs_and_is_idempotent(tmp_kb: KB) -> None:
    seen = []
    report = run_sweep(tmp_kb, "toy-pareto", methods=["equal"], seeds=[0, 1, 2],
                       scale="smoke", executor="local", parallel=2, overrides=FAST,
                       on_cell=seen.append)
    assert [c.status for c in report.cells] == ["done"] * 3
    assert len(seen) == 3 and all(c.run_id for c in report.cells)
    runs = runs_for(tmp_kb, "toy-pareto", include_reference=False)
    assert {r.id for r in runs} == {c.run_id for c in report.cells}
    assert all(r.status == "done" and r.config["methods"] == ["equal"] for r in runs)
    (row,) = report.table
    assert row.method == "equal" and row.seeds == [0, 1, 2]
    assert row.metrics["cagrad.n_reached"].n == 3
    again = run_sweep(tmp_kb, "toy-pareto", methods=["equal"], seeds=[0, 1, 2], scale="smoke",
                      executor="local", overrides=FAST)
    assert [c.status for c in again.cells] == ["skipped"] * 3
    assert [c.run_id for c in again.cells] == [c.run_id for c in report.cells]
    assert len(runs_for(tmp_kb, "toy-pareto", include_reference=False)) == 3


def test_a_failed_cell_is_reported_and_the_rest_go_on(tmp_kb: KB, monkeypatch) -> None:
    from reproductions import runner

    real = runner.execute

    def flaky(repro_id, config, *args, **kwargs):
        if config.seed == 1:
            raise RuntimeError("boom at seed 1")
        return real(repro_id, config, *args, **kwargs)

    monkeypatch.setattr(runner, "execute", flaky)
    report = run_sweep(tmp_kb, "toy-pareto", methods=["famo", "ls"], seeds=[0, 1],
                       executor="debug", overrides=FAST)
    by = {(c.method, c.seed): c for c in report.cells}
    assert by[("famo", 1)].status == by[("ls", 1)].status == "failed"
    assert "boom at seed 1" in (by[("famo", 1)].error or "")
    assert by[("famo", 0)].status == by[("ls", 0)].status == "done"
    assert [r.method for r in report.table] == ["famo", "ls"]
    assert report.table[0].paper == {"nashmtl.n_reached": 5}
    # the failed cells are not finished: a rerun (now healthy) runs only those
    monkeypatch.setattr(runner, "execute", real)
    rerun = run_sweep(tmp_kb, "toy-pareto", methods=["famo", "ls"], seeds=[0, 1],
                      executor="debug", overrides=FAST)
    assert {(c.method, c.seed): c.status for c in rerun.cells} == {
        ("famo", 0): "skipped", ("ls", 0): "skipped", ("famo", 1): "done", ("ls", 1): "done"}


def test_a_killed_sweep_resumes_where_it_stopped(tmp_kb: KB) -> None:
    script = (
        "import sys; from pathlib import Path; from kb.config import KB; "
        "from kb.repro.sweep import run_sweep; "
        f"run_sweep(KB(Path({str(tmp_kb.root)!r})), 'toy-pareto', methods=['equal'], "
        f"seeds=[0, 1, 2, 3], executor='local', overrides={FAST!r}, "
        "on_cell=lambda c: print(c.status, flush=True))"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # one cell finished
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first.strip() == "done"
    time.sleep(0.2)
    finished = [r for r in runs_for(tmp_kb, "toy-pareto", include_reference=False)
                if r.status == "done"]
    assert 1 <= len(finished) < 4
    report = run_sweep(KB(Path(tmp_kb.root)), "toy-pareto", methods=["equal"],
                       seeds=[0, 1, 2, 3], executor="local", overrides=FAST)
    statuses = [c.status for c in report.cells]
    assert statuses.count("skipped") == len(finished) and "failed" not in statuses
    assert results_table(tmp_kb, "toy-pareto")[0].seeds == [0, 1, 2, 3]


def test_methods_on_an_experiment_without_a_method_list_are_refused(tmp_kb: KB) -> None:
    with pytest.raises(KBError, match="no list of methods"):
        run_sweep(tmp_kb, "kendall-uncertainty", methods=["ls"], seeds=[0], executor="debug")


def test_sweep_and_list_through_the_cli(tmp_kb: KB) -> None:
    from kbtest import run_cli

    args = ["repro", "sweep", "toy-pareto", "--methods", "famo", "--seeds", "0-1",
            "--executor", "debug", "--set", "steps_cagrad=200", "--set", "steps_nashmtl=200"]
    res = run_cli(tmp_kb, *args, "--json")
    assert res.returncode == 0, res.stderr
    import json

    out = json.loads(res.stdout)
    assert [c["status"] for c in out["cells"]] == ["done", "done"]
    (row,) = out["table"]
    assert row["method"] == "famo" and row["paper"] == {"nashmtl.n_reached": 5}
    again = run_cli(tmp_kb, *args)
    assert again.returncode == 0 and again.stdout.count("skipped") == 2
    assert "95% interval" in again.stdout
    # the latest run here (a smoke run with failed sanity checks at 200 steps) is shown, and
    # the bundled full-scale reference apart, labelled
    listed = json.loads(run_cli(tmp_kb, "repro", "list", "--json").stdout)
    toy = next(i for i in listed if i["id"] == "toy-pareto")
    assert toy["latest"]["scale"] == "smoke" and toy["latest"]["verdict"] == toy["last_verdict"]
    assert toy["reference"]["reference"] is True and toy["reference"]["scale"] == "full"
    text = run_cli(tmp_kb, "repro", "list").stdout
    assert "reference (bundled)" in text
    bad = run_cli(tmp_kb, "repro", "sweep", "toy-pareto", "--seeds", "x")
    assert bad.returncode == 1 and "--seeds" in bad.stderr


def test_a_cell_is_one_seed_of_an_experiment_that_repeats_seeds() -> None:
    from kb.repro.sweep import plan

    cells = plan("kendall-uncertainty", None, [0, 1, 2], "smoke")
    assert [(m, s, extra) for m, s, extra in cells] == [
        (None, 0, {"n_seeds": 1}), (None, 1, {"n_seeds": 1}), (None, 2, {"n_seeds": 1})]
    # the sweep's own override wins; an experiment without n_seeds gets none
    assert plan("kendall-uncertainty", None, [0], "smoke", {"n_seeds": 2})[0][2] == {
        "n_seeds": 2}
    assert "n_seeds" not in plan("toy-pareto", ["famo"], [0], "smoke")[0][2]
