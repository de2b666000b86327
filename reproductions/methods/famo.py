"""FAMO: Fast Adaptive Multitask Optimization (Liu, Liang, Stone & Liu, NeurIPS 2023,
arXiv 2306.03792; authors' code Cranial-XIX/FAMO ``famo.py``).

FAMO keeps task logits ``xi`` (weights ``z = softmax(xi)``) and descends on the
log-losses so that all tasks' losses decrease at an equal *rate*, at O(1) cost per step:

* step:  objective ``sum_i (z_i / c) * log(L_i - m_i + eps)`` with
  ``c = sum_i z_i / (L_i - m_i + eps)`` (detached); its gradient is the convex combination
  ``sum_i w_i grad L_i`` with ``w_i = (z_i / (L_i - m_i)) / c`` on the simplex
  (these effective weights are what :meth:`FAMO.backward` returns);
* after the optimizer step, with the new losses ``L'`` of the same batch,
  ``delta = log(L - m + eps) - log(L' - m + eps)`` and the logits take one Adam step
  (learning rate ``beta``, weight decay ``gamma``) along ``J_softmax(xi)^T delta``.

``m`` are known minimum losses (default 0).  The logits have their own optimizer, so
:meth:`FAMO.parameters` is empty.  Defaults follow the authors' code: ``gamma = 0.01``,
``beta = 0.025`` (the paper tunes gamma per benchmark, e.g. 0.001 on NYUv2).

``max_norm`` (default 1.0, as the authors' ``famo.py``) clips the norm of the shared
update: after backpropagating the objective, :meth:`FAMO.backward` rescales the
gradient it wrote into the shared parameters so that its norm is at most ``max_norm``
(``torch.nn.utils.clip_grad_norm_(shared_parameters, max_norm)`` in ``famo.py``); the
task heads are not clipped, the returned weights are the loss weights (what the heads
received) and the factor applied to the shared gradient is kept in
``last_clip_factor``.  :meth:`FAMO.aggregate` clips ``d = w @ G`` the same way and
returns the clipped weights (so that ``d = w @ G`` still holds).  (The authors' experiment
scripts go through ``methods/weight_methods.py``, whose ``WeightMethod.backward`` calls
``clip_grad_norm_`` *before* ``loss.backward()``, i.e. on gradients just zeroed: a
no-op.  ``max_norm = 0`` reproduces that path.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reproductions.methods.base import Method


class FAMO(Method):
    """FAMO loss weighting; call :meth:`after_step` with the post-step losses.

    Hyperparameters:
        gamma: weight decay of the logits' Adam (authors' default 0.01).
        beta: learning rate of the logits' Adam (authors' default 0.025).
        min_losses: optional known lower bounds ``m_i`` of the losses (default 0).
        eps: the ``1e-8`` inside the logs.
        max_norm: clip the norm of the shared update to this (authors' ``famo.py``:
            1.0; 0 disables it, which is what their experiment scripts effectively run).
    """

    name = "famo"
    uses_grads = False
    needs_after_step = True

    def __init__(
        self,
        n_tasks: int,
        gamma: float = 0.01,
        beta: float = 0.025,
        min_losses: list[float] | None = None,
        eps: float = 1e-8,
        max_norm: float = 1.0,
    ) -> None:
        super().__init__(n_tasks)
        self.gamma, self.beta, self.eps = float(gamma), float(beta), float(eps)
        self.max_norm = float(max_norm)
        self.last_clip_factor: Tensor | None = None
        self.logits = torch.zeros(n_tasks, requires_grad=True)
        self._opt = torch.optim.Adam([self.logits], lr=self.beta, weight_decay=self.gamma)
        self._min = torch.tensor(min_losses if min_losses is not None else [0.0] * n_tasks)
        self._prev: Tensor | None = None

    def _sync(self, losses: Tensor) -> None:
        # Follow the losses' device/dtype and batch shape (toy problems: (..., T)).
        target_shape = losses.shape
        if (
            self.logits.device != losses.device
            or self.logits.dtype != losses.dtype
            or self.logits.shape != target_shape
        ):
            data = self.logits.detach().to(device=losses.device, dtype=losses.dtype)
            self.logits = data.expand(target_shape).clone().requires_grad_(True)
            self._opt = torch.optim.Adam([self.logits], lr=self.beta, weight_decay=self.gamma)
        self._min = self._min.to(device=losses.device, dtype=losses.dtype)

    @property
    def task_weights(self) -> Tensor:
        """``z = softmax(xi)``, the weights FAMO's logits encode."""
        return torch.softmax(self.logits.detach(), dim=-1)

    def weights(self, losses: Tensor) -> Tensor:
        self._sync(losses)
        self._prev = losses.detach().clone()
        z = torch.softmax(self.logits.detach(), dim=-1)
        inv = z / (losses.detach() - self._min + self.eps)
        return inv / inv.sum(-1, keepdim=True)

    def weigh(self, losses: Tensor) -> Tensor:
        self._sync(losses)
        self._prev = losses.detach().clone()
        z = torch.softmax(self.logits.detach(), dim=-1)
        D = losses - self._min + self.eps
        c = (z / D.detach()).sum(-1, keepdim=True)
        self.last_weights = (z / D.detach()) / c
        return (torch.log(D) * z / c).sum(-1)

    def _clip_factor(self, norm: Tensor) -> Tensor:
        if self.max_norm <= 0:
            return torch.ones_like(norm)
        return torch.where(norm > self.max_norm, self.max_norm / norm, torch.ones_like(norm))

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        d, w = super().aggregate(G, losses)
        if self.max_norm > 0:
            f = self._clip_factor(d.norm(dim=-1, keepdim=True))
            d, w = d * f, w * f
            self.last_weights = w
        return d, w

    def _backward_weighting(
        self,
        losses: Tensor,
        shared: list[Tensor],
        last_shared_params: Sequence[Tensor] | None,
    ) -> Tensor:
        if self.max_norm <= 0 or not shared:
            return super()._backward_weighting(losses, shared, last_shared_params)
        stash = [p.grad for p in shared]
        for p in shared:
            p.grad = None
        self.weigh(losses).backward()
        grads = [p.grad for p in shared if p.grad is not None]
        f = torch.ones((), dtype=losses.dtype, device=losses.device)
        if grads:
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            f = self._clip_factor(norm)
            if bool(f < 1):
                torch._foreach_mul_(grads, f)
        for p, g in zip(shared, stash, strict=True):
            if g is not None:
                p.grad = g if p.grad is None else p.grad + g
        assert self.last_weights is not None
        self.last_clip_factor = f.detach()
        return self.last_weights.detach()

    def after_step(self, losses: Tensor) -> None:
        if self._prev is None:
            raise RuntimeError("FAMO.after_step called before a step")
        losses = losses.detach().to(device=self._prev.device, dtype=self._prev.dtype)
        delta = torch.log(self._prev - self._min + self.eps) - torch.log(
            losses - self._min + self.eps
        )
        # J_softmax(xi)^T delta = z * (delta - z . delta), what the authors get from autograd.
        z = torch.softmax(self.logits.detach(), dim=-1)
        g = z * (delta - (z * delta).sum(-1, keepdim=True))
        self._opt.zero_grad(set_to_none=True)
        self.logits.grad = g
        self._opt.step()
