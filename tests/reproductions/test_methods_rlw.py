"""Random loss weighting (Lin et al. 2021)."""

from __future__ import annotations

import torch
from method_checks import random_jacobians, run_common

from reproductions.methods import METHODS, RLW


def test_registered():
    assert METHODS["rlw"] is RLW and RLW.stochastic


def test_common_properties():
    run_common(lambda T: RLW(T, seed=3), deterministic=False, permutation_invariant=False)


def test_weights_on_simplex_and_vary():
    m = RLW(5, seed=0)
    G, losses = random_jacobians(0, 200, 5, 4)
    _, w = m.aggregate(G, losses)
    assert (w > 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(200, dtype=w.dtype))
    # fresh draws every call, and roughly uniform on average
    _, w2 = m.aggregate(G, losses)
    assert not torch.equal(w, w2)
    assert (w.mean(0) - 0.2).abs().max() < 0.05


def test_generator_reproducible():
    a = RLW(3, generator=torch.Generator().manual_seed(7)).weights(torch.ones(3))
    b = RLW(3, seed=7).weights(torch.ones(3))
    assert torch.equal(a, b)
