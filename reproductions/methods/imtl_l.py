"""IMTL-L: the loss-balancing part of Impartial Multi-Task Learning (Liu, Li, Kuang,
Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task Learning", ICLR 2021,
OpenReview IMPnRXEWpvr, the "loss balance" of its hybrid method; no official code --
LibMTL ``LibMTL/weighting/IMTL.py`` (``loss_scale.exp() * losses - loss_scale``)
implements it, together with IMTL-G, our ``imtl``).

Each task has a learnable scale ``s_i`` (initialised at 0) and the objective is

    L(theta, s) = sum_i exp(s_i) L_i(theta) - s_i,

minimised jointly by the same optimizer (pass :meth:`IMTLL.parameters` to it).  For
fixed losses the optimum is ``exp(s_i) L_i = 1`` (d/ds: ``exp(s) L - 1 = 0``): every
scaled loss is driven to the same value 1, hence "impartial" in the loss scales; the
weights used are ``exp(s_i)``.  (The paper combines it with IMTL-G on the scaled
losses; use ``imtl`` on top of it for the full IMTL.)  The losses must be positive.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class IMTLL(Method):
    """IMTL-L loss scales.

    Hyperparameters:
        init_scale: initial value of every ``s_i`` (LibMTL: 0).
    """

    name = "imtl_l"
    uses_grads = False

    def __init__(self, n_tasks: int, init_scale: float = 0.0) -> None:
        super().__init__(n_tasks)
        self.scales = torch.nn.Parameter(torch.full((n_tasks,), float(init_scale)))

    def parameters(self) -> list[Tensor]:
        return [self.scales]

    def _s(self, losses: Tensor) -> Tensor:
        if self.scales.device != losses.device or self.scales.dtype != losses.dtype:
            self.scales.data = self.scales.data.to(device=losses.device, dtype=losses.dtype)
        return self.scales

    def weights(self, losses: Tensor) -> Tensor:
        return torch.exp(self._s(losses).detach()).expand_as(losses)

    def weigh(self, losses: Tensor) -> Tensor:
        s = self._s(losses)
        self.last_weights = torch.exp(s.detach()).expand_as(losses)
        return (torch.exp(s) * losses - s).sum(-1)
