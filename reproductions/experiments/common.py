"""Helpers shared by the experiments (not a reproduction itself): MultiLeNet models, the
multi-task training loop over :mod:`reproductions.methods`, and Delta_m."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reproductions.architectures import CrossStitch, HardSharing, SingleTask
from reproductions.methods import make_method

# The newer aggregators and weightings (issue 13), at their papers' / implementations'
# defaults, in every experiment that compares methods (label -> (method, hyperparameters)).
NEWER_METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "upgrad": ("upgrad", {}),
    "aligned_mtl": ("aligned_mtl", {}),
    "fairgrad": ("fairgrad", {"alpha": 1.0}),
    "gradvac": ("gradvac", {}),
    "db_mtl": ("db_mtl", {}),
    "imtl_l": ("imtl_l", {}),
    "gls": ("gls", {}),
    "config": ("config", {}),
}


def adam(params: Any, **kwargs: Any) -> torch.optim.Adam:
    """Adam with its multi-tensor (``foreach``) update on every device. On a CPU PyTorch's
    default updates one tensor at a time from Python; the foreach path gives the same numbers
    (every experiment's metrics compared byte for byte) in 6-11% less CPU time."""
    return torch.optim.Adam(params, foreach=True, **kwargs)


# -- MultiLeNet (Sener & Koltun's MultiObjectiveOptimization/multi_task/models/multi_lenet.py)
def lenet_trunk() -> nn.Sequential:
    """conv(1->10, 5) - maxpool 2 - ReLU - conv(10->20, 5) - dropout2d - maxpool 2 - ReLU -
    flatten (320) - fc 50 - ReLU: the authors' shared ``MultiLeNetR``."""
    return nn.Sequential(
        nn.Conv2d(1, 10, kernel_size=5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(10, 20, kernel_size=5), nn.Dropout2d(0.5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(320, 50), nn.ReLU(),
    )


def lenet_head() -> nn.Sequential:
    """fc 50 -> 50 - ReLU - dropout - fc 50 -> 10: the authors' per-task ``MultiLeNetO``."""
    return nn.Sequential(nn.Linear(50, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10))


def multilenet(n_tasks: int = 2) -> HardSharing:
    return HardSharing(lenet_trunk(), [lenet_head() for _ in range(n_tasks)])


def single_task_lenets(n_tasks: int = 2) -> SingleTask:
    return SingleTask([nn.Sequential(lenet_trunk(), lenet_head()) for _ in range(n_tasks)])


def cross_stitch_lenet(n_tasks: int = 2) -> CrossStitch:
    """One MultiLeNet column per task, a (per-channel) cross-stitch unit after each of the
    three blocks (conv1, conv2, fc) as in Misra et al. (units after pooling layers)."""
    def column() -> list[nn.Module]:
        return [
            nn.Sequential(nn.Conv2d(1, 10, kernel_size=5), nn.MaxPool2d(2), nn.ReLU()),
            nn.Sequential(nn.Conv2d(10, 20, kernel_size=5), nn.Dropout2d(0.5), nn.MaxPool2d(2),
                          nn.ReLU()),
            nn.Sequential(nn.Flatten(), nn.Linear(320, 50), nn.ReLU()),
        ]

    return CrossStitch([column() for _ in range(n_tasks)], [lenet_head() for _ in range(n_tasks)],
                       channels=[10, 20, 50])


# -- training -----------------------------------------------------------------------------
def build_method(name: str, n_tasks: int, hp: dict[str, Any], seed: int) -> Any:
    from reproductions.methods import METHODS

    kwargs = dict(hp)
    if getattr(METHODS[name], "stochastic", False):
        kwargs.setdefault("seed", seed)
    return make_method(name, n_tasks, **kwargs)


def train_classifier(
    model: nn.Module,
    method: Any,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    bar: Any = None,
    weight_decay: float = 0.0,
    lr_step_epochs: int = 0,
    lr_gamma: float = 1.0,
    on_epoch_end: Any = None,
) -> list[list[float]]:
    """Train a multi-task classifier (``y`` (n, T) class ids) with ``method``; returns the
    mean per-task training loss of each epoch.

    ``lr_step_epochs``/``lr_gamma``: multiply the learning rate by ``lr_gamma`` every
    ``lr_step_epochs`` epochs, as Sener & Koltun's loop does (0.85 every 10: epoch ``e``,
    from 0, runs at ``lr * gamma ** ((e + 1) // step)``, so the first cut comes before the
    10th epoch; 0 = no schedule). At each epoch end the method is told (``end_epoch()``,
    e.g. DWA's epoch-level loss averages) and ``on_epoch_end(epoch, model)`` is called if
    given (per-epoch test evaluation)."""
    device = x_train.device
    params = [*model.parameters(), *method.parameters()]
    opt = adam(params, lr=lr, weight_decay=weight_decay)
    sched = (torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: lr_gamma ** ((e + 1) // lr_step_epochs)) if lr_step_epochs > 0 else None)
    g = torch.Generator().manual_seed(seed)
    n = x_train.shape[0]
    use_rep = bool(getattr(model, "has_representation", False))
    curve: list[list[float]] = []
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g).to(device)
        sums = torch.zeros(y_train.shape[1])
        batches = 0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            outs, z = model.forward_with_representation(xb)
            losses = torch.stack([F.cross_entropy(o, yb[:, t]) for t, o in enumerate(outs)])
            opt.zero_grad(set_to_none=True)
            method.backward(losses, model.shared_parameters(),
                            representation=z if use_rep else None)
            opt.step()
            if method.needs_after_step:
                with torch.no_grad():
                    new = torch.stack([F.cross_entropy(o, yb[:, t])
                                       for t, o in enumerate(model(xb))])
                method.after_step(new)
            sums += losses.detach().cpu()
            batches += 1
            if bar is not None:
                bar.advance(1, loss=float(losses.detach().sum()))
        curve.append((sums / max(1, batches)).tolist())
        end_epoch = getattr(method, "end_epoch", None)
        if callable(end_epoch):
            end_epoch()
        if sched is not None:
            sched.step()
        if on_epoch_end is not None:
            on_epoch_end(epoch, model)
    return curve


@torch.no_grad()
def accuracies(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000
) -> list[float]:
    model.eval()
    correct = torch.zeros(y.shape[1])
    for start in range(0, x.shape[0], batch):
        outs = model(x[start:start + batch])
        for t, o in enumerate(outs):
            correct[t] += (o.argmax(-1) == y[start:start + batch, t]).sum().cpu()
    return (correct / x.shape[0]).tolist()


def delta_m(metrics: Sequence[float], baseline: Sequence[float],
            higher_is_better: Sequence[bool]) -> float:
    """Maninis et al. 2019 (arXiv 1904.08918), Eq. 4, in percent:
    Delta_m = (1/T) sum_i (-1)^{l_i} (M_m,i - M_b,i) / M_b,i * 100, l_i = 1 when lower is
    better. Sign convention (Maninis'): POSITIVE = better than the baseline (single-task).
    (Later papers, e.g. Nash-MTL and FAMO, flip the sign so that lower is better.)"""
    terms = [(m - b) / b * (1 if hib else -1)
             for m, b, hib in zip(metrics, baseline, higher_is_better, strict=True)]
    return float(np.mean(terms) * 100)
