"""Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022,
arXiv 2202.01017; authors' code AvivNavon/nash-mtl ``methods/weight_methods.py``).

The update ``d = G^T alpha`` is the Nash bargaining solution among the tasks: with
``K = G G^T`` the weights solve

    alpha_i (K alpha)_i = 1,   alpha > 0      (Eq. 4: K alpha = 1 / alpha).

These are exactly the stationarity conditions of the strictly convex problem
``min_{alpha > 0}  1/2 alpha^T K alpha - sum_i log alpha_i``, which we solve in torch,
batched, by damped Newton's method (the objective is self-concordant, so the step
``Delta / (1 + lambda)``, with ``lambda`` the Newton decrement, stays in the positive
orthant and converges globally, then quadratically).  The authors instead run a
sequence of convex programs (cvxpy/ECOS, ``optim_niter = 20``) on ``K / ||K||_F``.
For two tasks the solution is closed form:
``alpha_i = 1 / (||g_i|| sqrt(1 + cos(g_1, g_2)))``.

A solution exists exactly when some direction improves every task (0 is not in the
convex hull of the task gradients, Gordan's theorem).  When it does not -- a zero task
gradient, opposite gradients, a low-rank Jacobian with a positive combination summing
to zero -- the point is Pareto stationary, the Newton iterates diverge, and we return
zero weights (so a zero update, as MGDA does there) instead of NaN or huge weights:
for two tasks when ``||g_i|| = 0`` or ``1 + cos(g_1, g_2) <= 1e-12``, for more when the
bargaining residual ``max_i |alpha_i (K alpha)_i - 1|`` is still above ``1e-6`` after
``max_iter`` Newton steps.  Note that ``||d||^2 = alpha^T K alpha = T`` at the solution
whatever the gradients' scale.

The authors (and torchjd's port) solve on ``K / ||K||_F`` and apply those weights to
``G``, which multiplies ``d`` by ``sqrt(||K||_F)`` (norm ``sqrt(T ||K||_F)``); the
direction is the same, and with the default clipping both updates are the same unit
vector whenever both norms exceed ``max_norm``.

``max_norm`` clips the norm of ``d`` (and scales the returned weights), which is what
the authors' ``NashMTL.backward`` does with ``clip_grad_norm_(shared_parameters,
max_norm)`` after backpropagating; their default, followed here, is ``max_norm = 1.0``
(0 disables it: the paper's algorithm as written).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method

STATIONARY_COS_TOL = 1e-12  # 1 + cos below this: opposite gradients (T = 2)
RESIDUAL_TOL = 1e-6  # bargaining residual above this after max_iter: no solution (T > 2)


def nash_weights_2(gram: Tensor) -> Tensor:
    """Closed-form Nash bargaining weights for two tasks (``gram`` (..., 2, 2)); zero
    weights where no solution exists (a zero gradient, or opposite gradients)."""
    g = gram.double()
    n1 = g[..., 0, 0].clamp_min(0).sqrt()
    n2 = g[..., 1, 1].clamp_min(0).sqrt()
    ok = (n1 > 0) & (n2 > 0)
    one = torch.ones_like(n1)
    n1s, n2s = torch.where(ok, n1, one), torch.where(ok, n2, one)
    one_plus_cos = (1 + (g[..., 0, 1] / (n1s * n2s)).clamp(-1, 1))
    ok = ok & (one_plus_cos > STATIONARY_COS_TOL)
    k = torch.where(ok, one_plus_cos, one).sqrt()
    w = torch.stack([1 / (n1s * k), 1 / (n2s * k)], dim=-1)
    return torch.where(ok.unsqueeze(-1), w, torch.zeros_like(w)).to(gram.dtype)


def nash_weights(gram: Tensor, max_iter: int = 100, tol: float = 1e-12) -> Tensor:
    """Solve ``alpha_i (K alpha)_i = 1`` for ``K = gram`` (..., T, T) by damped Newton
    (in float64 whatever the input dtype: the system is tiny).  Problems without a
    solution (Pareto-stationary points; see the module docstring) get zero weights."""
    out_dtype = gram.dtype
    gram = gram.double()
    diag = torch.diagonal(gram, dim1=-2, dim2=-1)
    scale = diag.amax(-1, keepdim=True).clamp_min(torch.finfo(gram.dtype).tiny)
    K = gram / scale.unsqueeze(-1)  # solution for K is sqrt(scale) * solution for gram
    d = torch.diagonal(K, dim1=-2, dim2=-1)
    alpha = 1 / torch.where(d > 0, d, torch.ones_like(d)).sqrt()
    for it in range(max_iter):
        Ka = (K @ alpha.unsqueeze(-1)).squeeze(-1)
        grad = Ka - 1 / alpha
        H = K + torch.diag_embed(1 / alpha**2)
        delta = -torch.linalg.solve(H, grad.unsqueeze(-1)).squeeze(-1)
        lam2 = -(grad * delta).sum(-1, keepdim=True)  # Newton decrement squared
        lam = lam2.clamp_min(0).sqrt()
        alpha = alpha + delta / (1 + lam)
        alpha = alpha.clamp_min(torch.finfo(gram.dtype).tiny)
        if it % 5 == 4 and bool((lam2 < tol).all()):
            break
    Ka = (K @ alpha.unsqueeze(-1)).squeeze(-1)
    residual = (alpha * Ka - 1).abs().amax(-1, keepdim=True)
    ok = (residual <= RESIDUAL_TOL) & torch.isfinite(residual) & (diag.amax(-1, keepdim=True) > 0)
    alpha = torch.where(ok, alpha / scale.sqrt(), torch.zeros_like(alpha))
    return alpha.to(out_dtype)


class NashMTL(Method):
    """Nash-MTL bargaining weights.

    Hyperparameters:
        max_norm: clip ``||d||`` to this value (authors' default 1.0; 0 disables).
        update_weights_every: recompute the weights every k calls, reusing them in
            between (authors' speed-up; default 1).
        max_iter: Newton iterations.
    """

    name = "nashmtl"
    uses_grads = True
    gramian_based = True

    def __init__(
        self,
        n_tasks: int,
        max_norm: float = 1.0,
        update_weights_every: int = 1,
        max_iter: int = 100,
    ) -> None:
        super().__init__(n_tasks)
        self.max_norm = float(max_norm)
        self.update_weights_every = int(update_weights_every)
        self.max_iter = int(max_iter)
        self._step = 0
        self._cached: Tensor | None = None

    def solve(self, gram: Tensor) -> Tensor:
        """The exact bargaining weights for ``gram`` (closed form for two tasks)."""
        if gram.shape[-1] == 2:
            return nash_weights_2(gram)
        return nash_weights(gram, self.max_iter)

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        if (
            self._cached is None
            or self._step % self.update_weights_every == 0
            or self._cached.shape != gram.shape[:-1]
        ):
            self._cached = self.solve(gram)
        self._step += 1
        w = self._cached
        if self.max_norm > 0:
            norm = (w.unsqueeze(-2) @ gram @ w.unsqueeze(-1)).squeeze(-1).clamp_min(0).sqrt()
            w = w * torch.where(norm > self.max_norm, self.max_norm / norm, torch.ones_like(norm))
        return w
