"""multimnist: the smoke run's sanity verdicts hold on a CPU; seeded runs repeat exactly."""

from __future__ import annotations

from experiment_checks import assert_reproducible, run_smoke

RID = "multimnist"


def test_smoke_verdicts_hold(tmp_path) -> None:
    run_smoke(RID, tmp_path)


def test_seeded_runs_are_reproducible() -> None:
    assert_reproducible(RID, seed=5, n_train=128, n_test=64, epochs=1,
                        methods=["uniform", "mgda_ub"])


def test_multimnist_builder_is_deterministic_and_offline() -> None:
    import numpy as np

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
