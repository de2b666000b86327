"""IMTL-G: the gradient part of Impartial Multi-Task Learning (Liu et al., ICLR 2021,
"Towards Impartial Multi-task Learning", OpenReview IMPnRXEWpvr).

IMTL-G finds the combination ``d = sum_i alpha_i g_i`` with ``sum_i alpha_i = 1`` whose
projections onto every unit task gradient ``u_i = g_i / ||g_i||`` are equal
(``d . u_i = d . u_j``).  The paper's closed form is
``alpha_{2:T} = g_1 U^T (D U^T)^{-1}`` with ``D = [g_1 - g_i]``, ``U = [u_1 - u_i]``,
``alpha_1 = 1 - sum alpha_{2:T}``.  Equivalently, on the Gramian ``K = G G^T``:
``K alpha = lambda * n`` (``n_i = ||g_i||``), i.e. ``alpha = K^+ n / 1^T K^+ n``, which is
what we compute (batched, with the pseudo-inverse so that linearly dependent gradients
are handled as in torchjd's generalisation).  When ``1^T K^+ n`` vanishes the weights
are zero.  (IMTL-L, the loss-scale part, is not included.)
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class IMTLG(Method):
    """IMTL-G closed form (no hyperparameters)."""

    name = "imtl"
    uses_grads = True
    gramian_based = True

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        n = torch.diagonal(gram, dim1=-2, dim2=-1).clamp_min(0).sqrt()
        v = (torch.linalg.pinv(gram, hermitian=True) @ n.unsqueeze(-1)).squeeze(-1)
        s = v.sum(-1, keepdim=True)
        ok = s.abs() > 1e-12
        return torch.where(ok, v / torch.where(ok, s, torch.ones_like(s)), torch.zeros_like(v))
