"""Aligned-MTL (Senushkin et al. 2023), against torchjd's AlignedMTL."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import AlignedMTL as TorchJDAlignedMTL

from reproductions.methods import METHODS, AlignedMTL
from reproductions.methods.aligned_mtl import balance_transformation


def test_registered():
    assert METHODS["aligned_mtl"] is AlignedMTL


def test_common_properties():
    run_common(lambda T: AlignedMTL(T))


def test_agrees_with_torchjd_every_scale_mode():
    for mode in ("min", "median", "rmse"):
        for seed, T, P in CASES:
            G, _ = random_jacobians(seed, 3, T, P)
            d, _ = AlignedMTL(T, scale_mode=mode).aggregate(G)
            for b in range(3):
                ref = TorchJDAlignedMTL(scale_mode=mode)(G[b])
                assert float(torch.nn.functional.cosine_similarity(d[b], ref, dim=0)) >= 0.999999
                torch.testing.assert_close(d[b], ref, atol=1e-7 * ref.norm(), rtol=1e-6)


def test_aligned_gradients_have_equal_singular_values():
    """B G has all its nonzero singular values equal to sqrt(lambda_min): condition number 1."""
    for seed, T, P in CASES:
        if P < T:
            continue
        G, _ = random_jacobians(seed, 2, T, P)
        K = G @ G.mT
        B = balance_transformation(K)
        s = torch.linalg.svdvals(B @ G)
        lam_min = torch.linalg.eigvalsh(K)[..., :1]
        torch.testing.assert_close(s, lam_min.sqrt().expand_as(s), atol=1e-8, rtol=1e-6)
