"""FAMO (Liu et al. 2023)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from method_checks import random_jacobians, run_common

from reproductions.methods import FAMO, METHODS


def test_registered():
    assert METHODS["famo"] is FAMO and FAMO.needs_after_step


def test_common_properties():
    run_common(lambda T: FAMO(T, max_norm=0.0))
    # clipped: backward's weights are the loss weights, aggregate's carry the clip factor
    run_common(lambda T: FAMO(T), backward=False)


def test_default_max_norm_follows_authors_famo_py():
    assert FAMO(3).max_norm == 1.0


def test_backward_clips_shared_gradient_not_heads():
    """clip_grad_norm_(shared, 1.0) after backward, as in the authors' famo.py."""
    torch.manual_seed(0)
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    heads = [torch.randn(5, dtype=torch.float64, requires_grad=True) for _ in range(2)]

    def losses_of():
        return torch.stack([(30 * x * h).sum() ** 2 + 1 for h in heads])

    ref = FAMO(2, max_norm=0.0)
    ref.backward(losses_of(), [x])
    g_ref, h_ref = x.grad.clone(), [h.grad.clone() for h in heads]
    assert g_ref.norm() > 1
    x.grad = None
    for h in heads:
        h.grad = None
    m = FAMO(2, max_norm=1.0)
    w = m.backward(losses_of(), [x])
    torch.testing.assert_close(x.grad, g_ref / g_ref.norm())
    torch.testing.assert_close(m.last_clip_factor, 1 / g_ref.norm())
    for h, r in zip(heads, h_ref, strict=True):
        torch.testing.assert_close(h.grad, r)
    torch.testing.assert_close(w, ref.last_weights)
    # aggregate: d = w @ G clipped to norm 1
    L = losses_of()
    G = torch.stack([torch.autograd.grad(loss, x, retain_graph=True)[0] for loss in L])
    d, wa = FAMO(2).aggregate(G, L.detach())
    torch.testing.assert_close(d.norm(), torch.tensor(1.0, dtype=d.dtype))
    torch.testing.assert_close(d, wa @ G)


def test_effective_weights_on_simplex():
    for seed, T in enumerate((2, 3, 7)):
        m = FAMO(T, max_norm=0.0)
        G, losses = random_jacobians(seed, 50, T, 5)
        _, w = m.aggregate(G, losses)
        assert (w > 0).all()
        torch.testing.assert_close(w.sum(-1), torch.ones(50, dtype=w.dtype))
        assert (m.task_weights > 0).all()
        torch.testing.assert_close(m.task_weights.sum(-1), torch.ones(50, dtype=w.dtype))


def test_gradient_of_objective_matches_weights():
    """grad of the FAMO objective = sum_i w_i grad L_i with the recorded weights."""
    m = FAMO(3, min_losses=[0.1, 0.0, 0.2], max_norm=0.0)
    m.logits.data = torch.tensor([0.3, -0.2, 0.1])
    x = torch.randn(4, requires_grad=True)
    losses = torch.stack([(x**2).sum() + 0.2, (x - 1).pow(2).sum(), x.exp().sum() + 0.3])
    J = torch.stack([torch.autograd.grad(loss, x, retain_graph=True)[0] for loss in losses])
    m.backward(losses, [x])
    torch.testing.assert_close(x.grad, m.last_weights @ J)


def test_after_step_matches_authors_update():
    """One logits update equals the authors' code (softmax-Jacobian of delta, Adam with wd)."""
    T = 3
    ours = FAMO(T, gamma=0.01, beta=0.025)
    w = torch.zeros(T, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.025, weight_decay=0.01)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        prev = torch.rand(T, generator=g) + 0.5
        curr = prev * (torch.rand(T, generator=g) * 0.5 + 0.5)
        ours.weigh(prev)
        ours.after_step(curr)
        delta = (prev + 1e-8).log() - (curr + 1e-8).log()
        d = torch.autograd.grad(F.softmax(w, -1), w, grad_outputs=delta)[0]
        opt.zero_grad()
        w.grad = d
        opt.step()
        torch.testing.assert_close(ours.logits.detach(), w.detach())


def test_slower_task_gains_weight():
    """A task whose loss decreased less (relatively) gets a larger weight."""
    m = FAMO(2, gamma=0.0)
    for _ in range(20):
        m.weigh(torch.tensor([1.0, 1.0]))
        m.after_step(torch.tensor([0.5, 0.95]))
    z = m.task_weights
    assert z[1] > z[0]


def test_agrees_with_torchjd_famo_over_steps():
    """torchjd's FAMO scalarizer (adapted from the authors' code): same objective value and
    gradient, and the same logits after each update, for the same weight decay."""
    from torchjd.scalarization import FAMO as TorchJDFAMO

    T = 3
    ref = TorchJDFAMO(T, lr=0.025, weight_decay=0.01)
    ours = FAMO(T, gamma=0.01, beta=0.025, max_norm=0.0)
    g = torch.Generator().manual_seed(1)
    for _ in range(6):
        prev = (torch.rand(T, generator=g) + 0.5).requires_grad_()
        curr = prev.detach() * (torch.rand(T, generator=g) * 0.5 + 0.5)
        a = ours.weigh(prev)
        (ga,) = torch.autograd.grad(a, prev)
        b = ref(prev)
        (gb,) = torch.autograd.grad(b, prev)
        torch.testing.assert_close(a, b)
        torch.testing.assert_close(ga, gb)
        ours.after_step(curr)
        ref.update(curr)
        torch.testing.assert_close(ours.logits.detach(), ref._w.detach())
