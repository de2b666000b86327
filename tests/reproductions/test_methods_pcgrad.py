"""PCGrad (Yu et al. 2020)."""

from __future__ import annotations

import torch
from method_checks import CASES, random_jacobians, run_common
from torchjd.aggregation import PCGrad as TorchJDPCGrad

from reproductions.methods import METHODS, PCGrad


def test_registered():
    assert METHODS["pcgrad"] is PCGrad and PCGrad.stochastic


def test_common_properties():
    run_common(lambda T: PCGrad(T, seed=0), deterministic=False, permutation_invariant=False)


def naive_pcgrad(G: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    """Algorithm 1 on the gradients themselves."""
    out = []
    for i in range(G.shape[0]):
        g = G[i].clone()
        for j in orders[i].tolist():
            if j == i:
                continue
            dot = g @ G[j]
            if dot < 0:
                g = g - dot / (G[j] @ G[j]) * G[j]
        out.append(g)
    return torch.stack(out)


def test_matches_naive_algorithm_with_same_orders():
    for seed, T, P in CASES:
        G, _ = random_jacobians(seed, 3, T, P)
        m = PCGrad(T, seed=seed)
        orders = m.random_orders((3,), T, G.device)
        m2 = PCGrad(T, seed=seed)
        proj = m2.project(G)
        for b in range(3):
            torch.testing.assert_close(proj[b], naive_pcgrad(G[b], orders[b]))


def test_two_tasks_conflict_orthogonal_else_untouched():
    for seed in range(50):
        G, _ = random_jacobians(seed, 1, 2, 6)
        G = G[0]
        proj = PCGrad(2, seed=seed).project(G)
        if G[0] @ G[1] < 0:
            torch.testing.assert_close(
                proj[0] @ G[1], torch.zeros((), dtype=G.dtype), atol=1e-9, rtol=0
            )
            torch.testing.assert_close(
                proj[1] @ G[0], torch.zeros((), dtype=G.dtype), atol=1e-9, rtol=0
            )
        else:
            torch.testing.assert_close(proj, G)


def test_two_tasks_agrees_with_torchjd():
    for seed in range(50):
        G, _ = random_jacobians(seed, 1, 2, 7)
        ours, _ = PCGrad(2, seed=seed).aggregate(G[0])
        torch.testing.assert_close(ours, TorchJDPCGrad()(G[0]))


def test_seed_reproducible_and_order_matters():
    G, _ = random_jacobians(0, 64, 5, 8)
    a, _ = PCGrad(5, seed=1).aggregate(G)
    b, _ = PCGrad(5, seed=1).aggregate(G)
    c, _ = PCGrad(5, seed=2).aggregate(G)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_pcgrad_paper_is_linked_where_pcgrad_is_compared():
    """Issue 13: the PCGrad paper (arXiv 2001.06782) links to the experiments that run it."""
    import importlib

    from reproductions import registry

    linked = registry.by_arxiv_id("2001.06782v4")
    assert {r.id for r in linked} >= {"multimnist", "qm9"}
    for repro in linked:
        module = importlib.import_module(repro.module)
        assert any(name == "pcgrad" for name, _ in module.METHODS.values()), repro.id
