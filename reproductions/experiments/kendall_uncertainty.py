"""Uncertainty weighting recovers the tasks' noise: Kendall, Gal & Cipolla (arXiv 1705.07115).

A port of the authors' public example (yaringal/multi-task-learning-example, the PyTorch
notebook): N = 100 points, x ~ N(0, 1), y1 = 2x + 8 + 10 eps, y2 = 3x + 3 + eps; a 1 -> 1024
ReLU layer with two linear heads; loss mean_batch sum_i exp(-s_i) (y_i - yhat_i)^2 + s_i with
learned log-variances s_i (initialised at 0); Adam (lr 1e-3); 2000 epochs of batches of 20,
shuffled each epoch. The loss is the ``uw`` method (``reproductions.methods.uncertainty``)
applied to the two batch-mean squared errors: the mean over the batch of the notebook's
per-sample loss equals sum_i exp(-s_i) MSE_i + s_i, the form ``uw`` implements (twice the
paper's Eq. 7; see that module). The learned noise std is exp(s_i / 2); the truth is (10, 1). The
notebook prints [8.59, 0.92] at the end.

Each claim is decided over ``n_seeds`` seeds (a seed draws its own 100 points -- with so few,
the sample noise itself varies by ~7% -- and its own initialisation) by
:func:`reproductions.stats.decide`: (1, 2) each learned std recovers the truth -- the mean
relative error |std - true| / true is below ``tolerance`` (25%), passed when the 95%
t-interval lies below it; (3) the noisier task gets the larger std -- the paired difference
log(std_1 / std_2) is above 0.

At smoke scale the same model trains for fewer epochs with a 10x learning rate over three
seeds, with a 50% tolerance.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from reproductions.experiments.common import adam
from reproductions.methods import UncertaintyWeighting
from reproductions.runner import RunContext
from reproductions.spec import ExperimentConfig, Result
from reproductions.stats import decide

TRUE_STD = (10.0, 1.0)
NOTEBOOK_STD = (8.59, 0.92)  # the authors' notebook output


class Config(ExperimentConfig):
    SMOKE: ClassVar[dict[str, Any]] = {"epochs": 300, "lr": 1e-2, "tolerance": 0.5,
                                       "n_seeds": 3}

    n: int = 100
    epochs: int = 2000
    batch_size: int = 20
    hidden: int = 1024
    lr: float = 1e-3
    tolerance: float = 0.25  # relative error allowed on each recovered std
    n_seeds: int = 5  # seeds config.seed, config.seed + 1, ...: data and initialisation


class Net(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(1, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.fc3 = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.fc1(x))
        return self.fc2(h), self.fc3(h)


def gen_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = rng.standard_normal((n, 1))
    Y1 = X * 2.0 + 8.0 + TRUE_STD[0] * rng.standard_normal((n, 1))
    Y2 = X * 3.0 + 3.0 + TRUE_STD[1] * rng.standard_normal((n, 1))
    return X.astype("float32"), Y1.astype("float32"), Y2.astype("float32")


def train_one(config: Config, seed: int, device: torch.device,
              bar: Any) -> tuple[list[float], dict[str, list[float]]]:
    """One seed: its data, its network; returns the learned stds and the per-epoch history."""
    rng = np.random.default_rng(seed)
    X, Y1, Y2 = gen_data(config.n, rng)
    torch.manual_seed(seed)
    model = Net(config.hidden).to(device)
    uw = UncertaintyWeighting(2, init_log_var=0.0)
    uw.log_vars.data = uw.log_vars.data.to(device)
    log_vars = uw.log_vars
    opt = adam([*model.parameters(), *uw.parameters()], lr=config.lr)
    Xt, Y1t, Y2t = (torch.from_numpy(a).to(device) for a in (X, Y1, Y2))
    n_batches = config.n // config.batch_size
    history: dict[str, list[float]] = {"loss": [], "std_1": [], "std_2": []}
    for _epoch in range(config.epochs):
        perm = torch.from_numpy(rng.permutation(config.n)).to(device)
        epoch_loss = 0.0
        for j in range(n_batches):
            idx = perm[j * config.batch_size:(j + 1) * config.batch_size]
            out1, out2 = model(Xt[idx])
            mse = torch.stack([((out1 - Y1t[idx]) ** 2).mean(),
                               ((out2 - Y2t[idx]) ** 2).mean()])  # (2,)
            opt.zero_grad(set_to_none=True)
            loss = uw.weigh(mse)  # sum_i exp(-s_i) MSE_i + s_i
            loss.backward()
            opt.step()
            epoch_loss += float(loss.detach())
        std = torch.exp(log_vars.detach() / 2).cpu().tolist()
        history["loss"].append(epoch_loss / n_batches)
        history["std_1"].append(std[0])
        history["std_2"].append(std[1])
        bar.advance(1, loss=epoch_loss / n_batches)
    return torch.exp(log_vars.detach() / 2).cpu().tolist(), history


def run(config: Config, device: torch.device, ctx: RunContext | None = None) -> Result:
    ctx = ctx or RunContext()
    stds: list[list[float]] = []
    history: dict[str, list[float]] = {}
    for r in range(config.n_seeds):
        seed = config.seed + r
        with ctx.progress.task(f"kendall s{seed}: epochs", config.epochs) as bar:
            std, hist = train_one(config, seed, device, bar)
        stds.append(std)
        if r == 0:
            history = hist
    rel = [[abs(s - t) / t for s, t in zip(std, TRUE_STD, strict=True)] for std in stds]
    mean_std = np.mean(np.asarray(stds), axis=0).tolist()
    metrics = {
        "learned_std": [round(s, 4) for s in mean_std],
        "learned_std_per_seed": [[round(s, 4) for s in std] for std in stds],
        "seeds": [config.seed + r for r in range(config.n_seeds)],
        "true_std": list(TRUE_STD),
        "notebook_std": list(NOTEBOOK_STD),
        "relative_error_per_seed": [[round(v, 4) for v in r] for r in rel],
        "final_loss_first_seed": round(history["loss"][-1], 4),
        "epochs": config.epochs,
    }
    kind = "paper" if config.scale == "full" else "sanity"
    pre = "" if kind == "paper" else "[smoke sanity] "
    verdicts = [
        decide([r[i] for r in rel], direction="less", margin=config.tolerance, kind=kind,
               claim=pre + f"learned noise std of task {i + 1} recovers the true {t:g} within "
               f"{config.tolerance:.0%}", paper=nb, digits=3,
               what=f"relative error |std_{i + 1} - {t:g}| / {t:g}")
        for i, (t, nb) in enumerate(zip(TRUE_STD, NOTEBOOK_STD, strict=True))
    ]
    verdicts.append(decide(
        [float(np.log(s[0] / s[1])) for s in stds], direction="greater", margin=0.0,
        kind=kind, digits=3, paper="8.59 > 0.92", what="log(std_1 / std_2), paired by seed",
        claim=pre + "the noisier task gets the larger learned std (smaller weight exp(-s))"))
    from reproductions import plots

    plots.curves(ctx, "kendall_std", {"std task 1 (true 10)": history["std_1"],
                                      "std task 2 (true 1)": history["std_2"]},
                 title=f"learned noise std per epoch (seed {config.seed})", xlabel="epoch",
                 ylabel="std", logy=True)
    plots.curves(ctx, "kendall_loss", {"loss": history["loss"]}, title="training loss",
                 xlabel="epoch")
    ctx.write_json("history.json", history)
    return Result(metrics=metrics, verdicts=verdicts)
