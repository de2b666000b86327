"""gradnorm-synthetic: the smoke run's sanity verdicts hold on a CPU; seeded runs repeat exactly."""

from __future__ import annotations

from experiment_checks import assert_reproducible, run_smoke

RID = "gradnorm-synthetic"


def test_smoke_verdicts_hold(tmp_path) -> None:
    run_smoke(RID, tmp_path)


def test_seeded_runs_are_reproducible() -> None:
    assert_reproducible(RID, seed=5, steps=40, n_train=400, task_counts=[2])
