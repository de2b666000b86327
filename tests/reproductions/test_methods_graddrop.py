"""GradDrop (Chen et al. 2020)."""

from __future__ import annotations

import torch
from method_checks import random_jacobians, run_common
from torchjd.aggregation import GradDrop as TorchJDGradDrop

from reproductions.methods import METHODS, GradDrop


def test_registered():
    assert METHODS["graddrop"] is GradDrop


def test_common_properties():
    # Same U for a permuted task order, so the update is order-invariant.
    run_common(lambda T: GradDrop(T, seed=0), deterministic=False, weighted_sum=False)


def test_each_coordinate_keeps_one_sign():
    G, _ = random_jacobians(0, 10, 4, 50)
    d, _ = GradDrop(4, seed=0).aggregate(G)
    pos = G.clamp_min(0).sum(-2)
    neg = G.clamp_max(0).sum(-2)
    kept_pos = (d - pos).abs() < 1e-12
    kept_neg = (d - neg).abs() < 1e-12
    assert (kept_pos | kept_neg).all()


def test_pure_signs_never_dropped():
    """Where all tasks agree in sign (purity 0 or 1) the coordinate is the plain sum."""
    G = torch.rand(3, 20, dtype=torch.float64)
    G[:, 10:] *= -1
    d, _ = GradDrop(3, seed=0).aggregate(G)
    torch.testing.assert_close(d, G.sum(0))


def test_full_leak_is_sum():
    G, _ = random_jacobians(1, 4, 3, 9)
    d, _ = GradDrop(3, leak=1.0, seed=0).aggregate(G)
    torch.testing.assert_close(d, G.sum(-2))


def test_agrees_with_torchjd_same_uniforms():
    for seed in range(10):
        G, _ = random_jacobians(seed, 1, 3, 25)
        torch.manual_seed(seed)
        ours, _ = GradDrop(3).aggregate(G[0])
        torch.manual_seed(seed)
        ref = TorchJDGradDrop()(G[0])
        torch.testing.assert_close(ours, ref)
