"""The method contract: registry, hyperparameter checking, simplex projection, and the
gradient-method backward paths (representation shortcut / per-task loop / nothing shared)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reproductions.architectures import SingleTask
from reproductions.methods import METHODS, MGDA, Method, make_method
from reproductions.methods.base import project_simplex


def test_registry_ids_and_flags():
    assert sorted(METHODS) == sorted(
        [
            "ls",
            "uw",
            "gradnorm",
            "dwa",
            "mgda",
            "pcgrad",
            "graddrop",
            "cagrad",
            "imtl",
            "nashmtl",
            "rlw",
            "famo",
            "upgrad",
            "aligned_mtl",
            "fairgrad",
            "gradvac",
            "db_mtl",
            "imtl_l",
            "config",
            "gls",
        ]
    )
    assert len(METHODS) >= 20
    for name, cls in METHODS.items():
        assert cls.name == name and issubclass(cls, Method)
        assert cls.__doc__ and cls.__module__
    grads = {n for n, c in METHODS.items() if c.uses_grads}
    assert grads == {
        "mgda", "pcgrad", "graddrop", "cagrad", "imtl", "nashmtl",
        "upgrad", "aligned_mtl", "fairgrad", "gradvac", "db_mtl", "config",
    }
    assert [n for n, c in METHODS.items() if c.needs_after_step] == ["famo"]


def test_make_method_and_unknown_hparams():
    m = make_method("mgda_ub", 3)
    assert isinstance(m, MGDA) and m.use_representation
    with pytest.raises(TypeError):
        make_method("ls", 2, bogus=1)
    with pytest.raises(KeyError):
        make_method("nope", 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=12),
)
def test_project_simplex_is_the_euclidean_projection(values):
    v = torch.tensor(values, dtype=torch.float64)
    p = project_simplex(v)
    assert (p >= 0).all()
    assert abs(p.sum().item() - 1) < 1e-9
    # optimality: <v - p, q - p> <= 0 for every vertex q of the simplex
    for i in range(len(values)):
        q = torch.zeros_like(v)
        q[i] = 1
        assert ((v - p) @ (q - p)).item() <= 1e-9


def test_project_simplex_batched():
    v = torch.randn(4, 3, 6, dtype=torch.float64)
    p = project_simplex(v)
    for idx in [(0, 0), (3, 2), (1, 1)]:
        torch.testing.assert_close(p[idx], project_simplex(v[idx]))


def test_nothing_shared_gives_each_task_its_gradient():
    torch.manual_seed(0)
    model = SingleTask.mlp(4, [6], [1, 1])
    x = torch.randn(8, 4)
    for name in METHODS:
        model.zero_grad()
        outs = model(x)
        losses = torch.stack([o.pow(2).mean() for o in outs])
        make_method(name, 2).backward(losses, model.shared_parameters())
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_backward_accumulates_into_existing_grad():
    w = torch.randn(5, dtype=torch.float64, requires_grad=True)
    w.grad = torch.ones_like(w)
    losses = torch.stack([(w**2).sum(), (w - 1).pow(2).sum()])
    J = torch.stack([2 * w.detach(), 2 * (w.detach() - 1)])
    d, _ = MGDA(2).aggregate(J)
    MGDA(2).backward(losses, [w])
    torch.testing.assert_close(w.grad, 1 + d)
