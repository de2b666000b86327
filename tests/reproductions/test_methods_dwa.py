"""Dynamic weight average (Liu et al. 2019)."""

from __future__ import annotations

import math

import torch
from method_checks import run_common

from reproductions.methods import DWA, METHODS


def test_registered():
    assert METHODS["dwa"] is DWA


def test_common_properties():
    run_common(lambda T: DWA(T))


def test_first_two_epochs_equal_weights_then_formula():
    m = DWA(3, temperature=2.0)
    e1 = torch.tensor([1.0, 2.0, 3.0])
    e2 = torch.tensor([0.5, 2.0, 4.5])
    for _ in range(3):
        assert torch.equal(m.weights(e1), torch.ones(3))
    m.end_epoch()
    assert torch.equal(m.weights(e2), torch.ones(3))
    m.end_epoch()
    w = m.weights(e2)
    r = torch.tensor([0.5, 1.0, 1.5])
    expected = 3 * torch.exp(r / 2) / torch.exp(r / 2).sum()
    torch.testing.assert_close(w, expected)
    assert math.isclose(w.sum().item(), 3.0, rel_tol=1e-6)


def test_weights_sum_to_T_over_training():
    g = torch.Generator().manual_seed(0)
    for T in (2, 5, 10):
        m = DWA(T, steps_per_epoch=4)
        for _ in range(40):
            w = m.weights(torch.rand(T, generator=g) + 0.1)
            assert math.isclose(w.sum().item(), T, rel_tol=1e-5)
            assert (w > 0).all()


def test_epoch_average_is_used():
    m = DWA(2, steps_per_epoch=2)
    m.weights(torch.tensor([1.0, 1.0]))
    m.weights(torch.tensor([3.0, 1.0]))  # epoch 1 average (2, 1)
    m.weights(torch.tensor([1.0, 1.0]))
    m.weights(torch.tensor([1.0, 2.0]))  # epoch 2 average (1, 1.5)
    w = m.weights(torch.tensor([9.0, 9.0]))
    r = torch.tensor([0.5, 1.5])
    torch.testing.assert_close(w, 2 * torch.softmax(r / 2, 0))


def test_agrees_with_torchjd_dwa_over_epochs():
    from torchjd.scalarization import DWA as TorchJDDWA

    from reproductions.methods import DWA as OursDWA

    ref, ours = TorchJDDWA(temperature=2.0), OursDWA(3, temperature=2.0)
    g = torch.Generator().manual_seed(0)
    for _epoch in range(4):
        for _batch in range(3):
            losses = torch.rand(3, generator=g) + 0.2
            torch.testing.assert_close(ours.weigh(losses), ref(losses))
        ours.end_epoch()
        ref.step()
