"""FairGrad (Ban & Ji 2024), against torchjd's FairGrad (the authors' least-squares solve)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import FairGrad as TorchJDFairGrad

from reproductions.methods import METHODS, FairGrad, NashMTL


def test_registered():
    assert METHODS["fairgrad"] is FairGrad


def test_common_properties():
    for alpha in (0.5, 1.0, 2.0):
        run_common(lambda T, a=alpha: FairGrad(T, alpha=a), zero_when_stationary=True)
        run_common(lambda T, a=alpha: FairGrad(T, alpha=a, max_norm=0.0), zero_when_stationary=True)


def test_defaults_follow_the_authors():
    m = FairGrad(3)
    assert m.alpha == 1.0 and m.max_norm == 1.0


def test_agrees_with_torchjd():
    for alpha in (0.5, 1.0, 2.0):
        for seed, T, P in CASES:
            G, _ = random_jacobians(seed, 3, T, P)
            d, _ = FairGrad(T, alpha=alpha, max_norm=0.0).aggregate(G)
            for b in range(3):
                ref = TorchJDFairGrad(alpha=alpha)(G[b])
                assert float(torch.nn.functional.cosine_similarity(d[b], ref, dim=0)) >= 0.999


def test_solves_the_fairness_condition_exactly():
    """K w = w^{-1/alpha} to 1e-8 (also at alpha = 5, where least_squares is looser)."""
    for alpha in (0.5, 1.0, 2.0, 5.0):
        for seed, T, P in CASES:
            G, _ = random_jacobians(seed, 4, T, P)
            _, w = FairGrad(T, alpha=alpha, max_norm=0.0).aggregate(G)
            Kw = ((G @ G.mT) @ w.unsqueeze(-1)).squeeze(-1)
            assert (w > 0).all()
            torch.testing.assert_close(Kw * w ** (1 / alpha), torch.ones_like(w), atol=1e-8, rtol=0)


def test_alpha_one_is_nash_mtl_and_scale_follows_the_power_law():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        d, _ = FairGrad(T, alpha=1.0, max_norm=0.0).aggregate(G)
        dn, _ = NashMTL(T, max_norm=0.0).aggregate(G)
        torch.testing.assert_close(d, dn, atol=1e-8 * dn.abs().max(), rtol=1e-6)
        _, w = FairGrad(T, alpha=2.0, max_norm=0.0).aggregate(G)
        _, w7 = FairGrad(T, alpha=2.0, max_norm=0.0).aggregate(1e-7 * G)
        # K -> s K (s = 1e-14) scales the weights by s^{-alpha/(1+alpha)}
        torch.testing.assert_close(w7, w * 1e-14 ** (-2.0 / 3.0), rtol=1e-6, atol=0)


def test_max_norm_clips():
    G, _ = random_jacobians(0, 4, 3, 10)
    d, w = FairGrad(3).aggregate(100 * G)
    assert (d.norm(dim=-1) <= 1 + 1e-9).all()
    torch.testing.assert_close(d, (w.unsqueeze(-2) @ (100 * G)).squeeze(-2))
