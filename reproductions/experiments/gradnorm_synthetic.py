"""GradNorm on the synthetic tanh regression tasks (Chen et al., arXiv 1711.02257, sec. 4).

T regression tasks f_i(x) = sigma_i tanh((B + eps_i) x), inputs of dimension 250 and outputs
of dimension 100; B and eps_i constant matrices with entries IID N(0, 10) and N(0, 3.5)
(standard deviations 10 and 3.5); the squared loss; a 4-layer fully-connected ReLU trunk of
100 units and one affine head per task; GradNorm with alpha = 0.12 at the trunk's last layer;
Adam with lr 1e-4 for the network and the weights; weights renormalised to sum to T.

Choices the paper does not fix (or that we could not retrieve, so they are ours): inputs are
drawn uniformly in [-1, 1]^250 and scaled to unit norm (as in the public re-implementations),
a fixed training set with minibatches of 100, losses measured on a held-out set. For T = 2 the
scales are the paper's (1, 100); for T = 10 we could not retrieve the paper's sigma_i, so they
are spread log-uniformly from 1 to 100 (sigma_i = 100^(i/9)); the claims checked depend only on
their order.

Claims, each decided over ``n_seeds`` seeds (a seed draws its own B, eps_i, inputs and
initialisation; GradNorm and equal weighting of a seed share them) by the paired t-interval of
:func:`reproductions.stats.decide`: (1) the learned weights order inversely to sigma_i -- for
T = 2 the log weight ratio log(w_1 / w_2) (sigma 1 vs 100) is above 0; for T = 10 Spearman's
rho between w_i and sigma_i is below ``rho_t10`` (-0.9); (2) the spread of the tasks' loss
ratios L_i(t) / L_i(0) -- the standard deviation across tasks of log(L_i(t) / L_i(0)),
averaged over the last 20% of training -- is smaller under GradNorm than under equal weighting
(the paired difference GradNorm - equal is below 0).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from reproductions.experiments.common import adam
from reproductions.methods import make_method
from reproductions.runner import RunContext
from reproductions.spec import ExperimentConfig, Result, Verdict
from reproductions.stats import decide

D_IN, D_OUT, HIDDEN = 250, 100, 100


class Config(ExperimentConfig):
    # smoke: 10x the learning rate for 1/16 of the steps (300 or 400 steps left the T=2
    # spread claim inconclusive on every seed tried, which 600 pass: benchmarks/README.md)
    SMOKE: ClassVar[dict[str, Any]] = {"steps": 600, "n_train": 2000, "lr": 1e-3,
                                       "rho_t10": -0.9, "eval_every": 30, "n_seeds": 3}

    task_counts: list[int] = [2, 10]
    steps: int = 10_000
    batch_size: int = 100
    n_train: int = 10_000
    n_eval: int = 1_000
    lr: float = 1e-4
    alpha: float = 0.12
    eval_every: int = 100
    rho_t10: float = -0.9  # Spearman rho between weights and sigma needed for T = 10
    n_seeds: int = 3  # seeds config.seed, config.seed + 1, ...


def sigmas_for(T: int) -> list[float]:
    if T == 2:
        return [1.0, 100.0]
    return [float(100 ** (i / (T - 1))) for i in range(T)]


class TrunkNet(nn.Module):
    def __init__(self, T: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = D_IN
        for _ in range(4):
            layers += [nn.Linear(d, HIDDEN), nn.ReLU()]
            d = HIDDEN
        self.trunk = nn.Sequential(*layers)
        self.heads = nn.ModuleList(nn.Linear(HIDDEN, D_OUT) for _ in range(T))

    def last_shared(self) -> list[torch.Tensor]:
        return [self.trunk[-2].weight]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        z = self.trunk(x)
        return [h(z) for h in self.heads]


def make_data(T: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Inputs (n, 250) and targets (T, n, 100) for the T tasks (deterministic in ``seed``)."""
    g = torch.Generator().manual_seed(seed)
    B = torch.randn(D_OUT, D_IN, generator=g) * 10.0
    eps = torch.randn(T, D_OUT, D_IN, generator=g) * 3.5
    x = torch.rand(n, D_IN, generator=g) * 2 - 1
    x = x / x.norm(dim=-1, keepdim=True)
    sig = sigmas_for(T)
    y = torch.stack([s * torch.tanh(x @ (B + e).T) for s, e in zip(sig, eps, strict=True)])
    return x, y, sig


def spearman(a: list[float], b: list[float]) -> float:
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def train(method_name: str, T: int, config: Config, device: torch.device, bar: Any,
          seed: int | None = None) -> dict:
    seed = config.seed if seed is None else seed
    x, y, sig = make_data(T, config.n_train + config.n_eval, seed)
    x, y = x.to(device), y.to(device)
    xt, yt = x[: config.n_train], y[:, : config.n_train]
    xe, ye = x[config.n_train:], y[:, config.n_train:]
    torch.manual_seed(seed)  # the same initial network for both methods
    net = TrunkNet(T).to(device)
    hp = {"alpha": config.alpha} if method_name == "gradnorm" else {}
    method = make_method(method_name, T, **hp)
    opt = adam([*net.parameters(), *method.parameters()], lr=config.lr)
    shared = list(net.trunk.parameters())
    order = torch.Generator().manual_seed(seed + 1)
    ratios: list[list[float]] = []
    weights: list[list[float]] = []
    eval_steps: list[int] = []
    initial: torch.Tensor | None = None

    def evaluate() -> torch.Tensor:
        with torch.no_grad():
            outs = net(xe)
            return torch.stack([((o - ye[i]) ** 2).mean() for i, o in enumerate(outs)])

    perm = torch.randperm(config.n_train, generator=order)
    pos = 0
    for step in range(config.steps + 1):
        if step % config.eval_every == 0 or step == config.steps:
            ev = evaluate()
            if initial is None:
                initial = ev
            ratios.append((ev / initial).cpu().tolist())
            eval_steps.append(step)
            w = method.last_weights
            weights.append(w.cpu().tolist() if w is not None else [1.0] * T)
        if step == config.steps:
            break
        if pos + config.batch_size > config.n_train:
            perm = torch.randperm(config.n_train, generator=order)
            pos = 0
        idx = perm[pos:pos + config.batch_size].to(device)
        pos += config.batch_size
        outs = net(xt[idx])
        losses = torch.stack([((o - yt[i, idx]) ** 2).mean() for i, o in enumerate(outs)])
        opt.zero_grad(set_to_none=True)
        method.backward(losses, shared, last_shared_params=net.last_shared())
        opt.step()
        bar.advance(1, loss=float(losses.detach().sum()) if step % 50 == 0 else None)
    if method_name == "gradnorm":  # the weights the next step would use: renormalised
        final_w = method.weights(losses.detach()).cpu().tolist()
    else:
        final_w = [1.0] * T
    r = np.asarray(ratios)
    tail = r[int(len(r) * 0.8):]
    spread = float(np.log(np.clip(tail, 1e-12, None)).std(axis=1).mean())
    return {"sigmas": sig, "final_weights": final_w, "loss_ratio_final": r[-1].tolist(),
            "spread": spread, "ratios": r.tolist(), "weights": weights, "steps": eval_steps}


def run(config: Config, device: torch.device, ctx: RunContext | None = None) -> Result:
    ctx = ctx or RunContext()
    metrics: dict[str, Any] = {"alpha": config.alpha, "steps": config.steps,
                               "seeds": [config.seed + r for r in range(config.n_seeds)]}
    verdicts: list[Verdict] = []
    kind = "paper" if config.scale == "full" else "sanity"
    pre = "" if kind == "paper" else "[smoke sanity] "
    curves: dict[int, dict[str, dict]] = {}
    for T in config.task_counts:
        runs: list[dict[str, dict]] = []
        for r in range(config.n_seeds):
            per: dict[str, dict] = {}
            for name in ("gradnorm", "ls"):
                with ctx.progress.task(f"gradnorm T={T} s{config.seed + r}: {name}",
                                       config.steps) as bar:
                    per[name] = train(name, T, config, device, bar, seed=config.seed + r)
            runs.append(per)
        curves[T] = runs[0]
        rhos = [spearman(p["gradnorm"]["final_weights"], p["gradnorm"]["sigmas"]) for p in runs]
        spreads = [(p["gradnorm"]["spread"], p["ls"]["spread"]) for p in runs]
        gn = runs[0]["gradnorm"]
        metrics[f"T{T}"] = {
            "sigmas": [round(s, 3) for s in gn["sigmas"]],
            "gradnorm_weights_per_seed": [[round(w, 4) for w in p["gradnorm"]["final_weights"]]
                                          for p in runs],
            "spearman_weights_vs_sigma_per_seed": [round(v, 4) for v in rhos],
            "gradnorm_loss_ratio_spread_per_seed": [round(g, 4) for g, _ in spreads],
            "equal_loss_ratio_spread_per_seed": [round(e, 4) for _, e in spreads],
            "gradnorm_loss_ratio_spread": round(float(np.mean([g for g, _ in spreads])), 4),
            "equal_loss_ratio_spread": round(float(np.mean([e for _, e in spreads])), 4),
        }
        if T == 2:
            verdicts.append(decide(
                [float(np.log(p["gradnorm"]["final_weights"][0]
                              / p["gradnorm"]["final_weights"][1])) for p in runs],
                direction="greater", margin=0.0, kind=kind, digits=3, paper="inverse order",
                what="log(w_1 / w_2), sigma_1 = 1 < sigma_2 = 100",
                claim=pre + "T=2: GradNorm's learned weights order inversely to sigma_i"))
        else:
            verdicts.append(decide(
                rhos, direction="less", margin=config.rho_t10, kind=kind, digits=3,
                paper="inverse order", what="Spearman rho(w, sigma)",
                claim=pre + f"T={T}: GradNorm's learned weights order inversely to sigma_i"))
        verdicts.append(decide(
            [g - e for g, e in spreads], direction="less", margin=0.0, kind=kind, digits=4,
            paper="smaller", what="spread(GradNorm) - spread(equal), std over tasks of the "
            "log loss ratio over the last 20% of training, paired by seed",
            claim=pre + f"T={T}: the spread of the loss ratios L_i(t)/L_i(0) is smaller under "
            "GradNorm than under equal weighting"))
    _plots(ctx, curves)
    return Result(metrics=metrics, verdicts=verdicts, notes=[
        "T=10 sigmas are log-uniform in [1, 100] (the paper's values not retrieved)",
        "inputs uniform in [-1, 1]^250 scaled to unit norm (not fixed by the paper)",
    ])


def _plots(ctx: RunContext, curves: dict[int, dict[str, dict]]) -> None:
    if ctx.out_dir is None:
        return
    from reproductions import plots

    for T, per in curves.items():
        gn, eq = per["gradnorm"], per["ls"]
        steps = gn["steps"]
        w = np.asarray(gn["weights"])
        plots.curves(ctx, f"gradnorm_T{T}_weights",
                     {f"w (sigma={s:.3g})": w[:, i].tolist() for i, s in enumerate(gn["sigmas"])},
                     x=steps, title=f"GradNorm weights, T={T}", ylabel="w_i")
        series = {}
        for label, res in (("GradNorm", gn), ("equal", eq)):
            r = np.asarray(res["ratios"])
            for i, s in enumerate(res["sigmas"]):
                if T <= 2 or i in (0, T - 1):
                    series[f"{label} sigma={s:.3g}"] = r[:, i].tolist()
        plots.curves(ctx, f"gradnorm_T{T}_loss_ratios", series, x=steps, logy=True,
                     title=f"loss ratios L_i(t)/L_i(0), T={T}", ylabel="ratio")
