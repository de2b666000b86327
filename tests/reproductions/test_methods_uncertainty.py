"""Uncertainty weighting (Kendall et al. 2018)."""

from __future__ import annotations

import math

import torch
from method_checks import run_common

from reproductions.methods import METHODS, UncertaintyWeighting


def test_registered():
    assert METHODS["uw"] is UncertaintyWeighting


def test_common_properties():
    run_common(lambda T: UncertaintyWeighting(T))


def test_objective_and_weights():
    m = UncertaintyWeighting(2, init_log_var=math.log(2.0))
    losses = torch.tensor([1.0, 4.0])
    obj = m.weigh(losses)
    assert math.isclose(obj.item(), 0.5 * 5.0 + 2 * math.log(2.0), rel_tol=1e-6)
    torch.testing.assert_close(m.last_weights, torch.tensor([0.5, 0.5]))


def test_optimum_is_log_loss():
    """Minimising over s with the losses fixed gives s_i = log L_i."""
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        losses = torch.rand(4, generator=g, dtype=torch.float64) * 5 + 0.05
        m = UncertaintyWeighting(4)
        opt = torch.optim.LBFGS(
            m.parameters(), lr=1, max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-14
        )

        def closure(m=m, opt=opt, losses=losses):
            opt.zero_grad()
            obj = m.weigh(losses)
            obj.backward()
            return obj

        opt.step(closure)
        torch.testing.assert_close(
            m.parameters()[0].detach().to(torch.float64), losses.log(), atol=1e-5, rtol=0
        )


def test_backward_gives_log_var_gradient():
    m = UncertaintyWeighting(3)
    w = torch.randn(5, requires_grad=True)
    losses = torch.stack([(w**2).sum(), (w - 1).abs().sum(), w.sum() ** 2])
    m.backward(losses, [w])
    # d/ds_i [exp(-s_i) L_i + s_i] at s = 0 is 1 - L_i
    torch.testing.assert_close(m.parameters()[0].grad, 1 - losses.detach())


def test_is_twice_torchjd_uw():
    """torchjd's UW scalarizer is the paper's regression form, half of ours (same s)."""
    from torchjd.scalarization import UW

    ref = UW(3)
    ref.log_var.data = torch.tensor([0.4, -1.0, 2.0])
    m = UncertaintyWeighting(3)
    m.log_vars.data = ref.log_var.data.clone()
    losses = torch.tensor([0.3, 2.0, 5.0])
    torch.testing.assert_close(m.weigh(losses), 2 * ref(losses))
