"""Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component
Alignment for Multi-Task Learning", CVPR 2023, arXiv 2305.19000, Algorithm 1; official
code SamsungLabs/MTL ``code/optim/aligned`` (no longer online), as adapted by torchjd
``src/torchjd/aggregation/_aligned_mtl.py`` and LibMTL ``LibMTL/weighting/Aligned_MTL.py``).

Aligned-MTL makes the linear system of task gradients well conditioned: from the
eigendecomposition of the Gramian ``K = G G^T = V Lambda V^T`` (eigenvalues above
``max(lambda) T eps`` only, rank ``r``) it forms the balance transformation

    B = sqrt(lambda_min) V Sigma^{-1} V^T,      Sigma = diag(sqrt(lambda_1..r)),

whose rows give aligned gradients ``B G`` with equal singular values
``sqrt(lambda_min)`` (condition number 1), and combines them with the preference
weights ``w``:  ``d = (B w) @ G``.  Gramian-based and scale-invariant.  Defaults follow
torchjd: ``w = 1/T`` each and ``scale_mode = "min"`` (the paper's smallest singular
value); LibMTL uses ``w = 1`` each (``alpha = B.sum(0)``), which only multiplies ``d`` by
``T``.  A zero Gramian (rank 0) gives ``B = I``, i.e. the mean (zero) gradient.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


def balance_transformation(gram: Tensor, scale_mode: str = "min") -> Tensor:
    """``B`` (..., T, T) of Aligned-MTL for Gramians ``gram`` (..., T, T), batched."""
    T = gram.shape[-1]
    lam, V = torch.linalg.eigh(gram)
    tol = lam.amax(-1, keepdim=True) * T * torch.finfo(gram.dtype).eps
    keep = lam > tol  # (..., T)
    rank = keep.sum(-1, keepdim=True)
    safe = torch.where(keep, lam, torch.ones_like(lam))
    inv_sqrt = torch.where(keep, safe.rsqrt(), torch.zeros_like(lam))
    if scale_mode == "min":
        scale = torch.where(keep, lam, torch.full_like(lam, float("inf"))).amin(-1, keepdim=True)
    elif scale_mode == "rmse":
        scale = (lam * keep).sum(-1, keepdim=True) / rank.clamp_min(1)
    elif scale_mode == "median":
        vals = []
        for lv, kv in zip(lam.reshape(-1, T), keep.reshape(-1, T), strict=True):
            kept = lv[kv]
            vals.append(torch.median(kept) if kept.numel() else lv.new_zeros(()))
        scale = torch.stack(vals).reshape(lam.shape[:-1] + (1,))
    else:
        raise ValueError(f"unknown scale_mode {scale_mode!r}; 'min', 'median' or 'rmse'")
    scale = torch.where(rank > 0, scale, torch.ones_like(scale))
    B = scale.sqrt().unsqueeze(-1) * (V * inv_sqrt.unsqueeze(-2)) @ V.mT
    eye = torch.eye(T, dtype=gram.dtype, device=gram.device).expand_as(B)
    return torch.where((rank > 0).unsqueeze(-1), B, eye)


class AlignedMTL(Method):
    """Aligned-MTL.

    Hyperparameters:
        scale_mode: "min" (default: the smallest eigenvalue, the paper), "median" or
            "rmse" (the mean eigenvalue), as in torchjd.
        pref_vector: optional preference weights (T values); default ``1/T`` each.
    """

    name = "aligned_mtl"
    uses_grads = True
    gramian_based = True

    def __init__(
        self, n_tasks: int, scale_mode: str = "min", pref_vector: list[float] | None = None
    ) -> None:
        super().__init__(n_tasks)
        if scale_mode not in ("min", "median", "rmse"):
            raise ValueError(f"unknown scale_mode {scale_mode!r}")
        if pref_vector is not None and len(pref_vector) != n_tasks:
            raise ValueError(f"expected {n_tasks} preferences, got {len(pref_vector)}")
        self.scale_mode = scale_mode
        self.pref = pref_vector

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        T = gram.shape[-1]
        if self.pref is None:
            w = torch.full(gram.shape[:-1], 1.0 / T, dtype=gram.dtype, device=gram.device)
        else:
            w = torch.tensor(self.pref, dtype=gram.dtype, device=gram.device).expand(
                gram.shape[:-1]
            )
        B = balance_transformation(gram, self.scale_mode)
        return (B @ w.unsqueeze(-1)).squeeze(-1)
