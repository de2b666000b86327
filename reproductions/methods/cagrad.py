"""CAGrad: Conflict-Averse Gradient descent (Liu, Liu, Jin, Stone & Liu, NeurIPS 2021,
arXiv 2110.14048, Algorithm 1; authors' code Cranial-XIX/CAGrad).

CAGrad maximises the worst task improvement within a ball around the mean gradient
``g0``:  ``max_d min_i g_i . d  s.t.  ||d - g0|| <= c ||g0||``.  Its dual is a problem
over the simplex,

    w* = argmin_{w in simplex}  g_w . g0 + c ||g0|| ||g_w||,      g_w = sum_i w_i g_i,

and the update is ``d = g0 + (c ||g0|| / ||g_w*||) g_w*``, divided by ``1 + c^2``
(the authors' default ``rescale=1``).  With ``c = 0`` it is the mean gradient.

The authors solve the dual with ``scipy.optimize.minimize`` (SLSQP) on the T x T
Gramian; here it is solved in torch, batched, by projected gradient descent on the
simplex with a per-problem adaptive step (accept and grow the step when the objective
decreases, else halve it), on the Gramian normalised by its largest diagonal entry
(which leaves the minimiser unchanged and makes the eps terms relative, so that the
update is scale-invariant: the authors' absolute eps biases it at tiny gradient
norms).  For two tasks the dual is solved in closed form (:func:`cagrad_dual_2`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method, project_simplex


def cagrad_dual_2(gram: Tensor, c: float, eps: float = 1e-8) -> Tensor:
    """Exact minimiser of the two-task dual, ``w = (gamma, 1 - gamma)``.

    With ``g_w = g_2 + gamma (g_1 - g_2)``, ``f(gamma) = gamma a + b + r ||g_w||`` where
    ``a = (g_1 - g_2) . g_0`` and ``r = c ||g_0||``.  Writing ``||g_w||^2 = (s^2 + D) / A``
    with ``A = ||g_1 - g_2||^2``, ``B = (g_1 - g_2) . g_2``, ``s = A gamma + B`` and
    ``D = A ||g_2||^2 - B^2 >= 0``, ``f'(gamma) = 0`` gives
    ``s = -sign(a) |a| sqrt(D / (A r^2 - a^2))`` when ``A r^2 > a^2`` (else ``f`` is
    monotone and the minimiser is the vertex against ``a``); ``f`` is convex, so the
    clipped stationary point is the minimiser.
    """
    k11, k12, k22 = gram[..., 0, 0], gram[..., 0, 1], gram[..., 1, 1]
    A = k11 + k22 - 2 * k12
    B = k12 - k22
    a = 0.5 * (k11 - k22)  # (g1 - g2) . (g1 + g2) / 2
    # eps inside both norms, as the authors write ||g0|| and ||g_w|| (1e-4 in their toy.py)
    r2 = c * c * 0.25 * ((k11 + k22 + 2 * k12).clamp_min(0) + eps)
    D = (A * k22 - B * B).clamp_min(0) + A * eps
    denom = A * r2 - a * a
    interior = (denom > 0) & (A > 0)
    s = -torch.sign(a) * a.abs() * (D / torch.where(interior, denom, torch.ones_like(denom))).sqrt()
    gamma_int = (s - B) / torch.where(A > 0, A, torch.ones_like(A))
    gamma = torch.where(interior, gamma_int, (a < 0).to(gram.dtype))
    gamma = gamma.clamp(0.0, 1.0)
    return torch.stack([gamma, 1 - gamma], dim=-1)


def cagrad_dual(
    gram: Tensor, c: float, max_iter: int = 500, tol: float = 1e-9, init: Tensor | None = None,
    eps: float = 1e-8,
) -> Tensor:
    """Minimiser ``w*`` of the CAGrad dual for Gramians ``gram`` (..., T, T).

    ``init`` (a point of the simplex, e.g. the previous step's solution) warm-starts the
    projected-gradient iterations; the default start is the uniform weights, like the
    authors' ``x_start``.
    """
    T = gram.shape[-1]
    if T == 2:
        return cagrad_dual_2(gram, c, eps)
    scale = torch.diagonal(gram, dim1=-2, dim2=-1).amax(-1, keepdim=True).unsqueeze(-1)
    A = gram / torch.where(scale > 0, scale, torch.ones_like(scale))
    b = torch.full(gram.shape[:-1], 1.0 / T, dtype=gram.dtype, device=gram.device)
    Ab = (A @ b.unsqueeze(-1)).squeeze(-1)
    eps_n = eps / torch.where(scale > 0, scale, torch.ones_like(scale)).squeeze(-1)
    cc = c * ((b * Ab).sum(-1, keepdim=True).clamp_min(0) + eps_n / 4).sqrt()  # c ||g0||

    def evaluate(w: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        Aw = (A @ w.unsqueeze(-1)).squeeze(-1)
        # float32 rounding can make the quadratic form slightly negative where gradients cancel
        root = ((w * Aw).sum(-1, keepdim=True).clamp_min(0) + eps_n).sqrt()
        return Aw, root, (w * Ab).sum(-1, keepdim=True) + cc * root

    w = b.clone() if init is None or init.shape != b.shape else init.to(b).clone()
    Aw, root, f = evaluate(w)
    step = torch.ones_like(f)
    for it in range(max_iter):
        grad = Ab + cc * Aw / root
        # Cap the step so that w - step * grad stays O(1e3): at a vertex every candidate
        # is accepted and the step keeps growing, and in float32 the projection of a huge
        # vector rounds to zero.
        cap = 1e3 / grad.abs().amax(-1, keepdim=True).clamp_min(1e-30)
        step = torch.minimum(step, cap)
        cand = project_simplex(w - step * grad)
        Ac, root_c, fc = evaluate(cand)
        accept = fc <= f
        moved = (cand - w).abs().amax(-1, keepdim=True)
        w = torch.where(accept, cand, w)
        Aw = torch.where(accept, Ac, Aw)
        root = torch.where(accept, root_c, root)
        f = torch.where(accept, fc, f)
        step = torch.where(accept, step * 1.5, step * 0.5)
        if it % 5 == 4 and bool(((moved <= tol) | (step < 1e-12)).all()):
            break
    return w


class CAGrad(Method):
    """Conflict-averse gradient descent.

    Hyperparameters:
        c: radius scale of the ball around the mean gradient (paper: 0.5 on
            NYUv2/Cityscapes, 0.4 on the toy problem).
        rescale: 0 (none), 1 (divide by ``1 + c^2``, authors' default) or 2
            (divide by ``1 + c``).
        max_iter: projected-gradient iterations for the dual.
        eps: added under the norms of g0 and g_w and to the divisor of lambda, on the
            Gramian normalised by its largest diagonal entry (so relative to
            ``max_i ||g_i||^2``: the update is scale-invariant, ``d(s G) = s d(G)``); the
            authors add 1e-8 to the raw norms in their network code and 1e-4 in their
            toy.py, where it damps lambda at the optimum (the gradients cancel there).
        warm_start: start the dual iterations from the previous call's solution (the
            Gramian changes little between steps); the result is the same minimiser.
    """

    name = "cagrad"
    uses_grads = True
    gramian_based = True

    def __init__(
        self,
        n_tasks: int,
        c: float = 0.5,
        rescale: int = 1,
        max_iter: int = 500,
        warm_start: bool = True,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(n_tasks)
        if c < 0:
            raise ValueError("c must be non-negative")
        if rescale not in (0, 1, 2):
            raise ValueError("rescale must be 0, 1 or 2")
        self.c, self.rescale, self.max_iter = float(c), int(rescale), int(max_iter)
        self.warm_start = bool(warm_start)
        self.eps = float(eps)
        self._previous: Tensor | None = None

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        T = gram.shape[-1]
        # Scale invariance: CAGrad's weights do not depend on the gradients' scale, but the
        # eps terms do; applied to K / max_i K_ii, eps acts relative to the largest
        # squared gradient norm instead of biasing tiny gradients (at norms ~1e-7 the
        # raw eps = 1e-8 dominates ||g0||^2 and moved the update by 24-38%).
        scale = torch.diagonal(gram, dim1=-2, dim2=-1).amax(-1, keepdim=True).unsqueeze(-1)
        gram = gram / torch.where(scale > 0, scale, torch.ones_like(scale))
        uniform = torch.full(gram.shape[:-1], 1.0 / T, dtype=gram.dtype, device=gram.device)
        if self.c == 0:
            w = uniform
        else:
            ww = cagrad_dual(
                gram, self.c, self.max_iter, init=self._previous if self.warm_start else None,
                eps=self.eps,
            )
            self._previous = ww
            g0_norm = (
                (uniform.unsqueeze(-2) @ gram @ uniform.unsqueeze(-1)).squeeze(-1).clamp_min(0)
                + self.eps / 4
            ).sqrt()
            gw_norm = (
                (ww.unsqueeze(-2) @ gram @ ww.unsqueeze(-1)).squeeze(-1).clamp_min(0) + self.eps
            ).sqrt()
            lam = self.c * g0_norm / (gw_norm + self.eps)
            w = uniform + lam * ww
        if self.rescale == 1:
            w = w / (1 + self.c**2)
        elif self.rescale == 2:
            w = w / (1 + self.c)
        return w
