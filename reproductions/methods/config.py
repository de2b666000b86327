"""ConFIG: conflict-free inverse gradients (Liu, Chu & Thuerey, "ConFIG: Towards
Conflict-free Training of Physics Informed Neural Networks", arXiv 2408.11104, Eq. 2;
official code tum-pbs/ConFIG ``conflictfree/grad_operator.py``, as adapted by torchjd
``src/torchjd/aggregation/_config.py``).

The direction ``b = U^+ p`` (``U`` the unit task gradients ``g_i / ||g_i||``, ``p`` the
preferences, default ones) has equal projections on every unit gradient; ConFIG moves
along ``b / ||b||`` with the length ``sum_i g_i . b / ||b||``:

    d = (sum_i g_i . u) u,      u = b / ||b||.

Gramian form (what we compute): ``U^+ = U^T (U U^T)^+``, so ``b = w' @ G`` with
``w' = D^{-1} (D^{-1} K D^{-1})^+ p`` (``D = diag ||g_i||``, zero rows dropped) and
``d = (1^T K w' / w'^T K w') w' @ G``.  The pseudo-inverse cuts eigenvalues below
``100 T eps`` times the largest (the Gramian's rounding floor).  Where ``b = 0`` (e.g.
opposite gradients) the update is zero.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class ConFIG(Method):
    """ConFIG.

    Hyperparameters:
        pref_vector: optional preference weights (T values); default ones (torchjd's
            and the authors' default).
    """

    name = "config"
    uses_grads = True
    gramian_based = True

    def __init__(self, n_tasks: int, pref_vector: list[float] | None = None) -> None:
        super().__init__(n_tasks)
        if pref_vector is not None and len(pref_vector) != n_tasks:
            raise ValueError(f"expected {n_tasks} preferences, got {len(pref_vector)}")
        self.pref = pref_vector

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        out_dtype = gram.dtype
        K = gram.double()
        T = K.shape[-1]
        n = torch.diagonal(K, dim1=-2, dim2=-1).clamp_min(0).sqrt()
        pos = n > 0
        inv_n = torch.where(pos, 1 / torch.where(pos, n, torch.ones_like(n)), torch.zeros_like(n))
        Ku = K * inv_n.unsqueeze(-1) * inv_n.unsqueeze(-2)
        p = (
            torch.ones(K.shape[:-1], dtype=K.dtype, device=K.device)
            if self.pref is None
            else torch.tensor(self.pref, dtype=K.dtype, device=K.device).expand(K.shape[:-1])
        )
        rtol = 100 * T * torch.finfo(out_dtype).eps
        Ku_pinv = torch.linalg.pinv(Ku, rtol=rtol, hermitian=True)
        wb = inv_n * (Ku_pinv @ p.unsqueeze(-1)).squeeze(-1)  # b = wb @ G
        Kw = (K @ wb.unsqueeze(-1)).squeeze(-1)
        b2 = (wb * Kw).sum(-1, keepdim=True)
        length = Kw.sum(-1, keepdim=True)  # sum_i g_i . b
        # b is a combination of unit vectors: ||b|| is O(||p||) unless it vanishes
        ok = b2 > 1e-20 * (p * p).sum(-1, keepdim=True)
        coef = length / torch.where(ok, b2, torch.ones_like(b2))
        w = torch.where(ok, coef * wb, torch.zeros_like(wb))
        return w.to(out_dtype)
