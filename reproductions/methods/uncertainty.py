"""Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018, arXiv 1705.07115).

Each task has a learnable log-variance ``s_i = log sigma_i^2``; the objective
implemented is

    L(theta, s) = sum_i exp(-s_i) * L_i(theta) + s_i,

which is **twice** the paper's regression form (its Eq. 7 for a Gaussian likelihood,
``1/(2 sigma^2) L + log sigma = 1/2 (exp(-s) L + s)``) and equals its classification
form (Eq. 10, ``1/sigma^2 L + log sigma``) only up to the weight of the ``s`` term.
Why this form: it is what the authors' public example runs
(yaringal/multi-task-learning-example, ``criterion``: ``precision * diff + log_vars``
with ``precision = exp(-log_vars)``), which our ``kendall-uncertainty`` reproduction
ports, and the single form covers regression and classification alike.  The factor 2
changes neither the minimiser in ``theta`` nor in ``s`` (for fixed losses ``s_i = log
L_i``: d/ds ``-exp(-s) L + 1 = 0``) nor, with Adam, the trajectory; with plain SGD it
doubles the effective learning rate.  The weights reported are ``exp(-s_i)`` (the
paper's ``1 / (2 sigma_i^2)`` times 2).  ``s`` is trained jointly with the network by
the same optimizer, so pass :meth:`UncertaintyWeighting.parameters` to it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class UncertaintyWeighting(Method):
    """Kendall et al. (2018) uncertainty weighting.

    Hyperparameters:
        init_log_var: initial value of every ``s_i`` (paper/LibMTL: 0).
    """

    name = "uw"
    uses_grads = False

    def __init__(self, n_tasks: int, init_log_var: float = 0.0) -> None:
        super().__init__(n_tasks)
        self.log_vars = torch.nn.Parameter(torch.full((n_tasks,), float(init_log_var)))

    def parameters(self) -> list[Tensor]:
        return [self.log_vars]

    def _s(self, losses: Tensor) -> Tensor:
        if self.log_vars.device != losses.device or self.log_vars.dtype != losses.dtype:
            self.log_vars.data = self.log_vars.data.to(device=losses.device, dtype=losses.dtype)
        return self.log_vars

    def weights(self, losses: Tensor) -> Tensor:
        return torch.exp(-self._s(losses).detach()).expand_as(losses)

    def weigh(self, losses: Tensor) -> Tensor:
        s = self._s(losses)
        self.last_weights = torch.exp(-s.detach()).expand_as(losses)
        return (torch.exp(-s) * losses + s).sum(-1)
