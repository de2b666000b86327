"""MMoE vs shared-bottom on synthetic tasks of controlled correlation (Ma et al., KDD 2018,
DOI 10.1145/3219819.3220007; not on arXiv).

The paper's generator (Sec. 3.2), as we read it: two orthogonal unit vectors u1, u2 in R^d;
task weight vectors w1 = c u1 and w2 = c (p u1 + sqrt(1 - p^2) u2), so that cos(w1, w2) = p;
inputs x ~ N(0, I_d); labels y_i = w_i^T x + sum_{j=1..m} sin(alpha_j w_i^T x + beta_j) + eps_i
with alpha_j, beta_j ~ N(0, 1) shared by both tasks and eps_i ~ N(0, 0.01^2). We use d = 100,
m = 10, c = 1 (our choices where the text we could read did not fix them; the PLE paper,
Sec. 5.2.1, says the MMoE paper gives no synthesis hyperparameters and makes the same choices:
alpha, beta ~ N(0, 1), c = 1, m = 10, with d = 512).

Models as in the paper's synthetic experiment: a shared-bottom network (one shared ReLU layer
of 113 units, towers of 8 units) and MMoE (8 experts, each one ReLU layer of 16 units, a softmax
gate per task, towers of 8 units): :mod:`reproductions.architectures`. Beside them CGC and
two-level PLE (Tang et al., RecSys 2020, DOI 10.1145/3383313.3412236): the same eight
single-layer experts of 16 units per level -- 2 per task and 4 shared -- and the same towers
(the PLE paper's experts are single-layer networks and its multi-level models have two
levels, Sec. 5.1.3). Adam, squared loss, equal weights. Correlations p in {0.5, 0.9, 1.0};
each setting is averaged over ``repeats`` data sets and initialisations (the paper repeats 200
times).

Claims (full scale), each decided over the ``repeats`` (data set + initialisation, seeded
from ``config.seed``) by the 95% Student-t interval of the paired difference
(:mod:`reproductions.stats`: passed / failed / inconclusive):

* MMoE (Ma et al.): MMoE's advantage over shared-bottom -- test MSE(shared-bottom)
  - test MSE(MMoE), averaged over both tasks -- is larger at the lowest correlation than at
  the highest (advantage(p=0.5) - advantage(p=1.0) > 0, paired by repeat), and MMoE beats
  shared-bottom at the lowest correlation. An earlier single-number check passed on
  0.006 +- 0.032 (SE) over 5 repeats: within noise.
* PLE (Tang et al., Sec. 5.2.3, on synthetic data generated with MMoE's recipe: "PLE
  consistently performs best for both tasks across different correlations"): at every
  correlation PLE's test MSE is below MMoE's on each task, MSE(MMoE) - MSE(PLE) > 0 per task
  paired by repeat; the verdict of a correlation is passed when both tasks' intervals pass,
  failed when either fails, else inconclusive. (Their generator used d = 512 and 1.4 million
  samples per correlation, and towers of [256, 128, 64]; ours is the smaller miniature above.)

Smoke scale (400 steps, two repeats, correlations 0.5 and 1.0, no CGC) runs the same decisions as
sanity checks with a loose margin of -0.2 MSE (about a tenth of the label variance) -- they
guard against a broken model, not the papers' claims, since 400 steps are far from
convergence; with two repeats they are mostly inconclusive -- and checks that every model
learns every setting (test MSE below 90% of the label variance in its best repeat; a run
stuck above that is counted in the metrics' ``stuck_runs``). That the
generator's label correlation rises with p is a test of the data generator
(tests/reproductions/test_exp_mmoe_synthetic.py), not a claim.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from reproductions.architectures import PLE, HardSharing, MMoE, mlp
from reproductions.experiments.common import adam
from reproductions.methods import make_method
from reproductions.runner import RunContext
from reproductions.spec import ExperimentConfig, Result, Verdict
from reproductions.stats import decide

MODELS = ("shared_bottom", "mmoe", "cgc", "ple")


class Config(ExperimentConfig):
    # smoke: in 400 steps every model's best repeat reaches test MSE under 30% of the label
    # variance with 8,000 samples (fewer samples overfit: test MSE above the label variance);
    # a loose margin, because 400 steps are far from convergence and the claims are about
    # trained models (CGC, in no claim, is left out of the smoke run to keep it short).
    # (400 steps instead of 800 halve the CPU; no verdict failed over seeds 0-9 with 1 thread
    # and 0-3 with 2: benchmarks/smoke_margins.py, figures in benchmarks/README.md)
    SMOKE: ClassVar[dict[str, Any]] = {"steps": 400, "repeats": 2, "n_train": 8000,
                                       "lr": 5e-3, "correlations": [0.5, 1.0],
                                       "margin": -0.2,
                                       "models": ["shared_bottom", "mmoe", "ple"]}

    correlations: list[float] = [0.5, 0.9, 1.0]
    d: int = 100
    m: int = 10
    c: float = 1.0
    n_train: int = 10_000
    n_test: int = 2_000
    steps: int = 3_000
    batch_size: int = 256
    lr: float = 1e-3
    repeats: int = 5
    models: list[str] = list(MODELS)
    margin: float = 0.0  # MSE units; every interval claim is "difference > margin"


def make_data(p: float, n: int, config: Config, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((config.d, 2)))
    u1, u2 = q[:, 0], q[:, 1]
    w1 = config.c * u1
    w2 = config.c * (p * u1 + math.sqrt(max(0.0, 1 - p * p)) * u2)
    alpha = rng.standard_normal(config.m)
    beta = rng.standard_normal(config.m)
    x = rng.standard_normal((n, config.d))
    ys = []
    for w in (w1, w2):
        wx = x @ w
        y = wx + np.sin(alpha[None, :] * wx[:, None] + beta[None, :]).sum(1)
        ys.append(y + 0.01 * rng.standard_normal(n))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(np.stack(ys, 1), dtype=torch.float32)


def shared_bottom(d: int) -> HardSharing:
    return HardSharing(mlp([d, 113]), [nn.Sequential(mlp([113, 8]), nn.Linear(8, 1))
                                       for _ in range(2)])


def mmoe(d: int) -> MMoE:
    return MMoE.mlp(d, [16], 8, [8], [1, 1])


def cgc(d: int) -> PLE:
    """MMoE's eight experts of 16 units split into 2 per task and 4 shared."""
    return PLE.cgc(d, 16, 2, 4, [8], [1, 1])


def ple(d: int) -> PLE:
    """Two extraction levels of CGC's experts (2 per task + 4 shared, 16 units each)."""
    return PLE.mlp(d, [16, 16], 2, 4, [8], [1, 1])


FACTORIES = {"shared_bottom": shared_bottom, "mmoe": mmoe, "cgc": cgc, "ple": ple}


def train_eval(model: nn.Module, x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor,
               yt: torch.Tensor, config: Config, seed: int, bar: Any
               ) -> tuple[list[float], list[float]]:
    """Train with equal weights; the test MSE of each task and the training-loss curve."""
    method = make_method("ls", 2)
    opt = adam(model.parameters(), lr=config.lr)
    g = torch.Generator().manual_seed(seed)
    curve = []
    for step in range(config.steps):
        idx = torch.randint(0, x.shape[0], (config.batch_size,), generator=g).to(x.device)
        outs = model(x[idx])
        losses = torch.stack([((o.squeeze(-1) - y[idx, t]) ** 2).mean()
                              for t, o in enumerate(outs)])
        opt.zero_grad(set_to_none=True)
        method.backward(losses, model.shared_parameters())
        opt.step()
        if step % 50 == 0:
            curve.append(float(losses.detach().mean()))
        bar.advance(1, loss=float(losses.detach().mean()) if step % 50 == 0 else None)
    with torch.no_grad():
        outs = model(xt)
        mses = [float(((o.squeeze(-1) - yt[:, t]) ** 2).mean()) for t, o in enumerate(outs)]
    return mses, curve


def both_tasks(per_task: list[Verdict], claim: str) -> Verdict:
    """One verdict for "on each task": passed when every task's interval verdict passed,
    failed when any failed, else inconclusive."""
    outcomes = {v.outcome for v in per_task}
    outcome = ("failed" if "failed" in outcomes
               else "passed" if outcomes == {"passed"} else "inconclusive")
    return Verdict(
        claim=claim, ours="; ".join(f"task {t + 1}: {v.ours}" for t, v in enumerate(per_task)),
        paper="PLE best on both tasks at every correlation", outcome=outcome,
        kind=per_task[0].kind, n_seeds=per_task[0].n_seeds,
        tolerance="each task decided alone: " + per_task[0].tolerance
        + "; passed when every task passed, failed when any failed")


def run(config: Config, device: torch.device, ctx: RunContext | None = None) -> Result:
    ctx = ctx or RunContext()
    unknown = sorted(set(config.models) - set(FACTORIES))
    if unknown:
        raise ValueError(f"unknown mmoe-synthetic models {unknown}; known: {list(FACTORIES)}")
    labels = [m for m in MODELS if m in config.models]
    per_p: dict[str, dict[str, Any]] = {}
    task_runs: dict[str, dict[str, list[list[float]]]] = {}  # p -> model -> per repeat [t1, t2]
    curves: dict[str, list[float]] = {}
    for p in config.correlations:
        runs: dict[str, list[list[float]]] = {label: [] for label in labels}
        label_vars: list[float] = []
        for r in range(config.repeats):
            seed = config.seed * 1000 + r
            x, y = make_data(p, config.n_train + config.n_test, config, seed)
            x, y = x.to(device), y.to(device)
            xtr, ytr, xte, yte = x[:config.n_train], y[:config.n_train], x[config.n_train:], \
                y[config.n_train:]
            pearson = float(np.corrcoef(ytr[:, 0].cpu().numpy(), ytr[:, 1].cpu().numpy())[0, 1])
            label_vars.append(float(yte.var(dim=0).mean()))
            for label in labels:
                torch.manual_seed(seed)
                model = FACTORIES[label](config.d).to(device)
                with ctx.progress.task(f"mmoe p={p} r={r}: {label}", config.steps) as bar:
                    mses, curve = train_eval(model, xtr, ytr, xte, yte, config, seed, bar)
                runs[label].append(mses)
                if r == 0:
                    curves[f"{label} p={p}"] = curve
        task_runs[str(p)] = runs
        row: dict[str, Any] = {}
        for label in labels:
            means = [sum(m) / len(m) for m in runs[label]]
            row[f"{label}_mse"] = round(float(np.mean(means)), 5)
            row[f"{label}_runs"] = [round(v, 5) for v in means]
            row[f"{label}_task_mse"] = [round(float(np.mean([m[t] for m in runs[label]])), 5)
                                        for t in range(2)]
        if "shared_bottom" in runs and "mmoe" in runs:
            row["advantage"] = round(row["shared_bottom_mse"] - row["mmoe_mse"], 5)
        row["label_pearson_r_first_repeat"] = round(pearson, 4)
        row["label_variance_first_repeat"] = round(label_vars[0], 4)
        ratios = {label: [sum(runs[label][r]) / 2 / label_vars[r] for r in range(config.repeats)]
                  for label in labels}  # test MSE / label variance, per repeat
        row["worst_mse_over_label_variance"] = round(max(max(v) for v in ratios.values()), 4)
        row["best_repeat_mse_over_label_variance"] = {
            label: round(min(v), 4) for label, v in ratios.items()}
        row["stuck_runs"] = {label: sum(x >= 0.9 for x in v) for label, v in ratios.items()}
        per_p[str(p)] = row
    kind = "paper" if config.scale == "full" else "sanity"
    pre = "" if kind == "paper" else "[smoke sanity] "
    verdicts: list[Verdict] = []
    within = "" if config.margin == 0 else f" (within {-config.margin:g} MSE)"
    lo, hi = str(min(config.correlations)), str(max(config.correlations))
    if {"shared_bottom", "mmoe"} <= set(labels):
        adv = {p: [s - m for s, m in zip(v["shared_bottom_runs"], v["mmoe_runs"], strict=True)]
               for p, v in per_p.items()}
        verdicts += [
            decide([a - b for a, b in zip(adv[lo], adv[hi], strict=True)], kind=kind,
                   margin=config.margin,
                   claim=pre + f"MMoE's advantage over shared-bottom is larger at correlation "
                   f"{lo} than at {hi}" + within, paper="grows as correlation falls",
                   what="advantage(p=lo) - advantage(p=hi), advantage = MSE(shared-bottom) - "
                   "MSE(MMoE), paired by repeat"),
            decide(adv[lo], kind=kind, margin=config.margin,
                   claim=pre + f"MMoE's test MSE is below shared-bottom's at correlation {lo}"
                   + within, paper="MMoE better",
                   what="MSE(shared-bottom) - MSE(MMoE)"),
        ]
    if {"mmoe", "ple"} <= set(labels):
        for p, runs in task_runs.items():
            per_task = [decide([a[t] - b[t] for a, b in zip(runs["mmoe"], runs["ple"],
                                                            strict=True)],
                               kind=kind, claim=f"task {t + 1}", margin=config.margin,
                               what=f"task {t + 1}: MSE(MMoE) - MSE(PLE), paired by repeat")
                        for t in range(2)]
            verdicts.append(both_tasks(per_task, pre + f"PLE's test MSE is below MMoE's on "
                                       f"both tasks at correlation {p}" + within))
    if kind == "sanity":
        # a broken model never learns; one run stuck at a poor minimum (seen for
        # shared-bottom on the seed-1 data at p = 1.0) is an optimisation outcome, counted
        # in ``stuck_runs``, not a defect
        worst = max(max(v["best_repeat_mse_over_label_variance"].values())
                    for v in per_p.values())
        verdicts.append(Verdict(
            claim="[smoke sanity] every model learns every setting",
            ours=round(worst, 4), paper=None,
            tolerance="for every model and p, the best repeat's mean test MSE over the tasks "
            "/ label variance < 0.9 (runs above 0.9 are counted in stuck_runs)",
            passed=worst < 0.9, kind="sanity"))
    if ctx.out_dir is not None:
        from reproductions import plots

        plots.curves(ctx, "mmoe_train_loss", curves, xlabel="step / 50",
                     ylabel="mean training MSE", title="training loss (first repeat)", logy=True)
        plots.grouped_bars(ctx, "mmoe_test_mse",
                           {f"p={p}": {label: v[f"{label}_mse"] for label in labels}
                            for p, v in per_p.items()},
                           title="test MSE by task correlation", ylabel="MSE")
    n_params = {label: sum(q.numel() for q in FACTORIES[label](config.d).parameters())
                for label in labels}
    return Result(metrics={"by_correlation": per_p, "repeats": config.repeats,
                           "steps": config.steps, "parameters": n_params}, verdicts=verdicts,
                  notes=["generator constants d=100, m=10, c=1, alpha/beta ~ N(0,1): our reading "
                         "(the PLE paper chose the same c, m and N(0,1), with d=512)"])
