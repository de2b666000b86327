"""Equal weighting / linear scalarization."""

from __future__ import annotations

import torch
from method_checks import random_jacobians, run_common

from reproductions.methods import METHODS, LinearScalarization


def test_registered():
    assert METHODS["ls"] is LinearScalarization


def test_common_properties():
    run_common(lambda T: LinearScalarization(T))


def test_direction_is_sum_of_gradients():
    G, losses = random_jacobians(0, 4, 3, 9)
    d, w = LinearScalarization(3).aggregate(G, losses)
    torch.testing.assert_close(d, G.sum(-2))
    assert torch.equal(w, torch.ones_like(losses))


def test_fixed_weights():
    m = LinearScalarization(2, weights=[0.25, 2.0])
    losses = torch.tensor([1.0, 3.0])
    assert m.weigh(losses).item() == 0.25 + 6.0
