"""DB-MTL: dual-balancing multi-task learning (Lin, Jiang, Ye, Zhang, Chen, Chen, Liu &
Kwok, "Dual-Balancing for Multi-Task Learning", arXiv 2308.12029; official code in the
authors' LibMTL, ``LibMTL/weighting/DB_MTL.py``).

Two balancing steps, both from the official code:

* loss scale: every task loss is replaced by ``log(L_i + 1e-8)``, whose gradient is
  ``g_i / (L_i + 1e-8)``;
* gradient magnitude: an EMA of these log-loss gradients,
  ``h_i <- g_i + (beta / k^sigma) (h_i - g_i)`` at step ``k`` (``h_i = 0`` before the
  first), and every ``h_i`` is rescaled to the largest norm:
  ``d = sum_i alpha_i h_i`` with ``alpha_i = max_j ||h_j|| / (||h_i|| + 1e-8)``.

The EMA keeps one ``T x P`` buffer (per parameter block, never concatenated), so the
direction is not ``w @ G`` of the current gradients: the returned weights are the
``alpha_i`` that multiply the buffered ``h_i``.  Defaults follow LibMTL's config:
``beta = 0.9``, ``sigma = 0``.  In :meth:`Method.backward` the task heads receive the
gradient of ``sum_i log(L_i + 1e-8)``, as in the official code (which backpropagates the
log-losses into every parameter); the losses must be positive.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reproductions.methods.base import Method

LOG_EPS = 1e-8


class DBMTL(Method):
    """DB-MTL (stateful: the gradient EMA persists across calls).

    Hyperparameters:
        beta: EMA factor (LibMTL default 0.9).
        beta_sigma: decay exponent of the EMA factor, ``beta / k^sigma`` (default 0).
    """

    name = "db_mtl"
    uses_grads = True

    def __init__(self, n_tasks: int, beta: float = 0.9, beta_sigma: float = 0.0) -> None:
        super().__init__(n_tasks)
        self.beta, self.beta_sigma = float(beta), float(beta_sigma)
        self.step = 0
        self.buffers: list[Tensor] | None = None
        self._in_log_space = False

    def reset(self) -> None:
        self.step, self.buffers = 0, None

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        (d,), w = self.aggregate_blocks([G], losses)
        return d, w

    def aggregate_blocks(
        self, blocks: Sequence[Tensor], losses: Tensor | None = None
    ) -> tuple[list[Tensor], Tensor]:
        if not self._in_log_space:
            if losses is None:
                raise ValueError("DB-MTL needs the losses (gradients of log L_i = g_i / L_i)")
            inv = (1 / (losses.to(blocks[0].dtype) + LOG_EPS)).unsqueeze(-1)
            blocks = [b * inv for b in blocks]
        self.step += 1
        factor = self.beta / self.step**self.beta_sigma
        if (
            self.buffers is None
            or len(self.buffers) != len(blocks)
            or any(h.shape != b.shape for h, b in zip(self.buffers, blocks, strict=True))
        ):
            self.buffers = [torch.zeros_like(b) for b in blocks]
        self.buffers = [b + factor * (h - b) for h, b in zip(self.buffers, blocks, strict=True)]
        sq = self.buffers[0].pow(2).sum(-1)
        for h in self.buffers[1:]:
            sq = sq + h.pow(2).sum(-1)
        norms = sq.sqrt()
        alpha = norms.amax(-1, keepdim=True) / (norms + LOG_EPS)
        a = alpha.unsqueeze(-2)
        return [(a @ h).squeeze(-2) for h in self.buffers], alpha

    def backward(
        self,
        losses: Tensor,
        shared_params: Sequence[Tensor],
        representation: Tensor | None = None,
        *,
        last_shared_params: Sequence[Tensor] | None = None,
    ) -> Tensor:
        """:meth:`Method.backward` on the log-losses (the gradients it collects are already
        those of ``log L_i``; the heads receive the gradient of ``sum_i log L_i``)."""
        self._in_log_space = True
        try:
            return super().backward(
                torch.log(losses + LOG_EPS), shared_params, representation,
                last_shared_params=last_shared_params,
            )
        finally:
            self._in_log_space = False
