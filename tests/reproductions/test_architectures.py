"""Multi-task architectures: output shapes, the shared/task parameter split, the shared
representation, and the papers' structural properties."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from reproductions.architectures import (
    ARCHITECTURES,
    MTAN,
    PLE,
    CrossStitch,
    CrossStitchUnit,
    HardSharing,
    MMoE,
    SingleTask,
)
from reproductions.methods import METHODS, make_method

OUT = [1, 3, 2]


def builders() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {
        "hard_sharing": HardSharing.mlp(6, [16, 8], OUT),
        "cross_stitch": CrossStitch.mlp(6, [16, 8], OUT),
        "cross_stitch_channel": CrossStitch.mlp(6, [16, 8], OUT, per_channel=True),
        "mmoe": MMoE.mlp(6, [8], 4, [5], OUT),
        "mtan": MTAN.mlp(6, [16, 8], OUT),
        "cgc": PLE.cgc(6, 8, 2, 2, [5], OUT),
        "ple": PLE.mlp(6, [8, 8, 6], 1, 2, [5], OUT),
        "single_task": SingleTask.mlp(6, [8], OUT),
    }


def test_registry():
    assert set(ARCHITECTURES) == {"hard_sharing", "cross_stitch", "mmoe", "mtan", "ple",
                                 "single_task"}


@pytest.mark.parametrize("name", list(builders()))
def test_outputs_and_parameter_partition(name):
    model = builders()[name]
    x = torch.randn(7, 6)
    outs = model(x)
    assert [o.shape for o in outs] == [(7, o) for o in OUT]
    shared = {id(p) for p in model.shared_parameters()}
    tasks = [{id(p) for p in ps} for ps in model.task_parameters()]
    assert len(tasks) == model.n_tasks == len(OUT)
    union = set(shared)
    for t in tasks:
        assert not (t & shared)
        union |= t
    for i in range(len(tasks)):
        for j in range(i + 1, len(tasks)):
            assert not (tasks[i] & tasks[j])
    assert union == {id(p) for p in model.parameters()}


@pytest.mark.parametrize("name", list(builders()))
def test_task_parameters_only_affect_their_task(name):
    model = builders()[name]
    x = torch.randn(5, 6)
    outs = model(x)
    for k, params in enumerate(model.task_parameters()):
        for i, o in enumerate(outs):
            grads = torch.autograd.grad(o.sum(), params, retain_graph=True, allow_unused=True)
            nonzero = any(g is not None and g.abs().sum() > 0 for g in grads)
            if i != k:
                assert not nonzero, (name, k, i)


@pytest.mark.parametrize("name", ["hard_sharing", "mmoe", "cgc"])
def test_representation_separates_shared_from_heads(name):
    """Gradients of every output w.r.t. the shared parameters factor through z."""
    model = builders()[name].double()
    x = torch.randn(5, 6, dtype=torch.float64)
    outs, z = model.forward_with_representation(x)
    assert z is not None and model.has_representation
    shared = model.shared_parameters()
    for o in outs:
        direct = torch.autograd.grad(o.sum(), shared, retain_graph=True)
        gz = torch.autograd.grad(o.sum(), z, retain_graph=True)[0]
        via = torch.autograd.grad(z, shared, grad_outputs=gz, retain_graph=True)
        for a, b in zip(direct, via, strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", list(builders()))
@pytest.mark.parametrize("method", ["ls", "mgda", "mgda_ub", "nashmtl", "famo", "gradnorm"])
def test_trains_with_methods(name, method):
    model = builders()[name]
    m = make_method(method, len(OUT))
    opt = torch.optim.SGD(list(model.parameters()) + m.parameters(), lr=0.01)
    x = torch.randn(16, 6)
    ys = [torch.randn(16, o) for o in OUT]
    for _ in range(2):
        opt.zero_grad()
        outs, z = model.forward_with_representation(x)
        losses = torch.stack([((o - y) ** 2).mean() for o, y in zip(outs, ys, strict=True)])
        m.backward(
            losses,
            model.shared_parameters(),
            representation=z,
            last_shared_params=model.last_shared_parameters() or None,
        )
        for p in model.parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all()
        opt.step()
        if m.needs_after_step:
            with torch.no_grad():
                m.after_step(
                    torch.stack([((o - y) ** 2).mean() for o, y in zip(model(x), ys, strict=True)])
                )


def test_methods_registry_complete():
    assert len(METHODS) >= 20  # issue 13: the twelve of round one and the newer aggregators


def test_cross_stitch_init_near_identity_and_mixing():
    unit = CrossStitchUnit(2)
    torch.testing.assert_close(unit.alpha.detach(), torch.tensor([[0.9, 0.1], [0.1, 0.9]]))
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    ya, yb = unit([a, b])
    torch.testing.assert_close(ya, 0.9 * a + 0.1 * b)
    torch.testing.assert_close(yb, 0.1 * a + 0.9 * b)
    unit3 = CrossStitchUnit(3)
    torch.testing.assert_close(unit3.alpha.sum(1), torch.ones(3))
    # identity units make the columns independent networks
    model = CrossStitch.mlp(6, [8, 4], [1, 1])
    for s in model.stitches:
        s.alpha.data = torch.eye(2)
    x = torch.randn(5, 6)
    outs = model(x)
    solo = model.heads[0](model.columns[0][1](model.columns[0][0](x)))
    torch.testing.assert_close(outs[0], solo)


def test_mmoe_gates_are_softmax_and_output_is_mixture():
    model = MMoE.mlp(6, [8], 3, [], [2, 2])
    x = torch.randn(4, 6)
    gates = model.gate_weights(x)
    for g in gates:
        assert g.shape == (4, 3) and (g > 0).all()
        torch.testing.assert_close(g.sum(-1), torch.ones(4))
    _, z = model.forward_with_representation(x)
    mix = (gates[0].unsqueeze(-1) * z).sum(1)
    torch.testing.assert_close(model(x)[0], model.towers[0](mix))


def test_mtan_masks_in_unit_interval_and_conv_variant():
    model = MTAN.mlp(6, [16, 8], OUT)
    masks = model.attention_masks(torch.randn(5, 6))
    assert len(masks) == len(OUT) and all(len(ms) == 2 for ms in masks)
    for ms in masks:
        for a in ms:
            assert ((a > 0) & (a < 1)).all()
    conv = MTAN.small_conv(3, [4, 8], [2, 5])
    outs = conv(torch.randn(2, 3, 8, 8))
    assert [o.shape for o in outs] == [(2, 2), (2, 5)]
    conv_masks = conv.attention_masks(torch.randn(2, 3, 8, 8))
    assert conv_masks[0][1].shape == (2, 8, 4, 4)


def test_single_task_has_no_shared_parameters():
    model = SingleTask.mlp(6, [8], OUT)
    assert model.shared_parameters() == []
    outs, z = model.forward_with_representation(torch.randn(3, 6))
    assert z is None and len(outs) == len(OUT)


def test_cgc_gates_weigh_own_and_shared_experts_only():
    """CGC (Tang et al. 2020, Sec. 4.1): task k's gate is a softmax over its m_k own and the
    m_s shared experts, and its tower reads that mixture; no task-k tower sees task j's
    experts."""
    model = PLE.cgc(6, 8, 2, 3, [], [2, 2])
    x = torch.randn(4, 6)
    gates = model.gate_weights(x)
    for g in gates:
        assert g.shape == (4, 2 + 3) and (g > 0).all()
        torch.testing.assert_close(g.sum(-1), torch.ones(4))
    level = model.levels[0]
    shared = torch.stack([e(x) for e in level.shared_experts], dim=1)
    assert model.has_representation
    torch.testing.assert_close(model.forward_with_representation(x)[1], shared)
    for k in range(2):
        own = torch.stack([e(x) for e in level.task_experts[k]], dim=1)
        mix = (gates[k].unsqueeze(-1) * torch.cat([own, shared], dim=1)).sum(1)
        torch.testing.assert_close(model(x)[k], model.towers[k](mix))
    # the split is the textbook one: shared experts shared, the rest per task
    assert {id(p) for p in model.shared_parameters()} == {
        id(p) for p in level.shared_experts.parameters()}


def test_ple_stacks_levels_and_every_shared_parameter_reaches_two_tasks():
    """PLE (Sec. 4.2): below the top a shared gate fuses every expert of the level, so a
    task's lower experts reach the other tasks: they are shared parameters; the split is
    tight (each shared parameter moves at least two tasks' outputs)."""
    torch.manual_seed(1)
    model = PLE.mlp(6, [8, 8, 6], 1, 2, [5], OUT).double()
    assert not model.has_representation
    assert model.forward_with_representation(torch.randn(2, 6, dtype=torch.float64))[1] is None
    assert len(model.levels) == 3 and model.levels[-1].shared_gate is None
    assert all(lv.shared_gate is not None for lv in model.levels[:-1])
    level1_task0 = {id(p) for p in model.levels[0].task_experts[0].parameters()}
    assert level1_task0 <= {id(p) for p in model.shared_parameters()}
    x = torch.randn(9, 6, dtype=torch.float64)
    outs = model(x)
    for p in model.shared_parameters():
        moved = 0
        for o in outs:
            (g,) = torch.autograd.grad(o.sum(), [p], retain_graph=True, allow_unused=True)
            moved += int(g is not None and bool(g.abs().sum() > 0))
        assert moved >= 2, p.shape
    with pytest.raises(ValueError):
        PLE.mlp(6, [], 1, 1, [], OUT)
    with pytest.raises(ValueError):
        PLE.mlp(6, [4], 0, 0, [], OUT)
