"""GradDrop (Chen et al. 2020)."""

from __future__ import annotations

import torch
from method_checks import random_jacobians, run_common
from torchjd.aggregation import GradDrop as TorchJDGradDrop

from reproductions.methods import METHODS, GradDrop


def test_registered():
    assert METHODS["graddrop"] is GradDrop


def test_common_properties():
    # Same U for a permuted task order, so the update is order-invariant.
    run_common(lambda T: GradDrop(T, seed=0), deterministic=False, weighted_sum=False)


def test_each_coordinate_keeps_one_sign():
    G, _ = random_jacobians(0, 10, 4, 50)
    d, _ = GradDrop(4, seed=0).aggregate(G)
    pos = G.clamp_min(0).sum(-2)
    neg = G.clamp_max(0).sum(-2)
    kept_pos = (d - pos).abs() < 1e-12
    kept_neg = (d - neg).abs() < 1e-12
    assert (kept_pos | kept_neg).all()


def test_pure_signs_never_dropped():
    """Where all tasks agree in sign (purity 0 or 1) the coordinate is the plain sum."""
    G = torch.rand(3, 20, dtype=torch.float64)
    G[:, 10:] *= -1
    d, _ = GradDrop(3, seed=0).aggregate(G)
    torch.testing.assert_close(d, G.sum(0))


def test_full_leak_is_sum():
    G, _ = random_jacobians(1, 4, 3, 9)
    d, _ = GradDrop(3, leak=1.0, seed=0).aggregate(G)
    torch.testing.assert_close(d, G.sum(-2))


def test_agrees_with_torchjd_same_uniforms():
    for seed in range(10):
        G, _ = random_jacobians(seed, 1, 3, 25)
        torch.manual_seed(seed)
        ours, _ = GradDrop(3).aggregate(G[0])
        torch.manual_seed(seed)
        ref = TorchJDGradDrop()(G[0])
        torch.testing.assert_close(ours, ref)


def libmtl_graddrop(per_grads, inputs, U, leak=0.0):
    """A transcription of LibMTL's ``GradDrop.backward`` (rep_grad=True) with a given U:
    ``per_grads`` (T, batch, features), ``inputs`` the representation (batch, features)."""
    T = per_grads.shape[0]
    inputs = inputs.unsqueeze(0).repeat_interleave(T, dim=0)
    grads = (per_grads * inputs.sign()).sum(1)
    P = 0.5 * (1 + grads.sum(0) / (grads.abs().sum(0) + 1e-7))
    M = P.gt(U).unsqueeze(0).repeat_interleave(T, dim=0) * grads.gt(0) + P.lt(U).unsqueeze(
        0
    ).repeat_interleave(T, dim=0) * grads.lt(0)
    M = M.unsqueeze(1).repeat_interleave(per_grads.size()[1], dim=1)
    return (per_grads * (leak + (1 - leak) * M)).sum(0)


def test_activation_placement_matches_libmtl_and_fills_grads():
    """use_representation=True: GradDrop on the gradients w.r.t. the shared activation (the
    paper's placement): the trunk receives the VJP of LibMTL's transformed gradient, the
    heads their own loss gradients."""
    from reproductions.architectures import HardSharing

    for leak in (0.0, 0.3):
        torch.manual_seed(0)
        model = HardSharing.mlp(6, [12, 8], [1, 1, 1]).double()
        x = torch.randn(20, 6, dtype=torch.float64)
        ys = [torch.randn(20, 1, dtype=torch.float64) for _ in range(3)]
        shared = model.shared_parameters()
        outs, z = model.forward_with_representation(x)
        losses = torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])
        per = torch.stack([torch.autograd.grad(loss, z, retain_graph=True)[0] for loss in losses])
        U = torch.rand(z.shape[1:], generator=torch.Generator().manual_seed(5), dtype=z.dtype)
        new = libmtl_graddrop(per, z.detach(), U, leak)
        ref_shared = torch.autograd.grad(z, shared, grad_outputs=new, retain_graph=True)
        ref_heads = [
            torch.autograd.grad(losses[i], list(model.heads[i].parameters()), retain_graph=True)
            for i in range(3)
        ]
        model.zero_grad()
        m = GradDrop(3, leak=leak, seed=5, use_representation=True)
        w = m.backward(losses, shared, representation=z)
        assert w.shape == (3,) and ((w >= 0) & (w <= 1)).all()
        for p, r in zip(shared, ref_shared, strict=True):
            torch.testing.assert_close(p.grad, r)
        for i in range(3):
            for p, r in zip(model.heads[i].parameters(), ref_heads[i], strict=True):
                torch.testing.assert_close(p.grad, r)


def test_activation_placement_keeps_one_sign_per_feature():
    """Without leak, each feature keeps the tasks of one sign of G_i (all of them)."""
    from reproductions.methods.graddrop import graddrop_activation_gradient

    g = torch.Generator().manual_seed(0)
    grads = torch.randn(4, 16, 10, generator=g, dtype=torch.float64)
    A = torch.randn(16, 10, generator=g, dtype=torch.float64)
    new, kept = graddrop_activation_gradient(grads, A, generator=torch.Generator().manual_seed(1))
    Gi = (grads * A.sign()).sum(1)
    pos = (grads * (Gi > 0).unsqueeze(1)).sum(0)
    neg = (grads * (Gi < 0).unsqueeze(1)).sum(0)
    per_feature = ((new - pos).abs().amax(0) < 1e-12) | ((new - neg).abs().amax(0) < 1e-12)
    assert per_feature.all() and kept.shape == (4,)
