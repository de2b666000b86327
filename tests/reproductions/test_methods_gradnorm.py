"""GradNorm (Chen et al. 2018)."""

from __future__ import annotations

import math

import torch
from method_checks import random_jacobians, run_common

from reproductions.architectures import HardSharing
from reproductions.methods import METHODS, GradNorm


def test_registered():
    assert METHODS["gradnorm"] is GradNorm


def test_common_properties():
    run_common(lambda T: GradNorm(T))


def test_weights_renormalised_to_T_during_training():
    torch.manual_seed(0)
    T = 3
    model = HardSharing.mlp(4, [16, 8], [1] * T)
    m = GradNorm(T, alpha=1.5)
    opt = torch.optim.SGD(list(model.parameters()) + m.parameters(), lr=0.05)
    x = torch.randn(64, 4)
    ys = [x[:, :1] * 3, x[:, 1:2].sin(), 0.1 * x[:, 2:3]]
    for _ in range(30):
        opt.zero_grad()
        outs, z = model.forward_with_representation(x)
        losses = torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])
        w = m.backward(
            losses, model.shared_parameters(), last_shared_params=model.last_shared_parameters()
        )
        assert math.isclose(w.sum().item(), T, rel_tol=1e-5)
        assert (w > 0).all()
        opt.step()
    assert not torch.allclose(w, torch.ones(T))  # the weights moved


def test_weight_gradient_formula():
    """dL_grad/dw_i = sign(G_i - Gbar r_i^alpha) ||grad_W L_i||."""
    m = GradNorm(2, alpha=1.0)
    G = torch.tensor([[3.0, 4.0], [0.0, 1.0]], dtype=torch.float64)  # norms 5, 1
    m.aggregate(G, torch.tensor([2.0, 2.0], dtype=torch.float64))  # L(0)
    m.task_weights.grad = None
    m.aggregate(G, torch.tensor([1.0, 2.0], dtype=torch.float64))
    # r = (0.5, 1) / 0.75; Gw = (5, 1); Gbar = 3; targets = 3 * r = (2, 4)
    torch.testing.assert_close(m.task_weights.grad, torch.tensor([5.0, -1.0], dtype=torch.float64))


def test_batched_weights_sum_to_T():
    G, losses = random_jacobians(0, 6, 4, 8)
    m = GradNorm(4)
    _, w = m.aggregate(G, losses)
    torch.testing.assert_close(w.sum(-1), torch.full((6,), 4.0, dtype=w.dtype))
