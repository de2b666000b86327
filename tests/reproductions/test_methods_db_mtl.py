"""DB-MTL (Lin et al. 2023), against a transcription of the official LibMTL code."""

from __future__ import annotations

import torch
from method_checks import CASES, DTYPE, random_jacobians, run_common

from reproductions.architectures import HardSharing
from reproductions.methods import DBMTL, METHODS


def test_registered():
    assert METHODS["db_mtl"] is DBMTL


def test_common_properties():
    # d is a combination of the EMA buffers, not of the current gradients; backward puts
    # log-loss gradients into the heads (checked below)
    run_common(lambda T: DBMTL(T), weighted_sum=False, backward=False)


def libmtl_db_mtl(grads_per_step, losses_per_step, beta=0.9, beta_sigma=0.0):
    """LibMTL ``DB_MTL.backward``: batch_grads are the gradients of log(losses + 1e-8)."""
    T, P = grads_per_step[0].shape
    grad_buffer = torch.zeros(T, P, dtype=grads_per_step[0].dtype)
    out = []
    for step, (grads, losses) in enumerate(zip(grads_per_step, losses_per_step, strict=True), 1):
        batch_grads = grads / (losses + 1e-8).unsqueeze(-1)
        grad_buffer = batch_grads + (beta / step**beta_sigma) * (grad_buffer - batch_grads)
        u_grad = grad_buffer.norm(dim=-1)
        alpha = u_grad.max() / (u_grad + 1e-8)
        out.append(sum(alpha[i] * grad_buffer[i] for i in range(T)))
    return out


def test_matches_official_code_over_steps():
    for beta, sigma in ((0.9, 0.0), (0.5, 0.5)):
        for seed, T, P in CASES:
            Gs, Ls = zip(*[random_jacobians(10 * seed + k, 1, T, P) for k in range(5)], strict=True)
            Gs, Ls = [g[0] for g in Gs], [loss[0] for loss in Ls]
            ref = libmtl_db_mtl(Gs, Ls, beta, sigma)
            m = DBMTL(T, beta=beta, beta_sigma=sigma)
            for G, L, r in zip(Gs, Ls, ref, strict=True):
                d, _ = m.aggregate(G, L)
                torch.testing.assert_close(d, r)


def test_backward_uses_log_losses_everywhere():
    """Shared params: aggregate of the log-loss Jacobian; heads: grad of sum_i log L_i."""
    torch.manual_seed(0)
    model = HardSharing.mlp(6, [12, 8], [1, 1, 1]).to(DTYPE)
    x = torch.randn(20, 6, dtype=DTYPE)
    ys = [torch.randn(20, 1, dtype=DTYPE) for _ in range(3)]
    shared = model.shared_parameters()
    for use_rep in (False, True):
        for _step in range(2):
            outs, z = model.forward_with_representation(x)
            losses = torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])
            rows = [torch.autograd.grad(loss, shared, retain_graph=True) for loss in losses]
            J = torch.stack([torch.cat([g.reshape(-1) for g in row]) for row in rows])
            heads = [
                torch.autograd.grad(torch.log(losses[i] + 1e-8), list(model.heads[i].parameters()),
                                    retain_graph=True)
                for i in range(3)
            ]
            if _step == 0:
                ref_m, m = DBMTL(3), DBMTL(3)
            d_ref, _ = ref_m.aggregate(J, losses.detach())
            model.zero_grad()
            m.backward(losses, shared, representation=z if use_rep else None)
            got = torch.cat([p.grad.reshape(-1) for p in shared])
            torch.testing.assert_close(got, d_ref, atol=1e-9, rtol=1e-6)
            for i in range(3):
                for g, p in zip(heads[i], model.heads[i].parameters(), strict=True):
                    torch.testing.assert_close(p.grad, g, atol=1e-9, rtol=1e-6)


def test_balances_gradient_magnitudes():
    """With beta = 0 every task's buffered log-gradient is rescaled to the largest norm."""
    G, L = random_jacobians(0, 4, 3, 10)
    d, alpha = DBMTL(3, beta=0.0).aggregate(G, L)
    h = G / L.unsqueeze(-1)
    scaled = alpha.unsqueeze(-1) * h
    n = scaled.norm(dim=-1)
    top = h.norm(dim=-1).amax(-1, keepdim=True).expand_as(n)
    torch.testing.assert_close(n, top, rtol=1e-6, atol=0)
    torch.testing.assert_close(d, scaled.sum(-2))
