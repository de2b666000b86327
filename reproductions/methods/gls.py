"""Geometric loss strategy, GLS (Chennupati, Sistu, Yogamani & Rawashdeh, "MultiNet++:
Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning",
CVPR Workshops 2019, arXiv 1904.08492, Eq. 5; no official code -- LibMTL
``LibMTL/weighting/GLS.py`` implements it).

The objective is the geometric mean of the task losses,

    L = (prod_i L_i)^{1/T},

whose gradient weights each task by ``dL/dL_i = L / (T L_i)``: a task's weight is
inversely proportional to its own loss, which makes the update invariant to rescaling
any single loss.  No hyperparameters; the losses must be positive.  It is computed as
``exp(mean_i log L_i)`` (no overflow or underflow of the product for many tasks); a
loss of exactly 0 is clamped to the smallest positive float, which keeps the weights
finite (the objective is then ~0).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class GLS(Method):
    """Geometric loss strategy (no hyperparameters)."""

    name = "gls"
    uses_grads = False

    def weights(self, losses: Tensor) -> Tensor:
        L = losses.clamp_min(torch.finfo(losses.dtype).tiny)
        gm = torch.exp(torch.log(L).mean(-1, keepdim=True))
        return gm / (losses.shape[-1] * L)

    def weigh(self, losses: Tensor) -> Tensor:
        L = losses.clamp_min(torch.finfo(losses.dtype).tiny)
        gm = torch.exp(torch.log(L).mean(-1))
        g = gm.detach().unsqueeze(-1)
        self.last_weights = g / (losses.shape[-1] * L.detach())  # = weights(losses)
        return gm
