"""GradVac (Wang et al. 2021), against torchjd's GradVac with the same random orders."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import GradVac as TorchJDGradVac

from reproductions.methods import METHODS, GradVac, PCGrad


def test_registered():
    assert METHODS["gradvac"] is GradVac and GradVac.stochastic


def test_common_properties():
    run_common(lambda T: GradVac(T, seed=0), deterministic=False, permutation_invariant=False)


def test_agrees_with_torchjd_seeded_over_steps():
    """Both draw the visiting orders with torch.randperm from torch's global generator in
    the same sequence: with the same seed the updates agree, step after step (the EMA
    targets included)."""
    for seed, T, P in CASES:
        ours, ref = GradVac(T), TorchJDGradVac()
        for step in range(4):
            G, _ = random_jacobians(100 * seed + step, 1, T, P)
            torch.manual_seed(step)
            d, _ = ours.aggregate(G[0])
            torch.manual_seed(step)
            r = ref(G[0])
            torch.testing.assert_close(d, r, atol=1e-9 * r.norm(), rtol=1e-7)


def test_first_step_with_two_tasks_is_pcgrad():
    """phi_hat starts at 0, so the first correction projects out conflicts, as PCGrad."""
    for seed in range(10):
        G, _ = random_jacobians(seed, 1, 2, 9)
        d, _ = GradVac(2, seed=0).aggregate(G[0])
        p, _ = PCGrad(2, seed=0).aggregate(G[0])  # two tasks: the order does not matter
        torch.testing.assert_close(d, p, atol=1e-7 * p.norm(), rtol=1e-6)


def test_targets_follow_the_ema():
    G, _ = random_jacobians(3, 1, 2, 6)
    m = GradVac(2, beta=0.5, seed=0)
    m.aggregate(G[0])
    c = float(torch.nn.functional.cosine_similarity(G[0, 0], G[0, 1], dim=0))
    assert m.phi_hat is not None
    assert abs(m.phi_hat[0][0][1] - 0.5 * c) < 1e-8 and abs(m.phi_hat[0][1][0] - 0.5 * c) < 1e-8
