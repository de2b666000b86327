"""Equal weighting / linear scalarization (the baseline every MTL paper reports).

The objective is ``sum_i L_i``: every task gets weight 1 and the update is the sum of
the task gradients.  (Some codebases average instead; that only rescales the step.)
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


class LinearScalarization(Method):
    """``L = sum_i w_i L_i`` with fixed weights (default all ones).

    Hyperparameters:
        weights: optional fixed task weights (sequence of T floats); default ones.
    """

    name = "ls"
    uses_grads = False

    def __init__(self, n_tasks: int, weights: list[float] | None = None) -> None:
        super().__init__(n_tasks)
        if weights is not None and len(weights) != n_tasks:
            raise ValueError(f"expected {n_tasks} weights, got {len(weights)}")
        self.fixed = None if weights is None else [float(w) for w in weights]

    def weights(self, losses: Tensor) -> Tensor:
        if self.fixed is None:
            return torch.ones_like(losses)
        return torch.tensor(self.fixed, dtype=losses.dtype, device=losses.device).expand_as(losses)

    def weigh(self, losses: Tensor) -> Tensor:
        w = self.weights(losses.detach())
        self.last_weights = w
        if self.fixed is None:
            return losses.sum(-1)
        return (w * losses).sum(-1)
