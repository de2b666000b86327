"""MGDA-UB (Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization",
NeurIPS 2018, arXiv 1810.04650; authors' code intel-isl/MultiObjectiveOptimization
``min_norm_solvers.py``).

The update is the min-norm element of the convex hull of the task gradients,

    alpha* = argmin_{alpha in simplex} || sum_i alpha_i g_i ||^2,    d = sum_i alpha*_i g_i,

which is a common descent direction (``g_i . d >= ||d||^2`` for every i) unless ``d = 0``
(Pareto stationarity).  The solver follows the authors' ``MinNormSolver``:

* two tasks: the exact closed form of the 1-D problem
  ``gamma = clip((g2.g2 - g1.g2) / ||g1 - g2||^2, 0, 1)``, ``alpha = (gamma, 1 - gamma)``;
* T > 2: start from the best pair (closed form over every pair), then Frank-Wolfe:
  pick ``t = argmin_i (G alpha)_i`` and do the exact line search between ``alpha`` and
  the vertex ``e_t`` with the same 2-point closed form; stop when the step is below
  ``stop_crit`` (1e-5) or after ``max_iter`` (250) iterations -- and also, our addition,
  once the Frank-Wolfe duality gap certifies ``g_i . d >= ||d||^2 - gap_tol max ||g_i||^2``
  (``gap_tol = 1e-4``), which on CPU cuts the typical 250 iterations to a handful.
  A single (unbatched) problem runs the same iterations in Python floats, which is
  several times faster than ~30 tiny tensor operations per iteration.

MGDA-UB ("upper bound") applies the solver to the gradients w.r.t. the shared
representation ``z`` instead of the shared parameters: build with
``use_representation=True`` and pass ``representation=z`` to :meth:`Method.backward`
(without ``representation`` it falls back to the shared-parameter gradients).
``normalization`` rescales the gradients before solving as in the authors'
``gradient_normalizers`` ("l2", "loss", "loss+", "none"); like their training loop,
the returned weights multiply the *unnormalized* gradients.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method


def min_norm_2(v11: Tensor, v12: Tensor, v22: Tensor) -> Tensor:
    """``gamma`` minimizing ``||gamma v1 + (1-gamma) v2||^2`` over [0, 1] (batched)."""
    denom = v11 + v22 - 2 * v12
    safe = torch.where(denom > 0, denom, torch.ones_like(denom))
    gamma = torch.where(denom > 0, (v22 - v12) / safe, torch.ones_like(denom))
    return gamma.clamp(0.0, 1.0)


def min_norm_weights(
    gram: Tensor, max_iter: int = 250, stop_crit: float = 1e-5, gap_tol: float = 1e-4
) -> Tensor:
    """Min-norm convex combination weights for the Gramian ``gram`` (..., T, T).

    Frank-Wolfe as in the authors' ``MinNormSolver.find_min_norm_element_FW``: stops when
    the L1 change of ``alpha`` falls below ``stop_crit`` (their rule), or -- our addition,
    a certificate of near-optimality -- when the Frank-Wolfe duality gap
    ``alpha^T K alpha - min_i (K alpha)_i`` falls below ``gap_tol * max_i K_ii``, which
    guarantees ``g_i . d >= ||d||^2 - gap_tol * max_i ||g_i||^2`` for every task.
    """
    T = gram.shape[-1]
    batch = gram.shape[:-2]
    if T == 1:
        return torch.ones(batch + (1,), dtype=gram.dtype, device=gram.device)
    diag = torch.diagonal(gram, dim1=-2, dim2=-1)
    # Best pair initialisation (authors' _min_norm_2d).
    i_idx, j_idx = torch.triu_indices(T, T, offset=1, device=gram.device)
    v11 = diag[..., i_idx]
    v22 = diag[..., j_idx]
    v12 = gram[..., i_idx, j_idx]
    g = min_norm_2(v11, v12, v22)
    cost = g * g * v11 + 2 * g * (1 - g) * v12 + (1 - g) * (1 - g) * v22
    best = cost.argmin(-1, keepdim=True)
    gb = g.gather(-1, best).squeeze(-1)
    alpha = torch.zeros(batch + (T,), dtype=gram.dtype, device=gram.device)
    alpha.scatter_(-1, i_idx[best], gb.unsqueeze(-1))
    alpha.scatter_add_(-1, j_idx[best], (1 - gb).unsqueeze(-1))
    if T == 2:
        return alpha
    gap_abs = gap_tol * diag.amax(-1)
    active = torch.ones(batch, dtype=torch.bool, device=gram.device)
    for it in range(max_iter):
        g_alpha = (gram @ alpha.unsqueeze(-1)).squeeze(-1)  # (..., T)
        v12, t = g_alpha.min(-1, keepdim=True)  # v1.v2 with v2 = g_t
        a_ga = (alpha * g_alpha).sum(-1)  # v1.v1
        v12 = v12.squeeze(-1)
        active = active & (a_ga - v12 > gap_abs)
        v22 = diag.gather(-1, t).squeeze(-1)
        nc = min_norm_2(a_ga, v12, v22)
        new = nc.unsqueeze(-1) * alpha
        new.scatter_add_(-1, t, (1 - nc).unsqueeze(-1))
        change = (new - alpha).abs().sum(-1)
        alpha = torch.where(active.unsqueeze(-1), new, alpha)
        active = active & (change >= stop_crit)
        if it % 4 == 3 and not bool(active.any()):
            break
    return alpha


def _min_norm_2_float(v11: float, v12: float, v22: float) -> float:
    denom = v11 + v22 - 2 * v12
    gamma = (v22 - v12) / denom if denom > 0 else 1.0
    return min(1.0, max(0.0, gamma))


def min_norm_weights_single(
    gram: list[list[float]], max_iter: int = 250, stop_crit: float = 1e-5, gap_tol: float = 1e-4
) -> list[float]:
    """:func:`min_norm_weights` for one small problem, in Python floats (float64).

    The same iterations; for a single ``T x T`` problem the per-call overhead of ~30 tiny
    tensor operations per Frank-Wolfe iteration dominates, which plain floats avoid.
    """
    T = len(gram)
    diag = [gram[i][i] for i in range(T)]
    if T == 1:
        return [1.0]
    best: tuple[float, int, int, float] | None = None
    for i in range(T):
        for j in range(i + 1, T):
            g = _min_norm_2_float(diag[i], gram[i][j], diag[j])
            cost = g * g * diag[i] + 2 * g * (1 - g) * gram[i][j] + (1 - g) * (1 - g) * diag[j]
            if best is None or cost < best[0]:
                best = (cost, i, j, g)
    assert best is not None
    alpha = [0.0] * T
    alpha[best[1]] = best[3]
    alpha[best[2]] += 1 - best[3]
    if T == 2:
        return alpha
    gap_abs = gap_tol * max(diag)
    for _ in range(max_iter):
        g_alpha = [sum(k * a for k, a in zip(row, alpha, strict=True)) for row in gram]
        t = min(range(T), key=g_alpha.__getitem__)
        v11 = sum(a * g for a, g in zip(alpha, g_alpha, strict=True))
        if not v11 - g_alpha[t] > gap_abs:
            break
        nc = _min_norm_2_float(v11, g_alpha[t], diag[t])
        new = [nc * a for a in alpha]
        new[t] += 1 - nc
        change = sum(abs(n - a) for n, a in zip(new, alpha, strict=True))
        alpha = new
        if change < stop_crit:
            break
    return alpha


class MGDA(Method):
    """MGDA / MGDA-UB with the Frank-Wolfe min-norm solver.

    Hyperparameters:
        use_representation: aggregate gradients w.r.t. the shared representation
            (MGDA-UB); needs ``representation=`` in :meth:`Method.backward`.
        normalization: "none" (default), "l2", "loss" or "loss+" (authors' code).
        max_iter, stop_crit: Frank-Wolfe limits (authors: 250, 1e-5).
        gap_tol: relative duality-gap stop (0 disables it: the authors' solver exactly).
    """

    name = "mgda"
    uses_grads = True
    supports_representation = True
    gramian_based = True

    def __init__(
        self,
        n_tasks: int,
        use_representation: bool = False,
        normalization: str = "none",
        max_iter: int = 250,
        stop_crit: float = 1e-5,
        gap_tol: float = 1e-4,
    ) -> None:
        super().__init__(n_tasks)
        if normalization not in ("none", "l2", "loss", "loss+"):
            raise ValueError(f"unknown normalization {normalization!r}")
        self.use_representation = bool(use_representation)
        self.normalization = normalization
        self.max_iter = int(max_iter)
        self.stop_crit = float(stop_crit)
        self.gap_tol = float(gap_tol)

    def _normalizers(self, gram: Tensor, losses: Tensor | None) -> Tensor:
        norms = torch.diagonal(gram, dim1=-2, dim2=-1).clamp_min(0).sqrt()
        if self.normalization == "none":
            return torch.ones_like(norms)
        if self.normalization == "l2":
            return norms
        if losses is None:
            raise ValueError(f"normalization {self.normalization!r} needs the losses")
        losses = losses.to(gram.dtype)
        if self.normalization == "loss":
            return losses
        return losses * norms  # "loss+"

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        n = self._normalizers(gram, losses)
        n = torch.where(n > 0, n, torch.ones_like(n))
        scaled = gram / (n.unsqueeze(-1) * n.unsqueeze(-2))
        if scaled.dim() == 2 and scaled.shape[-1] <= 32:  # one small problem: plain floats
            alpha = min_norm_weights_single(
                scaled.double().tolist(), self.max_iter, self.stop_crit, self.gap_tol
            )
            return torch.tensor(alpha, dtype=gram.dtype, device=gram.device)
        return min_norm_weights(scaled, self.max_iter, self.stop_crit, self.gap_tol)
