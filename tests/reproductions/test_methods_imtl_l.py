"""IMTL-L (Liu et al., ICLR 2021), against LibMTL's loss transform and its optimum."""

from __future__ import annotations

import torch
from method_checks import run_common

from reproductions.methods import IMTLL, METHODS


def test_registered():
    assert METHODS["imtl_l"] is IMTLL


def test_common_properties():
    run_common(lambda T: IMTLL(T))


def test_objective_is_libmtl_transform():
    """LibMTL: losses = loss_scale.exp() * losses - loss_scale, then summed."""
    m = IMTLL(3)
    m.scales.data = torch.tensor([0.3, -0.5, 1.2])
    losses = torch.tensor([0.7, 2.0, 0.1])
    ref = (m.scales.detach().exp() * losses - m.scales.detach()).sum()
    torch.testing.assert_close(m.weigh(losses).detach(), ref)
    torch.testing.assert_close(m.last_weights, m.scales.detach().exp())


def test_optimum_equalises_scaled_losses():
    """For fixed losses, minimising over s gives exp(s_i) L_i = 1 for every task."""
    losses = torch.tensor([0.05, 1.0, 7.0], dtype=torch.float64)
    m = IMTLL(3)
    opt = torch.optim.LBFGS(m.parameters(), lr=1, max_iter=200, tolerance_grad=1e-12,
                            tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        obj = m.weigh(losses)
        obj.backward()
        return obj

    opt.step(closure)
    torch.testing.assert_close(m.scales.detach().double().exp() * losses,
                               torch.ones(3, dtype=torch.float64), atol=1e-6, rtol=0)


def test_backward_gives_scale_gradient():
    m = IMTLL(3)
    w = torch.randn(5, requires_grad=True)
    losses = torch.stack([(w**2).sum(), (w - 1).abs().sum(), w.sum() ** 2])
    m.backward(losses, [w])
    torch.testing.assert_close(m.scales.grad, losses.detach() - 1)  # d/ds (e^s L - s) at 0


def test_same_objective_as_torchjd_imtll():
    from torchjd.scalarization import IMTLL as TorchJDIMTLL

    ref = TorchJDIMTLL(3)
    ref.log_scale.data = torch.tensor([0.3, -0.5, 1.2])
    m = IMTLL(3)
    m.scales.data = ref.log_scale.data.clone()
    losses = torch.tensor([0.7, 2.0, 0.1])
    torch.testing.assert_close(m.weigh(losses), ref(losses))
