"""UPGrad (Quinton & Rey 2024), against torchjd's UPGrad and the QP's optimality conditions."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import UPGrad as TorchJDUPGrad
from torchjd.linalg import QuadprogProjector

from reproductions.methods import METHODS, UPGrad
from reproductions.methods.upgrad import dual_cone_weights


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def test_registered():
    assert METHODS["upgrad"] is UPGrad


def test_common_properties():
    run_common(lambda T: UPGrad(T))


def test_agrees_with_torchjd():
    """Same direction as torchjd's UPGrad: cosine >= 0.999 against its default solve with
    the same ridge (1e-4 I added to K / tr K), >= 1 - 1e-9 with the ridge off on both sides
    (our default, the exact projection); ours exact vs its default: >= 0.998."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        d, _ = UPGrad(T).aggregate(G)
        d_reg, _ = UPGrad(T, reg_eps=1e-4).aggregate(G)
        for b in range(3):
            ref = TorchJDUPGrad()(G[b])
            assert cos(d_reg[b], ref) >= 0.999
            torch.testing.assert_close(d_reg[b], ref, atol=1e-5 * ref.norm(), rtol=1e-4)
            assert cos(d[b], ref) >= 0.998
            if P >= T:  # quadprog needs a positive definite Gramian without regularisation
                exact = TorchJDUPGrad(projector=QuadprogProjector(reg_eps=0.0))(G[b])
                assert cos(d[b], exact) >= 1 - 1e-9
                torch.testing.assert_close(d[b], exact, atol=1e-6 * exact.norm(), rtol=1e-5)


def test_projection_optimality_conditions():
    """v >= u, K v >= 0 and (v - u) . K v = 0: the KKT conditions of min v^T K v, v >= u."""
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 2, T, P)
        for b in range(2):
            K = (G[b] @ G[b].T).numpy()
            U = torch.eye(T, dtype=torch.float64).numpy() / T
            V = dual_cone_weights(K, U)
            scale = K.trace()
            for u, v in zip(U, V, strict=True):
                Kv = K @ v
                assert (v >= u - 1e-12).all()
                assert (Kv >= -1e-9 * scale).all()
                assert abs((v - u) @ Kv) <= 1e-9 * scale


def test_update_does_not_conflict_and_is_scale_invariant():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 4, T, P)
        d, _ = UPGrad(T).aggregate(G)
        tol = 1e-9 * G.norm(dim=-1).amax(-1, keepdim=True) ** 2
        assert ((G @ d.unsqueeze(-1)).squeeze(-1) >= -tol).all()
        d7, _ = UPGrad(T).aggregate(1e-7 * G)
        torch.testing.assert_close(d7 / 1e-7, d, atol=1e-8 * d.abs().max(), rtol=1e-6)


def test_opposite_gradients_give_zero():
    a = torch.randn(5, dtype=torch.float64)
    d, _ = UPGrad(2).aggregate(torch.stack([a, -2 * a]))
    assert float(d.norm()) <= 1e-10
