"""PCGrad / gradient surgery (Yu et al., NeurIPS 2020, arXiv 2001.06782, Algorithm 1).

For every task i, start from ``g_i^PC = g_i`` and, for the other tasks j in a random
order, if ``g_i^PC . g_j < 0`` project out the conflicting component:
``g_i^PC <- g_i^PC - (g_i^PC . g_j / ||g_j||^2) g_j``.  The update is
``sum_i g_i^PC``.

Every projected gradient is a linear combination of the original ones, so the algorithm
runs on the T x T Gramian: we track coefficients ``C`` with ``g^PC = C G`` (as torchjd
does), which costs O(T^3) after one O(T^2 P) Gramian instead of O(T^2 P).  The returned
weights are the column sums of ``C`` (``d = w . G``).  The random orders come from a
``torch.Generator`` for reproducibility.
"""

from __future__ import annotations

import torch
from torch import Tensor

from reproductions.methods.base import Method, gramian, make_generator


def pcgrad_coefficients(gram: Tensor, orders: Tensor) -> Tensor:
    """Coefficients ``C`` (..., T, T) with projected gradients ``C @ G``.

    ``orders`` (..., T, T): row i is the order in which task i visits the tasks
    (entries equal to i are skipped).
    """
    T = gram.shape[-1]
    eye = torch.eye(T, dtype=gram.dtype, device=gram.device)
    C = eye.expand(gram.shape).clone()
    diag = torch.diagonal(gram, dim1=-2, dim2=-1)
    rows = torch.arange(T, device=gram.device)
    for k in range(T):
        j = orders[..., k]  # (..., T): task visited at step k by each i
        g_j = gram.gather(-2, j.unsqueeze(-1).expand(j.shape + (T,)))  # rows gram[j]: (..., T, T)
        inner = (C * g_j).sum(-1)  # (g_i^PC . g_j) for each i
        nj = diag.gather(-1, j)
        conflict = (inner < 0) & (j != rows) & (nj > 0)
        coef = torch.where(
            conflict, inner / torch.where(nj > 0, nj, torch.ones_like(nj)), torch.zeros_like(inner)
        )
        C = C - coef.unsqueeze(-1) * torch.nn.functional.one_hot(j, T).to(C.dtype)
    return C


class PCGrad(Method):
    """PCGrad with random task order.

    Hyperparameters:
        generator / seed: the random source of the task orders.
    """

    name = "pcgrad"
    uses_grads = True
    gramian_based = True
    stochastic = True
    permutation_invariant = False  # the order is random; the expected update is invariant

    def __init__(
        self, n_tasks: int, generator: torch.Generator | None = None, seed: int | None = None
    ) -> None:
        super().__init__(n_tasks)
        self.generator = make_generator(generator, seed)

    def random_orders(self, batch: tuple[int, ...], T: int, device: torch.device) -> Tensor:
        keys = torch.rand(batch + (T, T), generator=self.generator)
        return keys.argsort(-1).to(device)

    def coefficients(self, gram: Tensor) -> Tensor:
        """``C`` with projected gradients ``C @ G``, for ``gram = G G^T`` (fresh random orders)."""
        T = gram.shape[-1]
        return pcgrad_coefficients(gram, self.random_orders(gram.shape[:-2], T, gram.device))

    def project(self, G: Tensor) -> Tensor:
        """The projected gradients ``g_i^PC`` (..., T, P)."""
        return self.coefficients(gramian(G)) @ G

    def weights_from_gramian(self, gram: Tensor, losses: Tensor | None = None) -> Tensor:
        return self.coefficients(gram).sum(-2)
