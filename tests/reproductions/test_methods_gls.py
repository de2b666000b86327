"""GLS, the geometric loss strategy (Chennupati et al. 2019)."""

from __future__ import annotations

import torch
from method_checks import random_jacobians, run_common

from reproductions.methods import GLS, METHODS


def test_registered():
    assert METHODS["gls"] is GLS


def test_common_properties():
    run_common(lambda T: GLS(T))


def test_objective_and_weights_are_the_geometric_mean_and_its_gradient():
    g = torch.Generator().manual_seed(0)
    for T in (2, 3, 7):
        losses = (torch.rand(T, generator=g, dtype=torch.float64) * 3 + 0.1).requires_grad_()
        m = GLS(T)
        obj = m.weigh(losses)
        torch.testing.assert_close(obj, losses.prod() ** (1 / T))  # LibMTL's form
        (grad,) = torch.autograd.grad(obj, losses)
        torch.testing.assert_close(m.last_weights, grad)


def test_direction_invariant_to_rescaling_one_loss():
    """Scaling L_1 by c scales every weight by c^{1/T}, except w_1, which also gets 1/c:
    the direction of sum_i w_i grad(c_i L_i) is unchanged."""
    G, L = random_jacobians(0, 4, 3, 8)
    c = torch.tensor([10.0, 1.0, 1.0], dtype=G.dtype)
    d, _ = GLS(3).aggregate(G, L)
    dc, _ = GLS(3).aggregate(G * c.unsqueeze(-1), L * c)
    torch.testing.assert_close(dc / dc.norm(dim=-1, keepdim=True), d / d.norm(dim=-1, keepdim=True))


def test_many_tasks_do_not_overflow():
    losses = torch.full((200,), 50.0, dtype=torch.float32)  # 50^200 overflows float32
    m = GLS(200)
    assert torch.isfinite(m.weigh(losses)) and torch.isfinite(m.last_weights).all()


def test_same_objective_as_torchjd_geometric_mean():
    from torchjd.scalarization import GeometricMean

    losses = torch.tensor([0.7, 2.0, 0.1, 4.0], dtype=torch.float64)
    torch.testing.assert_close(GLS(4).weigh(losses), GeometricMean()(losses))
