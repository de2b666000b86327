"""FairGrad (Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024,
arXiv 2402.15638, Eq. 4 / Algorithm 1; official code OptMN-Lab/fairgrad
``methods/weight_methods.py`` class ``FairGrad``, also torchjd
``src/torchjd/aggregation/_fairgrad.py``).

FairGrad maximises the alpha-fair utility of the tasks' improvements ``g_i . d``; its
step is ``d = w @ G`` with the weights ``w > 0`` solving

    K w = w^{-1/alpha}      (K = G G^T, elementwise power),

(``alpha = 1`` is the Nash bargaining solution of Nash-MTL; ``alpha -> 0`` linear
scalarisation).  The authors (and torchjd) solve it with ``scipy.optimize.least_squares``
from ``w = 1/T``.  Here, batched in torch: it is the stationarity condition of the
strictly convex ``f(w) = 1/2 w^T K w - sum_i phi(w_i)`` with ``phi'(w) = w^{-1/alpha}``,
solved by damped Newton (step ``Delta / (1 + lambda)``, never more than a factor 10
towards 0) on ``K / max_i K_ii``; the solution for ``s K`` is ``s^{-alpha / (1 + alpha)}``
times that for ``K``.  Like Nash-MTL, no solution exists when no direction improves every
task (0 in the convex hull of the rows): the weights are then zero (residual
``max_i |(K w)_i w_i^{1/alpha} - 1| > 1e-6`` after ``max_iter`` steps).

``max_norm`` clips ``||d||`` (and the returned weights), as the authors' training loop
does with ``clip_grad_norm_(shared_parameters, max_norm)``; their default is 1.0,
followed here (0 disables it).  Their ``overwrite_grad`` also multiplies ``d`` by ``T``
("to match the sum loss") before clipping; that factor is left out (the paper's step).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method, clip_weights

RESIDUAL_TOL = 1e-6


def fairgrad_weights(gram: Tensor, alpha: float, max_iter: int = 100) -> Tensor:
    """Solve ``K w = w^{-1/alpha}`` (``gram`` (..., T, T)) in float64; zero weights where
    no solution exists."""
    out_dtype = gram.dtype
    K = gram.double()
    diag = torch.diagonal(K, dim1=-2, dim2=-1)
    scale = diag.amax(-1, keepdim=True)
    safe_scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    K = K / safe_scale.unsqueeze(-1)
    d = torch.diagonal(K, dim1=-2, dim2=-1)
    p = 1.0 / alpha
    w = torch.where(d > 0, d, torch.ones_like(d)) ** (-1 / (1 + p))  # solves the diagonal part
    for it in range(max_iter):
        Kw = (K @ w.unsqueeze(-1)).squeeze(-1)
        grad = Kw - w ** (-p)
        # (a tiny ridge keeps H invertible when w diverges: problems without a solution)
        H = K + torch.diag_embed(p * w ** (-p - 1) + 1e-13)
        delta = -torch.linalg.solve(H, grad.unsqueeze(-1)).squeeze(-1)
        lam2 = -(grad * delta).sum(-1, keepdim=True)
        step = delta / (1 + lam2.clamp_min(0).sqrt())
        w = torch.maximum(w + step, 0.1 * w).clamp_max(1e12)
        if it % 5 == 4 and bool((lam2 < 1e-24).all()):
            break
    Kw = (K @ w.unsqueeze(-1)).squeeze(-1)
    residual = (Kw * w**p - 1).abs().amax(-1, keepdim=True)
    ok = (residual <= RESIDUAL_TOL) & torch.isfinite(residual) & (scale > 0)
    w = w * safe_scale ** (-alpha / (1 + alpha))
    return torch.where(ok, w, torch.zeros_like(w)).to(out_dtype)


class FairGrad(Method):
    """FairGrad (alpha-fair resource allocation).

    Hyperparameters:
        alpha: the fairness level (authors' default 1.0; their QM9 script uses 2.0).
        max_norm: clip ``||d||`` to this (authors' default 1.0; 0 disables it).
        max_iter: Newton iterations.
    """

    name = "fairgrad"
    uses_grads = True
    gramian_based = True

    def __init__(
        self, n_tasks: int, alpha: float = 1.0, max_norm: float = 1.0, max_iter: int = 100
    ) -> None:
        super().__init__(n_tasks)
        if alpha <= 0:
            raise ValueError("alpha must be positive (alpha = 0 is linear scalarisation: 'ls')")
        self.alpha, self.max_norm, self.max_iter = float(alpha), float(max_norm), int(max_iter)

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        w = fairgrad_weights(gram, self.alpha, self.max_iter)
        return clip_weights(w, gram, self.max_norm)
