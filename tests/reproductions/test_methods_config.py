"""ConFIG (Liu, Chu & Thuerey 2024), against torchjd's ConFIG (the authors' algorithm)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import ConFIG as TorchJDConFIG

from reproductions.methods import METHODS, ConFIG


def test_registered():
    assert METHODS["config"] is ConFIG


def test_common_properties():
    run_common(lambda T: ConFIG(T))


def test_agrees_with_torchjd():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        d, _ = ConFIG(T).aggregate(G)
        for b in range(3):
            ref = TorchJDConFIG()(G[b])
            assert float(torch.nn.functional.cosine_similarity(d[b], ref, dim=0)) >= 0.999999
            torch.testing.assert_close(d[b], ref, atol=1e-7 * ref.norm(), rtol=1e-6)


def test_equal_positive_projections_on_unit_gradients():
    """With independent gradients, d has the same positive projection on every g_i/||g_i||
    and its length is sum_i g_i . d / ||d||."""
    for seed, T, P in CASES:
        if P < T:
            continue
        G, _ = random_jacobians(seed, 4, T, P)
        d, _ = ConFIG(T).aggregate(G)
        u = G / G.norm(dim=-1, keepdim=True)
        proj = (u @ d.unsqueeze(-1)).squeeze(-1)
        assert (proj > 0).all()
        torch.testing.assert_close(proj, proj[..., :1].expand_as(proj), atol=1e-8, rtol=1e-6)
        length = (G @ d.unsqueeze(-1)).squeeze(-1).sum(-1) / d.norm(dim=-1)
        torch.testing.assert_close(d.norm(dim=-1), length)


def test_opposite_gradients_give_zero():
    a = torch.randn(5, dtype=torch.float64)
    d, _ = ConFIG(2).aggregate(torch.stack([a, -3 * a]))
    assert float(d.norm()) <= 1e-10
