"""IMTL-G (Liu et al., ICLR 2021)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import IMTLG as TorchJDIMTLG

from reproductions.methods import IMTLG, METHODS


def test_registered():
    assert METHODS["imtl"] is IMTLG


def test_common_properties():
    run_common(lambda T: IMTLG(T))


def test_equal_projections_on_unit_gradients():
    for seed, T, P in CASES:
        if P < T:
            continue
        G, _ = random_jacobians(seed, 8, T, P)
        d, w = IMTLG(T).aggregate(G)
        u = G / G.norm(dim=-1, keepdim=True)
        proj = (u @ d.unsqueeze(-1)).squeeze(-1)
        torch.testing.assert_close(proj, proj[..., :1].expand_as(proj), atol=1e-8, rtol=1e-6)
        torch.testing.assert_close(w.sum(-1), torch.ones(8, dtype=w.dtype))


def test_paper_closed_form():
    """alpha_{2:T} = g_1 U^T (D U^T)^{-1}, alpha_1 = 1 - sum alpha_{2:T}."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 1, T, P)
        G = G[0]
        u = G / G.norm(dim=-1, keepdim=True)
        D = G[:1] - G[1:]
        U = u[:1] - u[1:]
        a = G[0] @ U.T @ torch.linalg.inv(D @ U.T)
        alpha = torch.cat([1 - a.sum(0, keepdim=True), a])
        _, w = IMTLG(T).aggregate(G)
        torch.testing.assert_close(w, alpha, atol=1e-8, rtol=1e-6)


def test_agrees_with_torchjd():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 4, T, P)
        d, _ = IMTLG(T).aggregate(G)
        for b in range(4):
            torch.testing.assert_close(d[b], TorchJDIMTLG()(G[b]), atol=1e-8, rtol=1e-6)
