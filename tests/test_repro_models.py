"""The typed reproduction records (issue 18): run summaries, a reproduction's status, links."""

from __future__ import annotations

import pytest
from kbtest import make_paper, put

from kb.config import KB, KBError
from kb.models.reproduction import LIST_FIELDS, ReproductionLink, ReproductionStatus
from kb.models.run import Run, RunSummary
from kb.repro import links, runs
from reproductions import registry

FAST = "kendall-uncertainty"


def _run(run_id: str, **more) -> Run:
    return Run(id=run_id, reproduction=FAST, **more)


def test_run_summary_label_and_plots() -> None:
    done = _run("a", status="done", scale="smoke", started_at="2026-12-04T23:00:00+00:00",
                finished_at="2026-12-05T01:00:00+00:00",
                verdicts=[{"claim": "c", "ours": 1, "tolerance": "t", "passed": False}],
                artifacts=["runs/a/loss.png", "runs/a/loss.svg", "runs/a/metrics.json"])
    assert done.summary().label() == "failed (smoke, 2026-12-05)"
    assert done.plots == ["runs/a/loss.png", "runs/a/loss.svg"]
    running = _run("b", status="running", started_at="2026-12-06T10:00:00+00:00")
    assert running.summary().label() == "running (2026-12-06)"  # no verdict, no scale
    assert RunSummary(run_id="c", status="failed").label() == "failed ()"


def test_reproduction_status_keeps_latest_and_reference_apart(tmp_kb: KB) -> None:
    refs = [r for r in runs.reference_runs(FAST) if r.status == "done"]
    runs.record_run(tmp_kb, _run("here", status="done", scale="smoke",
                                 started_at="2031-01-01T00:00:00+00:00",
                                 verdicts=[{"claim": "c", "ours": 1, "tolerance": "t",
                                            "outcome": "failed", "passed": False}]))
    status = runs.reproduction_summary(tmp_kb, registry.get(FAST))
    assert isinstance(status, ReproductionStatus)
    assert (status.last_verdict, status.last_verdict_scale, status.n_runs) == (
        "failed", "smoke", 1)
    assert status.latest is not None and status.latest.run_id == "here"
    assert status.latest_run == status.latest  # the run a page shows: the latest here
    if refs:  # the bundled reference is shown apart, never as the latest verdict
        assert status.reference is not None and status.reference.reference
        assert status.reference.run_id in {r.id for r in refs}
    assert list(status.list_dict()) == list(LIST_FIELDS)


def test_links_first_way_wins_and_link_records(tmp_kb: KB) -> None:
    (added,) = put(tmp_kb, make_paper(title="Uncertainty to weigh losses",
                                      arxiv_id="1705.07115"))
    key = added.key
    made = links.link(tmp_kb, key, FAST)
    assert made == ReproductionLink(paper_key=key, reproduction=FAST, source="manual")
    assert made.public_dict() == {"paper_key": key, "reproduction": FAST, "source": "manual"}
    # linked by arXiv id and by hand: the automatic link is the one shown
    (paper,) = links.linked_papers(tmp_kb, FAST)
    assert (paper.key, paper.source, paper.arxiv_id) == (key, "arxiv", "1705.07115")
    (repro,) = links.linked_reproductions(tmp_kb, key)
    assert (repro.id, repro.source, repro.n_runs) == (FAST, "arxiv", 0)
    removed = links.unlink(tmp_kb, key, FAST)
    assert removed.public_dict() == {"paper_key": key, "reproduction": FAST, "removed": True}


def test_finish_run_sets_the_end_and_keeps_the_start(tmp_kb: KB) -> None:
    run_id = runs.start_run(tmp_kb, FAST, scale="smoke", seed=4, device="cpu",
                            device_name="x86_64", config={"epochs": 3},
                            versions={"torch": "2.9"}, git_commit="abc")
    runs.finish_run(tmp_kb, run_id, status="failed", artifacts=["runs/x/traceback.txt"],
                    wall_s=1.5, error="Traceback ...\nValueError: boom")
    run = runs.get_run(tmp_kb, run_id)
    assert run is not None and run.status == "failed" and run.finished_at and run.wall_s == 1.5
    assert run.artifacts == ["runs/x/traceback.txt"] and run.error.endswith("boom")
    assert run.metrics == {} and run.verdicts == []  # not given: left as they were
    assert (run.config, run.versions, run.git_commit, run.seed) == (
        {"epochs": 3}, {"torch": "2.9"}, "abc", 4)  # the start is kept
    assert run.pid and run.host and run.started_at
    with pytest.raises(KBError, match="bad final status"):
        runs.finish_run(tmp_kb, run_id, status="running")
    with pytest.raises(KBError, match="no run 'gone'"):
        runs.finish_run(tmp_kb, "gone", status="done")
