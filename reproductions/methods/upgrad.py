"""UPGrad: unconflicting projection of gradients (Quinton & Rey, "Jacobian Descent for
Multi-Objective Optimization", arXiv 2406.16232; official code TorchJD/torchjd
``src/torchjd/aggregation/_upgrad.py`` and ``_linalg/_dual_cone.py``).

Each task gradient is projected onto the dual cone ``{x : G x >= 0}`` of the rows of
the Jacobian (the projection ``pi_J`` of the paper's Eq. 3) and the projections are
averaged:  ``d = 1/T sum_i pi_J(g_i)``.  By the paper's Proposition 1 the projection of
``G^T u`` is ``G^T v`` with ``v`` the solution of the quadratic program

    minimize  v^T K v   subject to  v >= u,      K = G G^T,

so the method is Gramian-based: the weights are ``w = sum_i v^(i)`` with
``u^(i) = e_i / T``.  torchjd solves the QP with quadprog on ``K / trace(K) + 1e-4 I``
(and returns the mean when ``trace(K) < 1e-4``); here it is solved exactly, without
regularisation, as a non-negative least-squares problem (Lawson-Hanson,
``scipy.optimize.nnls``): with ``x = v - u >= 0`` and ``K / trace(K) = A^T A``
(``A = Lambda^{1/2} V^T`` from the eigendecomposition), ``min ||A x + A u||``.  The
update is then exactly scale-invariant (``d(s G) = s d(G)``, also at tiny norms), and
a zero Jacobian gives a zero update.  Where no direction improves every task and the
rows positively span their span (e.g. opposite gradients), the dual cone is the
orthogonal complement of the rows and the update is zero.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from reproductions.methods.base import Method


def dual_cone_weights(gram: np.ndarray, U: np.ndarray, reg_eps: float = 0.0) -> np.ndarray:
    """``V`` with ``G^T V[k]`` the projection of ``G^T U[k]`` onto the dual cone of the
    rows of ``G`` (``gram = G G^T``, float64, ``U`` (k, T) non-negative rows), solved on
    ``K / trace(K) + reg_eps I``."""
    from scipy.optimize import nnls

    T = gram.shape[0]
    trace = float(np.trace(gram))
    if not trace > 0:
        return U.copy()
    lam, vec = np.linalg.eigh(gram / trace + reg_eps * np.eye(T))
    A = np.sqrt(np.clip(lam, 0, None))[:, None] * vec.T  # A^T A = K / trace
    out = np.empty_like(U)
    for k, u in enumerate(U):
        x, _ = nnls(A, -(A @ u), maxiter=50 * T)
        out[k] = u + x
    return out


class UPGrad(Method):
    """UPGrad with uniform preferences (torchjd's default).

    Hyperparameters:
        pref_vector: optional preference weights ``p`` (T values): projects the rows of
            ``diag(p) G`` (``u^(i) = p_i e_i``); default ``1/T`` each (the mean).
        reg_eps: ridge added to ``K / trace(K)`` before solving (default 0: the exact
            projection; torchjd's default quadprog projector uses 1e-4, which moves the
            update by up to ~0.2% in angle on our test Jacobians).
    """

    name = "upgrad"
    uses_grads = True
    gramian_based = True

    def __init__(
        self, n_tasks: int, pref_vector: list[float] | None = None, reg_eps: float = 0.0
    ) -> None:
        super().__init__(n_tasks)
        self.reg_eps = float(reg_eps)
        if pref_vector is not None and len(pref_vector) != n_tasks:
            raise ValueError(f"expected {n_tasks} preferences, got {len(pref_vector)}")
        default = np.full(n_tasks, 1.0 / n_tasks)
        self.pref = default if pref_vector is None else np.asarray(pref_vector, dtype=float)

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        T = gram.shape[-1]
        flat = gram.detach().reshape(-1, T, T).double().cpu().numpy()
        U = np.diag(self.pref)
        w = np.stack([dual_cone_weights(K, U, self.reg_eps).sum(0) for K in flat])
        return torch.as_tensor(w, dtype=gram.dtype).to(gram.device).reshape(gram.shape[:-1])
