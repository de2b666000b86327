"""Dynamic weight average (Liu, Johns & Davison, CVPR 2019, arXiv 1803.10704, Eq. 7).

    w_k(t) = K * exp(r_k(t-1) / tau) / sum_i exp(r_i(t-1) / tau),
    r_k(t-1) = L_k(t-1) / L_k(t-2),

with ``L_k(t)`` the average loss of task k over epoch t, ``tau = 2`` and ``w = 1`` for the
first two epochs.  The weights sum to ``K`` (the number of tasks).  Losses seen by
:meth:`DWA.weigh` / :meth:`DWA.aggregate` are averaged over the epoch; call
:meth:`DWA.end_epoch` at each epoch end, or pass ``steps_per_epoch`` to count epochs
automatically (``steps_per_epoch=1`` gives the per-iteration variant).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class DWA(Method):
    """Dynamic weight average.

    Hyperparameters:
        temperature: ``tau`` (paper: 2).
        steps_per_epoch: if given, an epoch ends automatically after that many calls.
    """

    name = "dwa"
    uses_grads = False

    def __init__(
        self, n_tasks: int, temperature: float = 2.0, steps_per_epoch: int | None = None
    ) -> None:
        super().__init__(n_tasks)
        self.temperature = float(temperature)
        self.steps_per_epoch = steps_per_epoch
        self._sum: Tensor | None = None
        self._count = 0
        self.history: list[Tensor] = []  # epoch-averaged losses, most recent last

    def weights(self, losses: Tensor) -> Tensor:
        if len(self.history) < 2:
            w = torch.ones_like(losses)
        else:
            r = self.history[-1] / self.history[-2]
            w = self.n_tasks * torch.softmax(r / self.temperature, dim=-1)
            w = w.to(device=losses.device, dtype=losses.dtype).expand_as(losses)
        self._record(losses)
        return w

    def _record(self, losses: Tensor) -> None:
        self._sum = losses.detach().clone() if self._sum is None else self._sum + losses.detach()
        self._count += 1
        if self.steps_per_epoch is not None and self._count >= self.steps_per_epoch:
            self.end_epoch()

    def end_epoch(self) -> None:
        if self._sum is None:
            return
        self.history.append(self._sum / self._count)
        self.history = self.history[-2:]
        self._sum, self._count = None, 0
