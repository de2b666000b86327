"""The contract every multi-task method in :mod:`reproductions.methods` follows.

A *method* turns ``T`` per-task losses into one parameter update.  There are two
families:

* **Loss-weighting methods** (``uses_grads = False``: equal weighting, uncertainty
  weighting, DWA, RLW, FAMO, GradNorm) pick weights ``w`` from the loss values (and
  possibly their own learnable parameters) and backpropagate one scalar objective,
  :meth:`Method.weigh`.  They never need per-task gradients of the shared part
  (GradNorm needs the gradient norms of the last shared layer only).
* **Gradient methods** (``uses_grads = True``: MGDA(-UB), PCGrad, GradDrop, CAGrad,
  IMTL-G, Nash-MTL) need the per-task gradients ``G`` (``T x P``) of the shared
  parameters and combine them into one direction with :meth:`Method.aggregate`.
  Most are *Gramian-based*: their weights depend on ``G`` only through ``K = G G^T``
  (:meth:`Method.weights_from_gramian`) and ``d = w @ G``.

The one call a training loop makes is :meth:`Method.backward`::

    losses = torch.stack([loss_fn(y_hat, y) for ...])     # shape (T,)
    optimizer.zero_grad()
    weights = method.backward(losses, model.shared_parameters(), representation=z)
    optimizer.step()                   # optimizer over model params + method.parameters()
    if method.needs_after_step:        # FAMO
        method.after_step(new_losses)  # the same batch's losses after the step
    ...
    method.end_epoch()                 # once per epoch (DWA; no-op for the others)

After :meth:`Method.backward`:

* loss-weighting methods have backpropagated their objective :meth:`Method.weigh`
  into every parameter, as the papers do (task heads receive ``w_i * grad L_i``; the
  method's own learnable parameters, :meth:`Method.parameters`, their gradients);
* gradient methods have put the combined direction ``d`` (the vector that
  ``optimizer.step`` subtracts) into every shared parameter's ``.grad``, and the
  gradient of the unweighted sum of the losses into every other parameter reachable
  from the losses -- for a task-specific parameter that is its own task's loss
  gradient (as ``torchjd.autojac.mtl_backward`` does).

Gradients accumulate into existing ``.grad`` as ``Tensor.backward`` does.  The weights
used are returned and kept in ``method.last_weights``.

How gradient methods get ``G``: with ``representation=z`` (the trunk output, the only
path from the shared parameters to the task outputs) one batched vector-Jacobian
product through the trunk (``is_grads_batched``, like torchjd's ``mtl_backward``);
without it, ``T`` backward passes with ``retain_graph``.  The Jacobian stays in
per-parameter blocks (no ``T x P`` concatenation for Gramian-based methods).  With
``use_representation=True`` (MGDA-UB) the weights come from the gradients w.r.t. ``z``
and the shared parameters need one ordinary backward pass.

:meth:`Method.aggregate` is pure torch and batched over any leading dimensions:
``G`` of shape ``(..., T, P)`` gives ``d`` of shape ``(..., P)`` and the weights of
shape ``(..., T)``, so a batch of toy problems (one per starting point) runs in one
call.  For loss-weighting methods it returns ``d = w @ G`` with the weights the method
would use at these losses, which makes every method usable on toy problems.

No method holds a device string: state is created lazily on the device and dtype of
the tensors it receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor


class Method:
    """Combines ``T`` per-task losses into one update.

    Class attributes:
        name: registry id, e.g. ``"cagrad"``.
        uses_grads: needs the per-task gradients of the shared part.
        supports_representation: may aggregate gradients taken w.r.t. the shared
            representation instead of the shared parameters (MGDA-UB); only used when
            the instance was built with ``use_representation=True``.
        needs_after_step: call :meth:`after_step` with the losses re-evaluated after
            the optimizer step (FAMO).
        stochastic: the weights depend on a random generator (RLW, PCGrad, GradDrop);
            the constructor takes ``generator=`` / ``seed=`` for reproducibility.
        permutation_invariant: permuting the tasks (rows of ``G`` and entries of
            ``losses``) permutes the weights and leaves the direction unchanged.
        gramian_based: the weights depend on ``G`` only through ``K = G G^T``
            (:meth:`weights_from_gramian`) and ``d = w @ G``; :meth:`backward` then never
            concatenates the per-parameter Jacobian blocks.
    """

    name: ClassVar[str] = "method"
    uses_grads: ClassVar[bool] = False
    supports_representation: ClassVar[bool] = False
    needs_after_step: ClassVar[bool] = False
    stochastic: ClassVar[bool] = False
    permutation_invariant: ClassVar[bool] = True
    gramian_based: ClassVar[bool] = False

    def __init__(self, n_tasks: int, **hparams: object) -> None:
        if n_tasks < 1:
            raise ValueError(f"n_tasks must be >= 1, got {n_tasks}")
        if hparams:
            raise TypeError(f"{type(self).__name__} got unknown hyperparameters: {sorted(hparams)}")
        self.n_tasks = n_tasks
        self.use_representation = False
        self.last_weights: Tensor | None = None

    # ------------------------------------------------------------------ interface
    def parameters(self) -> list[Tensor]:
        """Learnable parameters of the method itself (give them to the optimizer)."""
        return []

    def weights(self, losses: Tensor) -> Tensor:
        """Loss-weighting methods: the weights ``(..., T)`` used at these losses (no grad)."""
        raise NotImplementedError(f"{self.name} is a gradient method: use aggregate()")

    def weigh(self, losses: Tensor) -> Tensor:
        """Loss-weighting methods: the objective to backpropagate.

        ``losses`` has shape ``(..., T)``; returns shape ``(...)``.  The weights used are
        recorded (detached) in ``self.last_weights``.  The default is ``sum_i w_i L_i``
        with ``w = self.weights(losses)``.
        """
        w = self.weights(losses.detach())
        self.last_weights = w
        return (w * losses).sum(-1)

    def aggregate(self, G: Tensor, losses: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Combine per-task gradients ``G`` of shape ``(..., T, P)``.

        Returns ``(d, w)``: the update direction ``(..., P)`` and the task weights
        ``(..., T)``.  For every method but GradDrop ``d = w @ G`` (PCGrad's ``w`` are
        the effective weights of the original gradients); GradDrop's direction is not a
        weighted sum and its ``w`` is the fraction of each task's coordinates it kept.
        ``losses`` ``(..., T)`` is needed by loss-weighting methods (and MGDA's
        loss-based normalizations).
        """
        if self.gramian_based:
            w = self.weights_from_gramian(gramian(G), losses)
            return (w.to(G.dtype).unsqueeze(-2) @ G).squeeze(-2), w
        if self.uses_grads:
            raise NotImplementedError
        if losses is None:
            raise ValueError(f"{self.name} needs the losses to weigh the gradients")
        w = self.weights(losses.detach()).to(G.dtype)
        self.last_weights = w
        return (w.unsqueeze(-2) @ G).squeeze(-2), w

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        """Gramian-based gradient methods: the weights ``(..., T)`` from ``K = G G^T``
        ``(..., T, T)``; the direction is then ``d = w @ G``."""
        raise NotImplementedError(f"{self.name} is not Gramian-based")

    def after_step(self, losses: Tensor) -> None:
        """Called with the losses re-evaluated after the optimizer step (FAMO only)."""

    def end_epoch(self) -> None:
        """Called at the end of every epoch (DWA uses epoch-averaged losses); default no-op."""

    # ------------------------------------------------------------------ training
    def backward(
        self,
        losses: Tensor,
        shared_params: Sequence[Tensor],
        representation: Tensor | None = None,
        *,
        last_shared_params: Sequence[Tensor] | None = None,
    ) -> Tensor:
        """Fill ``.grad`` of every parameter and return the weights used ``(T,)``.

        Args:
            losses: the ``T`` task losses, shape ``(T,)``, still attached to the graph.
            shared_params: the parameters shared by all tasks; they receive the
                combined direction.
            representation: the shared representation ``z`` (output of the shared
                trunk, common input of all task heads).  When given, gradient methods
                compute the Jacobian of the shared parameters with one batched
                vector-Jacobian product through ``z`` (faster than ``T`` backward
                passes), and methods built with ``use_representation=True``
                (MGDA-UB) compute their weights from the gradients w.r.t. ``z``.
            last_shared_params: the last shared layer (GradNorm measures gradient
                norms there); defaults to the last matrix in ``shared_params``.
        """
        shared = [p for p in shared_params if p.requires_grad]
        if not self.uses_grads:
            return self._backward_weighting(losses, shared, last_shared_params)
        return self._backward_gradient(losses, shared, representation)

    # ------------------------------------------------------------------ helpers
    def _backward_weighting(
        self,
        losses: Tensor,
        shared: list[Tensor],
        last_shared_params: Sequence[Tensor] | None,
    ) -> Tensor:
        # As in the papers, the weighted objective is backpropagated into every parameter
        # (task heads receive w_i * grad L_i), and into the method's own parameters.
        self.weigh(losses).backward()
        assert self.last_weights is not None
        return self.last_weights.detach()

    def _backward_gradient(
        self, losses: Tensor, shared: list[Tensor], representation: Tensor | None
    ) -> Tensor:
        T = losses.shape[0]
        if not shared:  # nothing shared (single-task networks): each task its own gradient
            losses.sum().backward()
            w = torch.ones_like(losses.detach())
            self.last_weights = w
            return w
        if representation is not None:
            # Per-task gradients w.r.t. z: cheap (only through the heads).
            eye = torch.eye(T, dtype=losses.dtype, device=losses.device)
            gz = torch.autograd.grad(
                losses, representation, grad_outputs=eye, is_grads_batched=True, retain_graph=True
            )[0]  # (T, *z.shape)
            if self.use_representation:
                Gz = gz.reshape(T, -1)
                _, w = self.aggregate(Gz, losses.detach())
                _check_finite(self.name, w)
                grads = torch.autograd.grad(
                    representation,
                    shared,
                    grad_outputs=(w.to(gz.dtype).reshape((T,) + (1,) * (gz.dim() - 1)) * gz).sum(0),
                    retain_graph=True,
                    allow_unused=True,
                )
                torch.autograd.backward(
                    losses.sum(), inputs=_leaves_above(losses, representation, shared)
                )
                _accumulate(shared, grads)
                self.last_weights = w.detach()
                return w.detach()
            jac = torch.autograd.grad(
                representation,
                shared,
                grad_outputs=gz,
                is_grads_batched=True,
                retain_graph=True,
                allow_unused=True,
            )
            blocks = [
                (
                    j
                    if j is not None
                    else torch.zeros((T,) + p.shape, dtype=p.dtype, device=p.device)
                ).reshape(T, -1)
                for j, p in zip(jac, shared, strict=True)
            ]
            # Heads (and anything not in shared and not below z) get the summed loss gradient.
            torch.autograd.backward(
                losses.sum(), inputs=_leaves_above(losses, representation, shared)
            )
        else:
            per_task: list[list[Tensor]] = []
            stash = [p.grad for p in shared]
            for p in shared:
                p.grad = None
            for i in range(T):
                # Accumulates loss i's gradient into the non-shared leaves (own-task gradient
                # for task-specific params) and into shared params, which we read and reset.
                losses[i].backward(retain_graph=i < T - 1)
                per_task.append(
                    [p.grad if p.grad is not None else torch.zeros_like(p) for p in shared]
                )
                for p in shared:
                    p.grad = None
            for p, g in zip(shared, stash, strict=True):
                p.grad = g
            blocks = [
                torch.stack([per_task[i][k] for i in range(T)]).reshape(T, -1)
                for k in range(len(shared))
            ]
        grads, w = self.aggregate_blocks(blocks, losses.detach())
        _check_finite(self.name, w)
        _accumulate(shared, [g.view_as(p) for g, p in zip(grads, shared, strict=True)])
        self.last_weights = w.detach()
        return w.detach()

    def aggregate_blocks(
        self, blocks: Sequence[Tensor], losses: Tensor | None = None
    ) -> tuple[list[Tensor], Tensor]:
        """:meth:`aggregate` for a Jacobian given as column blocks ``(..., T, n_k)`` (one
        per parameter), without concatenating them.  Returns the direction's blocks
        ``(..., n_k)`` and the weights.  Gramian-based methods sum the blocks' Gramians;
        the default concatenates and calls :meth:`aggregate`."""
        if self.gramian_based:
            K = blocks[0] @ blocks[0].mT
            for b in blocks[1:]:
                K = K + b @ b.mT
            w = self.weights_from_gramian(K, losses)
            wd = w.to(blocks[0].dtype).unsqueeze(-2)
            return [(wd @ b).squeeze(-2) for b in blocks], w
        G = torch.cat(list(blocks), dim=-1)
        d, w = self.aggregate(G, losses)
        return list(d.split([b.shape[-1] for b in blocks], dim=-1)), w


def _check_finite(name: str, w: Tensor) -> None:
    """The guard of :meth:`Method.backward`: every method returns finite weights on any
    finite Jacobian (zero where no direction helps; see ``method_checks``), so non-finite
    weights mean non-finite losses or gradients -- fail loudly rather than write NaN
    into the parameters."""
    if not bool(torch.isfinite(w).all()):
        raise FloatingPointError(
            f"{name}: non-finite task weights {w.tolist()} (non-finite losses or gradients?)"
        )


def _accumulate(params: Sequence[Tensor], grads: Sequence[Tensor | None]) -> None:
    for p, g in zip(params, grads, strict=True):
        if g is None:
            continue
        if p.grad is None:
            p.grad = g.detach()
        else:
            p.grad = p.grad + g.detach()


def _leaves_above(root: Tensor, stop: Tensor | None, exclude: Sequence[Tensor]) -> list[Tensor]:
    """Leaf tensors requiring grad reachable from ``root`` without passing through ``stop``
    and not in ``exclude``."""
    excluded = {id(p) for p in exclude}
    stop_fn = stop.grad_fn if stop is not None else None
    leaves: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [root.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen or fn is stop_fn:
            continue
        seen.add(id(fn))
        var = getattr(fn, "variable", None)
        if var is not None:  # AccumulateGrad node
            if id(var) not in excluded:
                leaves[id(var)] = var
            continue
        for nxt, _ in fn.next_functions:
            stack.append(nxt)
    return list(leaves.values())


def make_generator(
    generator: torch.Generator | None, seed: int | None
) -> torch.Generator | None:
    """The random source of a stochastic method: ``generator``, else one seeded by ``seed``,
    else None (torch's global generator)."""
    if generator is None and seed is not None:
        generator = torch.Generator().manual_seed(seed)
    return generator


def project_simplex(v: Tensor) -> Tensor:
    """Euclidean projection of each row ``v[..., :]`` onto the probability simplex.

    Sort-based algorithm (Held et al. 1974; Duchi et al. 2008), batched over leading dims.
    """
    T = v.shape[-1]
    u, _ = torch.sort(v, dim=-1, descending=True)
    css = u.cumsum(-1) - 1
    k = torch.arange(1, T + 1, device=v.device, dtype=v.dtype)
    cond = u - css / k > 0
    rho = cond.to(v.dtype).cumsum(-1).argmax(-1, keepdim=True)  # last index where cond holds
    theta = css.gather(-1, rho) / (rho + 1).to(v.dtype)
    return (v - theta).clamp_min(0)


def gramian(G: Tensor) -> Tensor:
    """``G @ G^T`` for ``G`` of shape ``(..., T, P)``."""
    return G @ G.mT


def clip_weights(w: Tensor, gram: Tensor, max_norm: float) -> Tensor:
    """Scale the weights ``w`` (..., T) so that ``||w @ G|| <= max_norm`` (``gram = G G^T``);
    ``max_norm <= 0`` leaves them unchanged.  The same as the authors' ``clip_grad_norm_``
    on the shared parameters after writing ``d = w @ G`` into them."""
    if max_norm <= 0:
        return w
    norm = (w.unsqueeze(-2) @ gram @ w.unsqueeze(-1)).squeeze(-1).clamp_min(0).sqrt()
    return w * torch.where(norm > max_norm, max_norm / norm, torch.ones_like(norm))
