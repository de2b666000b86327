"""GradDrop / gradient sign dropout (Chen et al., "Just Pick a Sign", NeurIPS 2020,
arXiv 2010.06808, Algorithm 1).

For every coordinate, the positive sign purity is
``P = 1/2 (1 + sum_i g_i / sum_i |g_i|)`` in [0, 1].  Draw ``U ~ Uniform(0, 1)`` per
coordinate; keep the positive components of every task where ``f(P) > U`` and the
negative ones where ``f(P) < U``, drop the rest (``f`` = identity by default), and sum:

    d = sum_i (l_i + (1 - l_i) M_i) * g_i,
    M_i = 1[f(P) > U] 1[g_i > 0] + 1[f(P) < U] 1[g_i < 0],

with leak ``l_i`` (0 by default: pure GradDrop).  The paper applies it to the gradients
at an activation layer (summed over the batch); here it acts on whatever per-task
gradients ``G`` it is given (shared parameters by default).  The returned "weights" are
the fraction of each task's nonzero coordinates that was kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reproductions.methods.base import Method, make_generator


class GradDrop(Method):
    """Gradient sign dropout.

    Hyperparameters:
        leak: scalar or T leak values in [0, 1] (default 0).
        generator / seed: the random source of ``U``.
    """

    name = "graddrop"
    uses_grads = True
    stochastic = True

    def __init__(
        self,
        n_tasks: int,
        leak: float | list[float] = 0.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_tasks)
        self.leak = (
            [float(leak)] * n_tasks if isinstance(leak, (int, float)) else [float(x) for x in leak]
        )
        self.generator = make_generator(generator, seed)

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        (d,), w = self.aggregate_blocks([G], losses)
        return d, w

    def aggregate_blocks(
        self, blocks: Sequence[Tensor], losses: Tensor | None = None
    ) -> tuple[list[Tensor], Tensor]:
        """Coordinate-wise, so it runs block by block (one ``U`` for all coordinates)."""
        ref = blocks[0]
        sizes = [b.shape[-1] for b in blocks]
        U_all = torch.rand(
            ref.shape[:-2] + (sum(sizes),), generator=self.generator, dtype=ref.dtype
        )
        U_all = U_all.to(ref.device)
        leak = torch.tensor(self.leak, dtype=ref.dtype, device=ref.device).unsqueeze(-1)
        out: list[Tensor] = []
        kept_minus_dropped = torch.zeros(ref.shape[:-1], dtype=ref.dtype, device=ref.device)
        nonzero = torch.zeros_like(kept_minus_dropped)
        for G, U in zip(blocks, U_all.split(sizes, dim=-1), strict=True):
            # Arithmetic only (no torch.where: much slower on CPU for large vectors).
            ones = torch.ones(G.shape[:-1], dtype=G.dtype, device=G.device).unsqueeze(-2)
            pos = (ones @ torch.relu(G)).squeeze(-2)  # sum of the positive components
            total = (ones @ G).squeeze(-2)  # (a matrix-vector product beats .sum(-2) on CPU)
            abs_sum = 2 * pos - total  # sum of |g_i|
            P = 0.5 + 0.5 * total / abs_sum.clamp_min(torch.finfo(G.dtype).tiny)
            s = torch.sign(P - U)  # +1: keep positive components, -1: keep negative, 0: none
            sign = torch.sign(G)
            if any(self.leak):
                M = (sign * s.unsqueeze(-2)).clamp_min(0)  # 1 where g_i's sign is kept
                out.append(((leak + (1 - leak) * M) * G).sum(-2))
            else:
                # sum_i M_i g_i = pos where s = 1 and neg = total - pos where s = -1.
                out.append(0.5 * (total * s.abs() + abs_sum * s))
            # sign(G) @ s counts kept minus dropped coordinates.
            kept_minus_dropped = kept_minus_dropped + (sign @ s.unsqueeze(-1)).squeeze(-1)
            nonzero = nonzero + sign.abs().sum(-1)
        # weights: the fraction of each task's nonzero coordinates that was kept
        return out, 0.5 * (kept_minus_dropped + nonzero) / nonzero.clamp_min(1)
