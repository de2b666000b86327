"""GradDrop / gradient sign dropout (Chen et al., "Just Pick a Sign", NeurIPS 2020,
arXiv 2010.06808, Algorithm 1).

For every coordinate, the positive sign purity is
``P = 1/2 (1 + sum_i g_i / sum_i |g_i|)`` in [0, 1].  Draw ``U ~ Uniform(0, 1)`` per
coordinate; keep the positive components of every task where ``f(P) > U`` and the
negative ones where ``f(P) < U``, drop the rest (``f`` = identity by default), and sum:

    d = sum_i (l_i + (1 - l_i) M_i) * g_i,
    M_i = 1[f(P) > U] 1[g_i > 0] + 1[f(P) < U] 1[g_i < 0],

with leak ``l_i`` (0 by default: pure GradDrop).  The returned "weights" are the
fraction of each task's nonzero coordinates that was kept.

Placement.  The paper (and LibMTL's ``GradDrop``, which refuses parameter gradients)
applies it as a layer at a shared *activation* ``A`` (e.g. the trunk output, before the
heads): with ``grad_A L_i`` the per-task gradients w.r.t. ``A``, it forms
``G_i = sum_batch sign(A) o grad_A L_i`` (Algorithm 1, "batch-separated" case), the
purity ``P`` and masks ``M_i`` from ``G_i`` per feature, and backpropagates
``sum_i (l_i + (1 - l_i) M_i) o grad_A L_i`` (masks broadcast over the batch) into the
trunk.  That is what ``GradDrop(T, use_representation=True)`` does in
:meth:`Method.backward` with ``representation=A`` (and the free function
:func:`graddrop_backward` for any activation); the task heads receive their own
loss gradients.  Without ``use_representation`` (the default) it acts on whatever
per-task gradients ``G`` it is given -- the shared-parameter gradients in
:meth:`Method.backward`, as torchjd's ``GradDrop`` aggregator does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reproductions.methods.base import Method, _check_finite, _leaves_above, make_generator


def graddrop_activation_gradient(
    grads: Tensor,
    activation: Tensor,
    leak: float | Sequence[float] = 0.0,
    generator: torch.Generator | None = None,
    batch_dim: int | None = 0,
) -> tuple[Tensor, Tensor]:
    """The paper's GradDrop at an activation layer (Algorithm 1), as LibMTL writes it.

    Args:
        grads: per-task gradients w.r.t. the activation, ``(T, *activation.shape)``.
        activation: the activation ``A`` itself (its signs enter ``G_i``).
        leak: scalar or ``T`` leak values.
        generator: the random source of ``U`` (one uniform per feature).
        batch_dim: the batch dimension of ``A`` that ``G_i`` sums over (``None``: no
            batch dimension, ``G_i = grad_A L_i``).

    Returns ``(new_grad, kept)``: the gradient to backpropagate from ``A``
    (``activation.shape``) and, per task, the fraction of its nonzero features kept.
    """
    T = grads.shape[0]
    if batch_dim is None:
        Gi = grads
    else:
        Gi = (grads * torch.sign(activation).unsqueeze(0)).sum(1 + batch_dim)
    total = Gi.sum(0)
    P = 0.5 * (1 + total / Gi.abs().sum(0).clamp_min(torch.finfo(Gi.dtype).tiny))
    U = torch.rand(P.shape, generator=generator, dtype=P.dtype).to(P.device)
    M = (P > U).to(Gi.dtype) * (Gi > 0).to(Gi.dtype) + (P < U).to(Gi.dtype) * (Gi < 0).to(
        Gi.dtype
    )  # (T, features)
    leak_t = torch.as_tensor(
        [float(leak)] * T if isinstance(leak, (int, float)) else [float(x) for x in leak],
        dtype=grads.dtype, device=grads.device,
    ).reshape((T,) + (1,) * (grads.dim() - 1))
    mask = M if batch_dim is None else M.unsqueeze(1 + batch_dim)
    new_grad = ((leak_t + (1 - leak_t) * mask) * grads).sum(0)
    nonzero = (Gi != 0).to(Gi.dtype).reshape(T, -1).sum(-1)
    kept = M.reshape(T, -1).sum(-1) / nonzero.clamp_min(1)
    return new_grad, kept


def graddrop_backward(
    losses: Tensor,
    activation: Tensor,
    leak: float | Sequence[float] = 0.0,
    generator: torch.Generator | None = None,
    batch_dim: int | None = 0,
) -> Tensor:
    """Backpropagate ``losses`` (``(T,)``) with GradDrop at ``activation``: everything
    below the activation receives the GradDrop gradient, every leaf above it (task heads)
    its own loss gradient (the gradient of ``sum_i L_i``).  Returns the kept fractions."""
    T = losses.shape[0]
    eye = torch.eye(T, dtype=losses.dtype, device=losses.device)
    grads = torch.autograd.grad(
        losses, activation, grad_outputs=eye, is_grads_batched=True, retain_graph=True
    )[0]
    new_grad, kept = graddrop_activation_gradient(grads, activation, leak, generator, batch_dim)
    above = _leaves_above(losses, activation, [])
    if above:
        torch.autograd.backward(losses.sum(), inputs=above, retain_graph=True)
    activation.backward(new_grad)
    return kept


class GradDrop(Method):
    """Gradient sign dropout.

    Hyperparameters:
        leak: scalar or T leak values in [0, 1] (default 0).
        generator / seed: the random source of ``U``.
        use_representation: the paper's placement: apply GradDrop to the gradients
            w.r.t. the shared activation passed as ``representation=`` to
            :meth:`Method.backward` (default False: the shared-parameter gradients).
        batch_dim: with ``use_representation``, the batch dimension of the activation
            that the sign statistics sum over (default 0; None: none).
    """

    name = "graddrop"
    uses_grads = True
    stochastic = True
    supports_representation = True

    def __init__(
        self,
        n_tasks: int,
        leak: float | list[float] = 0.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        use_representation: bool = False,
        batch_dim: int | None = 0,
    ) -> None:
        super().__init__(n_tasks)
        self.use_representation = bool(use_representation)
        self.batch_dim = batch_dim
        self.leak = (
            [float(leak)] * n_tasks if isinstance(leak, (int, float)) else [float(x) for x in leak]
        )
        self.generator = make_generator(generator, seed)

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        (d,), w = self.aggregate_blocks([G], losses)
        return d, w

    def _backward_gradient(
        self, losses: Tensor, shared: list[Tensor], representation: Tensor | None
    ) -> Tensor:
        if not (self.use_representation and representation is not None and shared):
            return super()._backward_gradient(losses, shared, representation)
        stash = [p.grad for p in shared]
        for p in shared:
            p.grad = None
        kept = graddrop_backward(
            losses, representation, self.leak, self.generator, self.batch_dim
        )
        for p, g in zip(shared, stash, strict=True):
            if g is not None:
                p.grad = g if p.grad is None else p.grad + g
        _check_finite(self.name, kept)
        self.last_weights = kept.detach()
        return self.last_weights

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
