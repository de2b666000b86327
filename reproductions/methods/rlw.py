"""Random loss weighting (Lin et al., "Reasonable Effectiveness of Random Weighting",
TMLR 2022, arXiv 2111.10603).

At every step the weights are drawn afresh as ``softmax(z)`` with ``z ~ N(0, I_T)``
(the paper's default distribution), so they lie on the simplex; the objective is
``sum_i w_i L_i``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method, make_generator


class RLW(Method):
    """Random loss weighting with normal logits.

    Hyperparameters:
        generator: a ``torch.Generator`` (CPU) for reproducibility, or
        seed: an int to build one.  Without either, the global RNG is used.
    """

    name = "rlw"
    uses_grads = False
    stochastic = True
    permutation_invariant = False

    def __init__(
        self, n_tasks: int, generator: torch.Generator | None = None, seed: int | None = None
    ) -> None:
        super().__init__(n_tasks)
        self.generator = make_generator(generator, seed)

    def weights(self, losses: Tensor) -> Tensor:
        # Sample on the CPU generator, then move: reproducible across devices.
        z = torch.randn(losses.shape, generator=self.generator, dtype=losses.dtype)
        return torch.softmax(z, dim=-1).to(losses.device)
