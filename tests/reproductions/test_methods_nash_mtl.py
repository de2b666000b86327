"""Nash-MTL (Navon et al. 2022)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import FairGrad

from reproductions.methods import METHODS, NashMTL
from reproductions.methods.nash_mtl import nash_weights, nash_weights_2


def test_registered():
    assert METHODS["nashmtl"] is NashMTL


def test_common_properties():
    run_common(lambda T: NashMTL(T))


def test_bargaining_condition_on_random_jacobians():
    """alpha_i (K alpha)_i = 1 with K = G G^T, alpha > 0, on 100+ random Jacobians."""
    for seed in range(15):
        for T, P in ((3, 20), (5, 16), (10, 40)):
            G, _ = random_jacobians(seed, 8, T, P)
            _, w = NashMTL(T).aggregate(G)
            K = G @ G.mT
            prod = w * (K @ w.unsqueeze(-1)).squeeze(-1)
            assert (w > 0).all()
            torch.testing.assert_close(prod, torch.ones_like(prod), atol=1e-8, rtol=1e-8)


def test_two_task_closed_form_matches_newton():
    for seed in range(30):
        G, _ = random_jacobians(seed, 4, 2, 9)
        K = G @ G.mT
        closed = nash_weights_2(K)
        torch.testing.assert_close(nash_weights(K), closed, atol=1e-10, rtol=1e-8)
        prod = closed * (K @ closed.unsqueeze(-1)).squeeze(-1)
        torch.testing.assert_close(prod, torch.ones_like(prod))


def test_agrees_with_torchjd_fairgrad_alpha_1():
    """FairGrad with alpha = 1 solves K w = 1 / w: the exact Nash bargaining solution."""
    for seed, T, P in CASES:
        if P < T:
            continue
        G, _ = random_jacobians(seed, 3, T, P)
        d, w = NashMTL(T).aggregate(G)
        for b in range(3):
            ref_w = (
                FairGrad(alpha=1.0)._weighting(G[b] @ G[b].T)
                if hasattr(FairGrad(1.0), "_weighting")
                else None
            )
            agg = FairGrad(alpha=1.0)(G[b])
            torch.testing.assert_close(d[b], agg, atol=1e-5 * agg.abs().max().item(), rtol=1e-4)
            del ref_w


def test_max_norm_clips_direction():
    G, _ = random_jacobians(0, 4, 3, 10)
    G = G * 100
    d, w = NashMTL(3, max_norm=1.0).aggregate(G)
    assert (d.norm(dim=-1) <= 1 + 1e-9).all()
    torch.testing.assert_close(d, (w.unsqueeze(-2) @ G).squeeze(-2))


def test_update_weights_every_reuses():
    G1, _ = random_jacobians(0, 1, 3, 10)
    G2, _ = random_jacobians(1, 1, 3, 10)
    m = NashMTL(3, update_weights_every=2)
    _, w1 = m.aggregate(G1[0])
    _, w2 = m.aggregate(G2[0])
    _, w3 = m.aggregate(G2[0])
    assert torch.equal(w1, w2) and not torch.equal(w2, w3)


def test_opposite_gradients_give_finite_weights_and_a_bounded_direction():
    import torch

    from reproductions.methods.nash_mtl import NashMTL

    G = torch.tensor([[[1.0, 0.0], [-2.0, 0.0]]])
    d, w = NashMTL(2).aggregate(G, torch.ones(1, 2))
    assert torch.isfinite(w).all() and torch.isfinite(d).all()
    assert d.norm() <= 2**0.5
