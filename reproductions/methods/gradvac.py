"""GradVac: gradient vaccine (Wang, Tsvetkov, Firat & Cao, "Gradient Vaccine:
Investigating and Improving Multi-task Optimization in Massively Multilingual Models",
ICLR 2021, arXiv 2010.05874, Algorithm 1 / Eq. 3; no official code was released --
LibMTL ``LibMTL/weighting/GradVac.py`` and torchjd ``src/torchjd/aggregation/_gradvac.py``
implement it).

GradVac generalises PCGrad: it keeps an EMA target ``phi_hat_ij`` of the cosine
similarity between tasks i and j and, for every task i and the other tasks j in a
random order, if the current similarity ``phi_ij = cos(g_i^PC, g_j)`` is below the
target, adds the multiple of ``g_j`` that raises it exactly to the target:

    g_i^PC += ||g_i^PC|| (phi_hat sqrt(1 - phi^2) - phi sqrt(1 - phi_hat^2))
              / (||g_j|| sqrt(1 - phi_hat^2)) g_j,
    phi_hat_ij <- (1 - beta) phi_hat_ij + beta phi_ij,

and the update is ``sum_i g_i^PC``.  With ``phi_hat = 0`` it is PCGrad's projection.
Every corrected gradient is a combination ``C G`` of the original ones, so it runs on
the Gramian (as torchjd does) and returns the weights ``w = 1^T C``.  A single problem
runs in Python floats (T^2 tiny steps); a batch loops over its problems.  The
"whole model" grouping is implemented (one ``phi_hat`` per task pair, LibMTL's default
``GradVac_group_type = 0``).  The visiting orders come from ``torch.randperm`` with the
method's generator (default: torch's global one, which is what torchjd draws from, in
the same order: same seed, same update).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from reproductions.methods.base import Method, make_generator


class GradVac(Method):
    """Gradient vaccine (stateful: the EMA targets persist across calls).

    Hyperparameters:
        beta: EMA rate of the targets (LibMTL and torchjd: 0.5).
        eps: added to the denominators (1e-8, as both).
        generator / seed: the random source of the visiting orders.
    """

    name = "gradvac"
    uses_grads = True
    gramian_based = True
    stochastic = True
    permutation_invariant = False

    def __init__(
        self,
        n_tasks: int,
        beta: float = 0.5,
        eps: float = 1e-8,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_tasks)
        if not 0.0 <= beta <= 1.0:
            raise ValueError("beta must be in [0, 1]")
        self.beta, self.eps = float(beta), float(eps)
        self.generator = make_generator(generator, seed)
        self.phi_hat: list[list[list[float]]] | None = None  # per problem, T x T
        self._batch_shape: tuple[int, ...] | None = None

    def reset(self) -> None:
        self.phi_hat, self._batch_shape = None, None

    def _one(self, K: list[list[float]], phi: list[list[float]]) -> list[float]:
        T = len(K)
        beta, eps = self.beta, self.eps
        C = [[1.0 if a == b else 0.0 for b in range(T)] for a in range(T)]
        for i in range(T):
            cK = list(K[i])  # (C_i K): the dot products g_i^PC . g_k
            others = [j for j in range(T) if j != i]
            perm = torch.randperm(len(others), generator=self.generator).tolist()
            for j in (others[k] for k in perm):
                norm_i = math.sqrt(max(sum(c * x for c, x in zip(C[i], cK, strict=True)), 0.0))
                norm_j = math.sqrt(max(K[j][j], 0.0))
                cos = cK[j] / (norm_i * norm_j + eps)
                target = phi[i][j]
                if cos < target:
                    s_cos = math.sqrt(max(1.0 - cos * cos, 0.0))
                    s_tgt = math.sqrt(max(1.0 - target * target, 0.0))
                    w = norm_i * (target * s_cos - cos * s_tgt) / (norm_j * s_tgt + eps)
                    C[i][j] += w
                    cK = [a + w * b for a, b in zip(cK, K[j], strict=True)]
                phi[i][j] = (1.0 - beta) * target + beta * cos
        return [sum(C[a][b] for a in range(T)) for b in range(T)]

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        T = gram.shape[-1]
        batch = tuple(gram.shape[:-2])
        flat = gram.detach().reshape(-1, T, T).double().cpu().tolist()
        if self.phi_hat is None or self._batch_shape != batch:
            self.phi_hat = [[[0.0] * T for _ in range(T)] for _ in flat]
            self._batch_shape = batch
        w = [self._one(K, phi) for K, phi in zip(flat, self.phi_hat, strict=True)]
        return torch.tensor(w, dtype=gram.dtype).to(gram.device).reshape(gram.shape[:-1])
