"""mmoe-synthetic: the smoke run's verdicts never fail (seeds 0-2, 1 and 2 threads); seeded
runs repeat exactly; the data generator sets the label correlation by the cosine p."""

from __future__ import annotations

import numpy as np
import pytest
from experiment_checks import assert_reproducible, run_smoke, smoke_never_fails

RID = "mmoe-synthetic"


def test_smoke_verdicts_hold(tmp_path) -> None:
    run_smoke(RID, tmp_path)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("threads", [1, 2])
def test_smoke_never_fails(seed: int, threads: int) -> None:
    smoke_never_fails(RID, seed, threads)


def test_seeded_runs_are_reproducible() -> None:
    assert_reproducible(RID, seed=5, steps=30, repeats=2, n_train=500, n_test=200)


def test_label_correlation_rises_with_the_cosine() -> None:
    from reproductions.experiments.mmoe_synthetic import Config, make_data

    cfg = Config()
    rs = []
    for p in (0.0, 0.5, 0.9, 1.0):
        _, y = make_data(p, 5000, cfg, seed=0)
        rs.append(float(np.corrcoef(y[:, 0].numpy(), y[:, 1].numpy())[0, 1]))
    assert all(a < b for a, b in zip(rs, rs[1:], strict=False)), rs
    assert rs[-1] > 0.99
