"""Property checks shared by the ``test_methods_*.py`` files.

Each check takes a ``factory`` (``n_tasks -> Method``; stochastic methods get a fixed
seed) and runs on many seeded random Jacobians ``G`` of shape ``(B, T, P)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from reproductions.architectures import HardSharing
from reproductions.methods import Method

Factory = Callable[[int], Method]
DTYPE = torch.float64


def random_jacobians(
    seed: int, batch: int = 8, n_tasks: int = 3, dim: int = 10, dtype: torch.dtype = DTYPE
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(G, losses)``: ``G`` (batch, T, P) with rows of very different scales and some
    conflicting pairs, ``losses`` (batch, T) positive."""
    g = torch.Generator().manual_seed(seed)
    G = torch.randn(batch, n_tasks, dim, generator=g, dtype=dtype)
    scales = torch.exp(torch.randn(batch, n_tasks, 1, generator=g, dtype=dtype))
    G = G * scales
    losses = torch.rand(batch, n_tasks, generator=g, dtype=dtype) * 3 + 0.1
    return G, losses


CASES = [
    (seed, T, P)
    for seed, (T, P) in enumerate([(2, 5), (2, 40), (3, 7), (4, 30), (5, 12), (7, 50), (10, 64)])
]


def check_shapes_and_finite(factory: Factory) -> None:
    """Batched G (B, T, P) gives a finite d (B, P) and finite weights (B, T), in G's dtype."""
    for seed, T, P in CASES:
        for dtype in (torch.float32, torch.float64):
            G, losses = random_jacobians(seed, 6, T, P, dtype)
            d, w = factory(T).aggregate(G, losses)
            assert d.shape == (6, P) and w.shape == (6, T), (d.shape, w.shape)
            assert d.dtype == dtype
            assert torch.isfinite(d).all() and torch.isfinite(w).all()
        # extra leading dims
        G, losses = random_jacobians(seed, 6, T, P)
        d, w = factory(T).aggregate(G.reshape(2, 3, T, P), losses.reshape(2, 3, T))
        assert d.shape == (2, 3, P) and w.shape == (2, 3, T)


def check_batch_consistent(factory: Factory, atol: float = 1e-8) -> None:
    """Aggregating a batch equals aggregating each problem alone (deterministic methods)."""
    for seed, T, P in CASES:
        G, losses = random_jacobians(seed, 5, T, P)
        d, w = factory(T).aggregate(G, losses)
        for b in range(5):
            d1, w1 = factory(T).aggregate(G[b], losses[b])
            torch.testing.assert_close(d1, d[b], atol=atol, rtol=1e-6)
            torch.testing.assert_close(w1, w[b], atol=atol, rtol=1e-6)


def check_direction_is_weighted_sum(factory: Factory) -> None:
    """``d = w @ G`` for methods whose update is a weighted sum of the task gradients."""
    for seed, T, P in CASES:
        G, losses = random_jacobians(seed, 5, T, P)
        d, w = factory(T).aggregate(G, losses)
        torch.testing.assert_close(d, (w.unsqueeze(-2) @ G).squeeze(-2), atol=1e-9, rtol=1e-7)


def check_deterministic(factory: Factory) -> None:
    """Two fresh instances (same seed) give identical results on the same inputs."""
    for seed, T, P in CASES:
        G, losses = random_jacobians(seed, 4, T, P)
        d1, w1 = factory(T).aggregate(G, losses)
        d2, w2 = factory(T).aggregate(G, losses)
        assert torch.equal(d1, d2) and torch.equal(w1, w2)


def check_permutation_invariant(factory: Factory, atol: float = 1e-7) -> None:
    """Permuting the tasks permutes the weights and leaves d unchanged."""
    for seed, T, P in CASES:
        G, losses = random_jacobians(seed, 4, T, P)
        perm = torch.randperm(T, generator=torch.Generator().manual_seed(seed + 100))
        d, w = factory(T).aggregate(G, losses)
        dp, wp = factory(T).aggregate(G[:, perm], losses[:, perm])
        torch.testing.assert_close(dp, d, atol=atol * (1 + d.abs().max().item()), rtol=1e-5)
        torch.testing.assert_close(
            wp, w[:, perm], atol=atol * (1 + w.abs().max().item()), rtol=1e-5
        )


def check_backward_matches_aggregate(factory: Factory, n_tasks: int = 3) -> None:
    """``backward`` on a hard-sharing MLP puts ``aggregate(J)`` into the shared ``.grad``
    (with and without the representation shortcut) and each task's own loss gradient (or
    ``w_i`` times it for loss-weighting methods) into its head."""
    torch.manual_seed(0)
    model = HardSharing.mlp(6, [12, 8], [1] * n_tasks).to(DTYPE)
    x = torch.randn(20, 6, dtype=DTYPE)
    ys = [torch.randn(20, 1, dtype=DTYPE) for _ in range(n_tasks)]
    shared = model.shared_parameters()

    def losses_of(outs: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])

    outs, z = model.forward_with_representation(x)
    losses = losses_of(outs)
    J = torch.stack(
        [
            torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, shared, retain_graph=True)])
            for loss in losses
        ]
    )
    heads = [
        torch.autograd.grad(losses[i], list(model.heads[i].parameters()), retain_graph=True)
        for i in range(n_tasks)
    ]
    d_ref, w_ref = factory(n_tasks).aggregate(J, losses.detach())
    for use_rep in (False, True):
        model.zero_grad()
        method = factory(n_tasks)
        outs, z = model.forward_with_representation(x)
        w = method.backward(losses_of(outs), shared, representation=z if use_rep else None)
        assert w.shape == (n_tasks,)
        got = torch.cat([p.grad.reshape(-1) for p in shared])
        torch.testing.assert_close(got, d_ref, atol=1e-9, rtol=1e-6)
        torch.testing.assert_close(w, w_ref, atol=1e-9, rtol=1e-6)
        for i in range(n_tasks):
            scale = 1.0 if method.uses_grads else float(w[i])
            for g_ref, p in zip(heads[i], model.heads[i].parameters(), strict=True):
                torch.testing.assert_close(p.grad, scale * g_ref, atol=1e-9, rtol=1e-6)


def degenerate_jacobians(dtype: torch.dtype = DTYPE) -> dict[str, torch.Tensor]:
    """Jacobians ``(T, P)`` on which a method must still return a finite update: a zero
    row, all rows zero, identical rows, opposite rows, norms of 1e-7 and a rank-2 T = 5
    Jacobian with 0 in the convex hull of its rows (no direction improves every task)."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, generator=g, dtype=DTYPE)
    b = torch.randn(6, generator=g, dtype=DTYPE)
    c = torch.randn(2, 6, generator=g, dtype=DTYPE)
    coef = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [2.0, 1.0], [-1.0, 0.5]],
                        dtype=DTYPE)
    cases = {
        "zero row, T=2": torch.stack([a, torch.zeros_like(a)]),
        "zero row, T=3": torch.stack([a, torch.zeros_like(a), b]),
        "all zero, T=3": torch.zeros(3, 6, dtype=DTYPE),
        "identical rows, T=3": torch.stack([a, a, a]),
        "opposite rows, T=2": torch.stack([a, -a]),
        "opposite rows of different norms, T=2": torch.stack([a, -3 * a]),
        "norms 1e-7, T=2": 1e-7 * torch.randn(2, 6, generator=g, dtype=DTYPE),
        "norms 1e-7, T=3": 1e-7 * torch.randn(3, 6, generator=g, dtype=DTYPE),
        "rank 2 with 0 in the hull, T=5": coef @ c,
    }
    return {k: v.to(dtype) for k, v in cases.items()}


#: cases where no direction improves every task (0 is in the convex hull of the rows)
STATIONARY_CASES = (
    "zero row, T=2",
    "zero row, T=3",
    "all zero, T=3",
    "opposite rows, T=2",
    "opposite rows of different norms, T=2",
    "rank 2 with 0 in the hull, T=5",
)


def check_degenerate_cases(
    factory: Factory, zero_when_stationary: bool = False, stationary_rtol: float = 1e-4
) -> None:
    """Finite weights and direction on every :func:`degenerate_jacobians` case, in float32
    and float64, alone and batched; a zero direction on the all-zero Jacobian; with
    ``zero_when_stationary`` (methods that look for a common descent direction: MGDA,
    Nash-MTL, UPGrad, ...) a zero direction wherever no direction helps every task:
    ``||d|| <= stationary_rtol * max_i ||g_i||`` (approximate solvers such as MGDA's
    Frank-Wolfe pass a looser tolerance)."""
    for dtype in (torch.float32, torch.float64):
        for name, G in degenerate_jacobians(dtype).items():
            T = G.shape[0]
            losses = torch.linspace(0.5, 2.0, T, dtype=dtype)
            for Gb, lb in ((G, losses), (G.expand(3, *G.shape), losses.expand(3, T))):
                d, w = factory(T).aggregate(Gb, lb)
                assert d.shape == Gb.shape[:-2] + Gb.shape[-1:], (name, d.shape)
                assert torch.isfinite(d).all() and torch.isfinite(w).all(), (name, dtype, d, w)
                scale = float(G.norm(dim=-1).max())
                if name.startswith("all zero") or (
                    zero_when_stationary and name in STATIONARY_CASES
                ):
                    assert float(d.norm(dim=-1).max()) <= stationary_rtol * scale, (
                        name, dtype, d,
                    )


def run_common(
    factory: Factory,
    *,
    deterministic: bool = True,
    permutation_invariant: bool = True,
    weighted_sum: bool = True,
    backward: bool = True,
    zero_when_stationary: bool = False,
    stationary_rtol: float = 1e-4,
) -> None:
    check_shapes_and_finite(factory)
    check_degenerate_cases(factory, zero_when_stationary, stationary_rtol)
    check_deterministic(factory)
    if deterministic:
        check_batch_consistent(factory)
    if permutation_invariant:
        check_permutation_invariant(factory)
    if weighted_sum:
        check_direction_is_weighted_sum(factory)
    if backward:
        check_backward_matches_aggregate(factory)
