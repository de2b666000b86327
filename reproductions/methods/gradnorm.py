"""GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018, arXiv 1711.02257, Algorithm 1).

Learnable task weights ``w_i(t)`` scale the losses, ``L = sum_i w_i L_i``.  At the last
shared layer ``W`` GradNorm measures ``G_i = ||grad_W w_i L_i|| = w_i ||grad_W L_i||``,
their mean ``G_bar``, and the relative inverse training rates
``r_i = Ltilde_i / mean_j Ltilde_j`` with ``Ltilde_i = L_i(t) / L_i(0)``.  The weights
follow the gradient of

    L_grad = sum_i | G_i - G_bar * r_i^alpha |     (the target is a constant),

i.e. ``dL_grad/dw_i = sign(G_i - target_i) ||grad_W L_i||``, written into ``w.grad`` so
that the optimizer that holds :meth:`GradNorm.parameters` updates them; after every
step the weights are renormalised so that ``sum_i w_i = T`` (done at the start of the
next call, so the weights used always sum to T).  ``L_i(0)`` are the losses of the
first call.  ``alpha = 1.5`` (the paper's NYUv2 setting and LibMTL's default).

Through :meth:`Method.aggregate` (toy problems) the gradient norms are those of the
full rows of ``G``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reproductions.methods.base import Method


class GradNorm(Method):
    """GradNorm adaptive loss balancing.

    Hyperparameters:
        alpha: restoring-force strength (paper: 1.5 on NYUv2, 0.12 on the toy problem).
    """

    name = "gradnorm"
    uses_grads = False

    def __init__(self, n_tasks: int, alpha: float = 1.5) -> None:
        super().__init__(n_tasks)
        self.alpha = float(alpha)
        self.task_weights = torch.nn.Parameter(torch.ones(n_tasks))
        self.initial_losses: Tensor | None = None

    def parameters(self) -> list[Tensor]:
        return [self.task_weights]

    def _current(self, losses: Tensor) -> Tensor:
        """Renormalise the weights to sum to T (after the optimizer moved them)."""
        p = self.task_weights
        if p.device != losses.device or p.dtype != losses.dtype or p.shape != losses.shape:
            p.data = (
                p.data.to(device=losses.device, dtype=losses.dtype).expand(losses.shape).clone()
            )
        with torch.no_grad():
            w = p.data.clamp_min(1e-8)
            p.data.copy_(self.n_tasks * w / w.sum(-1, keepdim=True))
        if self.initial_losses is None:
            self.initial_losses = losses.detach().clone()
        return p.data.clone()

    def weights(self, losses: Tensor) -> Tensor:
        return self._current(losses)

    def _set_weight_grad(self, norms: Tensor, losses: Tensor, w: Tensor) -> None:
        assert self.initial_losses is not None
        ratio = losses.detach() / self.initial_losses
        r = ratio / ratio.mean(-1, keepdim=True)
        G = w * norms
        target = G.mean(-1, keepdim=True) * r**self.alpha
        g = torch.sign(G - target) * norms
        p = self.task_weights
        p.grad = g if p.grad is None else p.grad + g

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if losses is None:
            raise ValueError("GradNorm needs the losses")
        w = self._current(losses.detach().to(G.dtype))
        self._set_weight_grad(G.norm(dim=-1), losses.detach().to(G.dtype), w)
        self.last_weights = w
        return (w.unsqueeze(-1) * G).sum(-2), w

    def _backward_weighting(
        self,
        losses: Tensor,
        shared: list[Tensor],
        last_shared_params: Sequence[Tensor] | None,
    ) -> Tensor:
        if last_shared_params is None:
            mats = [p for p in shared if p.dim() >= 2]
            last_shared_params = [mats[-1]] if mats else shared[-1:]
        last = [p for p in last_shared_params if p.requires_grad]
        w = self._current(losses.detach())
        if last:
            # All T gradients at W in one batched vector-Jacobian product.
            eye = torch.eye(self.n_tasks, dtype=losses.dtype, device=losses.device)
            grads = torch.autograd.grad(
                losses,
                last,
                grad_outputs=eye,
                is_grads_batched=True,
                retain_graph=True,
                allow_unused=True,
            )
            sq = [g.reshape(self.n_tasks, -1).pow(2).sum(-1) for g in grads if g is not None]
            norms = torch.stack(sq).sum(0).sqrt() if sq else torch.zeros_like(losses.detach())
        else:  # nothing shared: no gradient norms to balance
            norms = torch.zeros_like(losses.detach())
        self._set_weight_grad(norms, losses, w)
        self.last_weights = w
        (w * losses).sum().backward()
        return w
