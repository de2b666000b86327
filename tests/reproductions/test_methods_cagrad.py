"""CAGrad (Liu et al. 2021)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from method_checks import CASES, random_jacobians, run_common
from scipy.optimize import minimize

from reproductions.methods import METHODS, CAGrad
from reproductions.methods.cagrad import cagrad_dual


def test_registered():
    assert METHODS["cagrad"] is CAGrad


def test_common_properties():
    run_common(lambda T: CAGrad(T), permutation_invariant=True)


def test_c_zero_is_mean_gradient():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 4, T, P)
        d, w = CAGrad(T, c=0.0).aggregate(G)
        torch.testing.assert_close(d, G.mean(-2))


def authors_cagrad(G: np.ndarray, c: float, tight: bool = False) -> tuple[np.ndarray, float]:
    """The authors' ``cagrad`` (scipy SLSQP on the dual), rescale=1; rows of G are tasks.
    ``tight`` asks SLSQP for a much smaller tolerance than its default."""
    T = G.shape[0]
    GG = G @ G.T
    g0_norm = np.sqrt(GG.mean() + 1e-8)
    x_start = np.ones(T) / T
    b = x_start.copy()
    cc = c * g0_norm + 1e-8

    def objfn(x):
        return float(x @ GG @ b + cc * np.sqrt(x @ GG @ x + 1e-8))

    res = minimize(
        objfn,
        x_start,
        bounds=[(0, 1)] * T,
        constraints=({"type": "eq", "fun": lambda x: 1 - x.sum()},),
        options={"ftol": 1e-15, "maxiter": 1000} if tight else None,
    )
    ww = res.x
    gw = ww @ G
    lam = cc / (np.linalg.norm(gw) + 1e-8)
    g = G.mean(0) + lam * gw
    return g / (1 + c**2), res.fun


def test_dual_no_worse_than_scipy_and_direction_agrees():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 4, T, P)
        G = G / G.norm(dim=-1).amax(-1, keepdim=True).unsqueeze(-1)  # authors' scale
        d, _ = CAGrad(T, c=0.5).aggregate(G)
        gram = G @ G.mT
        w = cagrad_dual(gram, 0.5)
        for b in range(4):
            _, ref_f = authors_cagrad(G[b].numpy(), 0.5)
            A = gram[b]
            g0n = (A.mean() + 1e-8).sqrt()
            ours_f = float(
                w[b] @ A @ torch.full((T,), 1 / T, dtype=A.dtype)
                + 0.5 * g0n * (w[b] @ A @ w[b] + 1e-8).sqrt()
            )
            assert ours_f <= ref_f + 1e-9  # at least as good as the authors' default solve
            # and the same direction as a tightly converged SLSQP solve
            ref_d, _ = authors_cagrad(G[b].numpy(), 0.5, tight=True)
            np.testing.assert_allclose(d[b].numpy(), ref_d, atol=1e-4 * np.abs(ref_d).max())


def test_worst_case_improvement_at_least_mean_gradients():
    """CAGrad's d maximises min_i g_i.d within the ball, so it beats the mean gradient there."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 8, T, P)
        c = 0.5
        d, _ = CAGrad(T, c=c, rescale=0).aggregate(G)
        g0 = G.mean(-2)
        assert ((d - g0).norm(dim=-1) <= c * g0.norm(dim=-1) * (1 + 1e-6) + 1e-9).all()
        worst_d = (G @ d.unsqueeze(-1)).squeeze(-1).min(-1).values
        worst_g0 = (G @ g0.unsqueeze(-1)).squeeze(-1).min(-1).values
        assert (worst_d >= worst_g0 - 1e-6 * G.norm(dim=-1).amax(-1) ** 2).all()


def test_nearly_cancelling_float32_gradients_stay_finite():
    import torch

    from reproductions.methods.cagrad import CAGrad

    G = torch.tensor([[[-1.3992018, 3.469e-7], [1.3994814, -5.742e-7]]], dtype=torch.float32)
    d, w = CAGrad(2, c=0.5).aggregate(G, torch.ones(1, 2))
    assert torch.isfinite(w).all() and torch.isfinite(d).all()


def test_scale_invariant_against_authors_solver_at_1e_7_and_1():
    """d(1e-7 G) = 1e-7 d(G), and both equal the authors' SLSQP solve at norm 1 (whose
    absolute eps = 1e-8 would bias the update at 1e-7: the reason for normalising)."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        G = G / G.norm(dim=-1).amax(-1, keepdim=True).unsqueeze(-1)
        d1, _ = CAGrad(T, c=0.5, warm_start=False).aggregate(G)
        d7, _ = CAGrad(T, c=0.5, warm_start=False).aggregate(1e-7 * G)
        for b in range(3):
            ref, _ = authors_cagrad(G[b].numpy(), 0.5, tight=True)
            rel1 = np.linalg.norm(d1[b].numpy() - ref) / np.linalg.norm(ref)
            rel7 = np.linalg.norm(d7[b].numpy() / 1e-7 - ref) / np.linalg.norm(ref)
            assert rel1 < 1e-3 and rel7 < 1e-3, (seed, T, rel1, rel7)
        for dtype in (torch.float32,):
            d32, _ = CAGrad(T, c=0.5, warm_start=False).aggregate((1e-7 * G).to(dtype))
            rel = ((d32.double() / 1e-7 - d1).norm(dim=-1) / d1.norm(dim=-1)).max()
            assert rel < 1e-3, (seed, T, float(rel))


def test_agrees_with_torchjd_cagrad():
    """torchjd's CAGrad (cvxpy/Clarabel on the trace-normalised Gramian, no rescaling) is
    ours with rescale=0."""
    pytest.importorskip("cvxpy")
    from torchjd.aggregation import CAGrad as TorchJDCAGrad

    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        d, _ = CAGrad(T, c=0.5, rescale=0, warm_start=False).aggregate(G)
        for b in range(3):
            ref = TorchJDCAGrad(c=0.5)(G[b])
            assert float(torch.nn.functional.cosine_similarity(d[b], ref, dim=0)) >= 0.999
