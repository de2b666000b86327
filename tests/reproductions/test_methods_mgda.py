"""MGDA / MGDA-UB (Sener & Koltun 2018)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import MGDA as TorchJDMGDA

from reproductions.architectures import HardSharing
from reproductions.methods import METHODS, MGDA, make_method
from reproductions.methods.mgda import min_norm_weights


def test_registered():
    assert METHODS["mgda"] is MGDA and MGDA.supports_representation


def test_common_properties():
    # FW tie-breaking depends on order
    run_common(
        lambda T: MGDA(T), permutation_invariant=False, zero_when_stationary=True,
        stationary_rtol=1e-2,  # the duality-gap stop: ||d||^2 <= 1e-4 max ||g_i||^2
    )


def test_permutation_invariant_for_two_tasks():
    for seed in range(20):
        G, _ = random_jacobians(seed, 4, 2, 6)
        d, w = MGDA(2).aggregate(G)
        dp, wp = MGDA(2).aggregate(G.flip(-2))
        torch.testing.assert_close(dp, d)
        torch.testing.assert_close(wp, w.flip(-1))


def test_weights_on_simplex_and_common_descent():
    """alpha in the simplex; J d >= ||d||^2 componentwise (min-norm optimality), hence d is
    a common descent direction (g_i . d > 0) unless d = 0."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 16, T, P)
        scale = (G * G).sum(-1).amax(-1, keepdim=True)
        for gap_tol, max_iter in ((1e-3, 2000), (1e-4, 2000)):
            d, w = MGDA(T, max_iter=max_iter, stop_crit=0.0, gap_tol=gap_tol).aggregate(G)
            assert (w >= 0).all()
            torch.testing.assert_close(w.sum(-1), torch.ones(16, dtype=w.dtype))
            Jd = (G @ d.unsqueeze(-1)).squeeze(-1)
            dd = (d * d).sum(-1, keepdim=True)
            # the duality-gap certificate, up to rounding
            assert (Jd >= dd - gap_tol * scale * (1 + 1e-9)).all(), (Jd - dd).min()
            nonzero = dd.squeeze(-1) > 10 * gap_tol * scale.squeeze(-1)
            assert (Jd[nonzero] > 0).all()


def test_authors_stop_rule_alone():
    """With gap_tol = 0 the solver is the authors' (stop on change < 1e-5, <= 250 its)."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 2, T, P)
        d, w = MGDA(T, gap_tol=0.0).aggregate(G)
        d2, _ = MGDA(T, gap_tol=1e-5, max_iter=1000, stop_crit=0.0).aggregate(G)
        scale = (G * G).sum(-1).amax(-1)
        assert ((d.norm(dim=-1) ** 2 - d2.norm(dim=-1) ** 2) <= 1e-2 * scale).all()


def test_two_task_closed_form_exact():
    for seed in range(30):
        G, _ = random_jacobians(seed, 1, 2, 5)
        g1, g2 = G[0]
        d, w = MGDA(2).aggregate(G[0])
        gamma = ((g2 - g1) @ g2 / ((g1 - g2) @ (g1 - g2))).clamp(0, 1)
        torch.testing.assert_close(w, torch.stack([gamma, 1 - gamma]))
        # exact optimality: both projections equal ||d||^2 when 0 < gamma < 1
        if 0 < gamma < 1:
            torch.testing.assert_close(G[0] @ d, (d @ d).expand(2))


def test_pareto_stationary_gives_zero():
    G = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], dtype=torch.float64)
    d, w = MGDA(4).aggregate(G)
    assert d.norm() < 1e-3


def test_agrees_with_torchjd():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        ours_d, _ = MGDA(T, max_iter=1000, stop_crit=0.0, gap_tol=1e-5).aggregate(G)
        for b in range(3):
            ref = TorchJDMGDA(epsilon=1e-6, max_iters=1000)(G[b])
            # Same minimum norm (the min-norm point is unique); both are iterative solvers.
            scale = (G[b] * G[b]).sum(-1).max()
            assert abs(ours_d[b].norm() ** 2 - ref.norm() ** 2) <= 2e-3 * scale
            assert (ours_d[b] - ref).norm() <= 0.05 * scale.sqrt()


def test_solver_no_worse_than_pairs():
    for seed in range(10):
        G, _ = random_jacobians(seed, 1, 5, 8)
        gram = G[0] @ G[0].T
        w = min_norm_weights(gram)
        assert w @ gram @ w <= gram.diagonal().min() + 1e-12


def test_normalizations_run():
    G, losses = random_jacobians(0, 3, 4, 6)
    for norm in ("l2", "loss", "loss+"):
        d, w = MGDA(4, normalization=norm).aggregate(G, losses)
        assert torch.isfinite(d).all()
        torch.testing.assert_close(w.sum(-1), torch.ones(3, dtype=w.dtype))


def test_mgda_ub_uses_representation():
    """MGDA-UB weights come from the gradients w.r.t. z and d = sum_i w_i grad_shared L_i."""
    torch.manual_seed(0)
    model = HardSharing.mlp(5, [10, 6], [1, 1, 1]).double()
    x = torch.randn(30, 5, dtype=torch.float64)
    ys = [torch.randn(30, 1, dtype=torch.float64) for _ in range(3)]
    outs, z = model.forward_with_representation(x)
    losses = torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])
    Gz = torch.stack(
        [torch.autograd.grad(loss, z, retain_graph=True)[0].reshape(-1) for loss in losses]
    )
    shared = model.shared_parameters()
    J = torch.stack(
        [
            torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, shared, retain_graph=True)])
            for loss in losses
        ]
    )
    _, w_ref = MGDA(3).aggregate(Gz)
    m = make_method("mgda_ub", 3)
    model.zero_grad()
    w = m.backward(losses, shared, representation=z)
    torch.testing.assert_close(w, w_ref)
    torch.testing.assert_close(torch.cat([p.grad.reshape(-1) for p in shared]), w_ref @ J)
