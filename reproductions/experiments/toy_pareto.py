"""Two-objective toy shared by CAGrad (2110.14048), Nash-MTL (2202.01017) and FAMO (2306.03792).

The function is ported exactly from the authors' code (Cranial-XIX/CAGrad ``toy.py``;
AvivNavon/nash-mtl and Cranial-XIX/FAMO ``experiments/toy/problem.py``, whose ``scale``
multiplies f1). ``torch.clamp`` passes gradient at its bound, which the trajectories rely on;
we call ``torch.clamp`` too. The Pareto set is x2 ~ -8.3552, x1 in [-7, 7] (exactly: x2 runs
from -8.3552 at x1 = 0 to -8.4345 at x1 = +-7; :func:`pareto_set` computes it); the minimum of
the average loss is (0, -8.3552) where f1 = f2 = -15.092. "Reached the front" is a distance to
that set, never an exact landing point.

Setups:

* ``cagrad`` -- CAGrad's: f1 unscaled; starts (-8.5, 7.5), (-8.5, -5), (9, 9); Adam lr 1e-3,
  100k steps. Paper: CAGrad (c = 0.5) converges to the average-loss optimum from every start;
  Adam on the average loss stalls from at least one.
* ``nashmtl`` -- Nash-MTL's and FAMO's: f1 scaled by 0.1; starts (-8.5, 7.5), (0, 0), (9, 9),
  (-7.5, -0.5), (9, -1); 35k steps (Nash-MTL's default; FAMO's script uses 50k). Papers:
  Nash-MTL and FAMO (gamma = 0) reach the Pareto front from all five starts; linear
  scalarisation does not from (9, 9).

All starts of all methods of a setup run as one batch (each method aggregates its own rows
through ``Method.aggregate``; the Adam step is elementwise, so this equals separate runs).
Where a method returns a non-finite direction that point makes no move that step; the count
is reported per start as ``nonfinite_direction_steps`` (0 everywhere since Nash-MTL and CAGrad
stay finite where the two gradients cancel).

The two comparative smoke checks are decided over ``replicas`` copies of the starts (the toy
is deterministic: nearby starts are its seeds) by :func:`reproductions.stats.decide`.

At smoke scale the run is the first part of the full run: the same learning rate and starts,
6k of the 100k steps (CAGrad's setup) and 14k of the 35k (Nash-MTL's), and only equal weighting /
CAGrad and LS / Nash-MTL / FAMO. Its trajectories are prefixes of the full ones, so its
sanity verdicts check the claims' trends where the full run already shows them, each with a wide
margin (CAGrad is nearer the optimum than Adam from its worst start; Adam is away from the front
from a start; Nash-MTL and FAMO have moved every start at least halfway to the front; FAMO is
nearer the front than LS from (9, 9); LS misses it from (9, 9)). A larger learning rate for
fewer steps is not a miniature: Adam's momentum then overshoots the plateaus it stalls on at
full scale, and where it ends flips with the last bits of float32 rounding, i.e. with the CPU.
``start_jitter`` moves every start by a seeded uniform offset; the tests use it to show that the
smoke verdicts hold for nearby starts, so they cannot hang on rounding.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import numpy as np
import torch

from reproductions.methods import make_method
from reproductions.runner import RunContext
from reproductions.spec import ExperimentConfig, Result, Verdict
from reproductions.stats import decide

LOWER = 0.000005  # the authors' clamp floor
PARETO_X2 = -8.3552
PARETO_X1 = (-7.0, 7.0)
OPTIMUM = (0.0, PARETO_X2)
OPTIMUM_LOSS = -15.092

SETUPS: dict[str, dict[str, Any]] = {
    "cagrad": {
        "scale": 1.0,
        "starts": [(-8.5, 7.5), (-8.5, -5.0), (9.0, 9.0)],
        # label -> (method id, hyperparameters)
        "methods": {
            "equal": ("ls", {}),
            "mgda": ("mgda", {}),
            "pcgrad": ("pcgrad", {}),
            # the authors' toy.py divides CAGrad's direction by 1 + c (rescale=2) and puts
            # 1e-4 under the norms and in lambda's divisor (eps)
            "cagrad": ("cagrad", {"c": 0.5, "rescale": 2, "eps": 1e-4}),
        },
    },
    "nashmtl": {
        "scale": 0.1,
        "starts": [(-8.5, 7.5), (0.0, 0.0), (9.0, 9.0), (-7.5, -0.5), (9.0, -1.0)],
        "methods": {
            "ls": ("ls", {}),
            "mgda": ("mgda", {}),
            "pcgrad": ("pcgrad", {}),
            "cagrad": ("cagrad", {"c": 0.4}),
            "nashmtl": ("nashmtl", {"max_norm": 1.0}),  # the authors' training loop clips at 1
            # FAMO's toy: gamma = 0, logits lr 0.025, known minima (-21 * scale, -21).
            # (max_norm 0: the authors' toy never clips FAMO's update)
            "famo": ("famo", {"gamma": 0.0, "beta": 0.025, "min_losses": [-21.0 * 0.1, -21.0],
                              "max_norm": 0.0}),
        },
    },
}
# Every method label of both setups: what a sweep runs when no --methods are named.
METHOD_LABELS = sorted({label for setup in SETUPS.values() for label in setup["methods"]})


class Config(ExperimentConfig):
    # smoke: the first 6% / 40% of the full run (same lr and starts), only the methods the
    # sanity checks need (MGDA, PCGrad and CAGrad on the second setup run at full scale)
    SMOKE: ClassVar[dict[str, Any]] = {
        "steps_cagrad": 6_000,
        "steps_nashmtl": 14_000,
        "methods": ["equal", "cagrad", "ls", "nashmtl", "famo"],
        "replicas": 3,
    }

    steps_cagrad: int = 100_000
    steps_nashmtl: int = 35_000
    lr: float = 1e-3
    front_tol: float = 0.02  # distance to the Pareto set that counts as "reached the front"
    optimum_tol: float = 0.01  # CAGrad's "(0.00 +- 0.01, -8.355)"
    record_every: int = 0  # trajectory sampling; 0 = about 500 points per run
    dtype: str = "float32"  # the authors' tensors are float32
    methods: list[str] | None = None  # method labels to run (None: all of both setups)
    start_jitter: float = 0.0  # each start moved by U(-j, j) per coordinate, seeded (robustness)
    # comparative claims are decided over ``replicas`` copies of the starts: the first as
    # configured, each other moved by U(-replica_jitter, replica_jitter), seeded (the toy has
    # no other randomness, so nearby starts are its seeds)
    replicas: int = 1
    replica_jitter: float = 0.05


# The papers' numbers per method label, for a sweep's results table (the claims above).
PAPER_TABLE: dict[str, dict[str, float | str]] = {
    "cagrad": {"cagrad.n_reached": 3},  # the CAGrad paper: converges from all 3 starts
    "nashmtl": {"nashmtl.n_reached": 5},  # the Nash-MTL paper: the front from all 5
    "famo": {"nashmtl.n_reached": 5},  # the FAMO paper: the front from all 5
}


def sweep_metrics(metrics: dict[str, Any], label: str) -> dict[str, float]:
    """A one-method run's numbers for a sweep's results table, per setup it ran in."""
    out: dict[str, float] = {}
    for setup in SETUPS:
        m = metrics.get(setup, {}).get(label)
        if isinstance(m, dict):
            out[f"{setup}.n_reached"] = float(m["n_reached"])
            out[f"{setup}.worst_distance_to_front"] = max(m["distance_to_front"])
    return out


def toy_losses(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """The authors' ``batch_forward``: ``x`` (..., 2) -> losses (..., 2)."""
    x1 = x[..., 0]
    x2 = x[..., 1]
    f1 = torch.clamp((0.5 * (-x1 - 7) - torch.tanh(-x2)).abs(), LOWER).log() + 6
    f2 = torch.clamp((0.5 * (-x1 + 3) + torch.tanh(-x2) + 2).abs(), LOWER).log() + 6
    c1 = torch.clamp(torch.tanh(x2 * 0.5), 0)
    f1_sq = ((-x1 + 7).pow(2) + 0.1 * (-x2 - 8).pow(2)) / 10 - 20
    f2_sq = ((-x1 - 7).pow(2) + 0.1 * (-x2 - 8).pow(2)) / 10 - 20
    c2 = torch.clamp(torch.tanh(-x2 * 0.5), 0)
    f1 = f1 * c1 + f1_sq * c2
    f1 = f1 * scale
    f2 = f2 * c1 + f2_sq * c2
    return torch.stack([f1, f2], dim=-1)


def losses_and_grads(x: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Losses (B, 2) and per-task gradients G (B, 2, 2) at a batch of points x (B, 2).

    The gradient is written out by hand (5x faster than batched autograd on a CPU) with
    autograd's conventions: ``clamp`` passes gradient at its bound (``>=``), ``abs`` has
    gradient ``sign`` (0 at 0). ``tests/reproductions/test_exp_toy_pareto.py`` checks it
    against autograd, at (0, 0) too.
    """
    x = x.detach()
    u, v = x[..., 0], x[..., 1]
    t = torch.tanh(v)
    s = 1 - t * t
    th = torch.tanh(0.5 * v)
    dth = 0.5 * (1 - th * th)
    A = -0.5 * u - 3.5 + t  # 0.5 * (-x1 - 7) - tanh(-x2)
    B = -0.5 * u + 3.5 - t  # 0.5 * (-x1 + 3) + tanh(-x2) + 2
    aA, aB = A.abs(), B.abs()
    lA = torch.clamp(aA, LOWER).log() + 6
    lB = torch.clamp(aB, LOWER).log() + 6
    # d/dA log(clamp(|A|, LOWER)) = [|A| >= LOWER] * sign(A) / clamp(|A|, LOWER)
    gA = (aA >= LOWER).to(x.dtype) * torch.sign(A) / torch.clamp(aA, LOWER)
    gB = (aB >= LOWER).to(x.dtype) * torch.sign(B) / torch.clamp(aB, LOWER)
    c1 = torch.clamp(th, 0)
    c2 = torch.clamp(-th, 0)
    dc1 = (th >= 0).to(x.dtype) * dth
    dc2 = -(-th >= 0).to(x.dtype) * dth
    q = 0.1 * (-v - 8).pow(2)
    Q1 = ((-u + 7).pow(2) + q) / 10 - 20
    Q2 = ((-u - 7).pow(2) + q) / 10 - 20
    dQv = 0.02 * (v + 8)
    f1 = (lA * c1 + Q1 * c2) * scale
    f2 = lB * c1 + Q2 * c2
    g1u = (gA * -0.5 * c1 + (u - 7) / 5 * c2) * scale
    g1v = (gA * s * c1 + lA * dc1 + dQv * c2 + Q1 * dc2) * scale
    g2u = gB * -0.5 * c1 + (u + 7) / 5 * c2
    g2v = -gB * s * c1 + lB * dc1 + dQv * c2 + Q2 * dc2
    f = torch.stack([f1, f2], dim=-1)
    G = torch.stack([torch.stack([g1u, g1v], -1), torch.stack([g2u, g2v], -1)], dim=-2)
    return f, G


def losses_and_grads_autograd(x: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The same by autograd through :func:`toy_losses` (the reference for the test)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        f = toy_losses(x, scale)
        rows = [torch.autograd.grad(f[..., t].sum(), x, retain_graph=True)[0]
                for t in range(f.shape[-1])]
    return f.detach(), torch.stack(rows, dim=-2)


@functools.lru_cache(maxsize=1)
def pareto_set(n: int = 1001) -> np.ndarray:
    """The Pareto set, (n, 2): minimisers of a f1 + (1 - a) f2 for a in [0, 1] (L-BFGS, float64).

    It is not exactly the line x2 = -8.3552: x2 runs from -8.3552 at x1 = 0 to about -8.4345
    at x1 = +-7 (the set is the same whatever the scale of f1).
    """
    a = torch.linspace(0, 1, n, dtype=torch.float64)
    x = torch.tensor([OPTIMUM], dtype=torch.float64).repeat(n, 1).requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=500, tolerance_grad=1e-12,
                            tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        f = toy_losses(x, 1.0)
        loss = (a * f[:, 0] + (1 - a) * f[:, 1]).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        for _ in range(5):
            opt.step(closure)
    return x.detach().numpy()


def distance_to_front(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """Euclidean distance from each point (..., 2) to the Pareto set."""
    pts = np.asarray(x, dtype=np.float64)
    front = pareto_set()
    d = np.linalg.norm(pts[..., None, :] - front, axis=-1)
    return d.min(-1)


def on_front(x: np.ndarray | torch.Tensor, tol: float) -> np.ndarray:
    """Whether each point lies within ``tol`` of the Pareto set."""
    return distance_to_front(x) <= tol


def optimise_all(
    methods: dict[str, tuple[str, dict[str, Any]]],
    starts: list[tuple[float, float]],
    scale: float,
    steps: int,
    lr: float,
    device: torch.device,
    dtype: torch.dtype,
    seed: int,
    record_every: int,
    bar: Any = None,
) -> dict[str, dict[str, Any]]:
    """Run every method from every start in one batch of M x B points.

    Losses, gradients and the Adam step (elementwise, so the same as one optimizer per run)
    are computed once per step for the whole batch; each method aggregates its own B rows.
    Returns, per method label, the trajectories and the final points.
    """
    B = len(starts)
    labels = list(methods)
    built = {label: _build(name, hp, seed) for label, (name, hp) in methods.items()}
    x = torch.tensor(starts, dtype=dtype, device=device).repeat(len(labels), 1)
    x.requires_grad_(True)
    groups: list[dict[str, Any]] = [{"params": [x], "lr": lr}]
    own = [p for m in built.values() for p in m.parameters()]
    if own:
        groups.append({"params": own})
    opt = torch.optim.Adam(groups, lr=lr)
    every = record_every or max(1, steps // 500)
    traj = [x.detach().cpu().numpy().copy()]
    losses_t: list[np.ndarray] = []
    slices = [slice(i * B, (i + 1) * B) for i in range(len(labels))]
    f, G = losses_and_grads(x, scale)
    nonfinite = torch.zeros(len(labels) * B, dtype=torch.long)
    for step in range(steps):
        d = torch.cat([built[label].aggregate(G[sl], f[sl])[0]
                       for label, sl in zip(labels, slices, strict=True)])
        bad = ~torch.isfinite(d).all(-1)
        if bool(bad.any()):
            # A method that returns NaN/inf (e.g. at a Pareto-stationary point, where the
            # gradients are opposed) makes no move there this step; counted in the metrics.
            nonfinite += bad.cpu().long()
            d = torch.where(bad.unsqueeze(-1), torch.zeros_like(d), d)
        opt.zero_grad(set_to_none=True)
        x.grad = d.detach().to(x.dtype)
        opt.step()
        f, G = losses_and_grads(x, scale)
        for label, sl in zip(labels, slices, strict=True):
            if built[label].needs_after_step:
                built[label].after_step(f[sl])
        if (step + 1) % every == 0 or step + 1 == steps:
            traj.append(x.detach().cpu().numpy().copy())
            losses_t.append(f.mean(-1).cpu().numpy().copy())
        if bar is not None:
            bar.advance(1, loss=float(f.mean()) if (step % 200 == 0) else None)
    final = x.detach()
    final_f = toy_losses(final, scale).cpu().numpy()
    traj_a = np.stack(traj, axis=1)  # (M*B, n, 2)
    loss_a = np.stack(losses_t, axis=1) if losses_t else np.zeros((len(labels) * B, 0))
    return {
        label: {
            "traj": traj_a[sl],
            "avg_loss": loss_a[sl],
            "final": final[sl].cpu().numpy(),
            "final_f": final_f[sl],
            "nonfinite_steps": nonfinite[sl].tolist(),
        }
        for label, sl in zip(labels, slices, strict=True)
    }


def jittered(starts: list[tuple[float, float]], jitter: float,
             seed: int) -> list[tuple[float, float]]:
    """The starts, each coordinate moved by a seeded U(-jitter, jitter) (unchanged at 0)."""
    if jitter == 0:
        return list(starts)
    g = np.random.default_rng(seed)
    moved = np.asarray(starts, dtype=np.float64) + g.uniform(-jitter, jitter, (len(starts), 2))
    return [(float(a), float(b)) for a, b in moved]


def _build(name: str, hp: dict[str, Any], seed: int) -> Any:
    from reproductions.methods import METHODS

    cls = METHODS[name]
    kwargs = dict(hp)
    if getattr(cls, "stochastic", False):
        kwargs.setdefault("seed", seed)
    return make_method(name, 2, **kwargs)


def run(config: Config, device: torch.device, ctx: RunContext | None = None) -> Result:
    return _run(config, device, ctx or RunContext())


def _run(config: Config, device: torch.device, ctx: RunContext) -> Result:
    dtype = getattr(torch, config.dtype)
    metrics: dict[str, Any] = {"pareto_x2": PARETO_X2, "optimum": list(OPTIMUM)}
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for setup_name, setup in SETUPS.items():
        steps = config.steps_cagrad if setup_name == "cagrad" else config.steps_nashmtl
        runs[setup_name] = {}
        setup_metrics: dict[str, Any] = {"scale_f1": setup["scale"], "steps": steps,
                                         "starts": [list(s) for s in setup["starts"]]}
        chosen = {label: spec for label, spec in setup["methods"].items()
                  if config.methods is None or label in config.methods}
        starts = jittered(setup["starts"], config.start_jitter, config.seed)
        setup_metrics["starts"] = [list(s) for s in starts]
        n_starts = len(starts)
        batch = list(starts)
        for r in range(1, config.replicas):
            batch += jittered(starts, config.replica_jitter, config.seed * 1000 + r)
        if chosen:
            with ctx.progress.task(f"toy {setup_name} setup: {', '.join(chosen)}", steps) as bar:
                outs = optimise_all(chosen, batch, setup["scale"], steps, config.lr,
                                    device, dtype, config.seed, config.record_every, bar)
        else:
            outs = {}
        if config.replicas > 1:
            setup_metrics["replica_distance_to_front"] = {
                label: [[round(float(v), 5) for v in distance_to_front(
                    out["final"][r * n_starts:(r + 1) * n_starts])]
                    for r in range(config.replicas)] for label, out in outs.items()}
            setup_metrics["replica_final_x"] = {
                label: [[[round(float(v), 5) for v in p] for p in
                         out["final"][r * n_starts:(r + 1) * n_starts]]
                        for r in range(config.replicas)] for label, out in outs.items()}
        # the configured starts (the first replica) are what the other metrics and plots show
        outs = {label: {k: v[:n_starts] for k, v in out.items()}
                for label, out in outs.items()}
        for label, out in outs.items():
            runs[setup_name][label] = out
            dist = distance_to_front(out["final"])
            reached = [bool(v) for v in dist <= config.front_tol]
            setup_metrics[label] = {
                "final_x": [[round(float(v), 5) for v in p] for p in out["final"]],
                "final_f": [[round(float(v), 5) for v in p] for p in out["final_f"]],
                "reached_front": reached,
                "n_reached": int(sum(reached)),
                "distance_to_front": [round(float(v), 5) for v in dist],
                "nonfinite_direction_steps": out["nonfinite_steps"],
            }
        metrics[setup_name] = setup_metrics
    verdicts = _verdicts(config, metrics)
    _plots(ctx, runs, config)
    ctx.write_json("trajectories.json", {
        s: {m: {"final": o["final"].tolist(), "traj": o["traj"][:, ::5].round(4).tolist()}
            for m, o in r.items()} for s, r in runs.items()
    })
    notes = [
        "reached the front: Euclidean distance to the Pareto set (computed by L-BFGS on the "
        "weighted sums) <= front_tol",
    ]
    if config.scale == "smoke":
        notes.append("smoke: the first 6k of 100k (CAGrad setup) and 14k of 35k (Nash-MTL "
                     "setup) steps of the full run; sanity checks of the trends only")
    return Result(metrics=metrics, verdicts=verdicts, notes=notes)


def _verdicts(config: Config, m: dict[str, Any]) -> list[Verdict]:
    if config.scale == "full":
        return _paper_verdicts(config, m)
    return _sanity_verdicts(config, m)


def _dist_to_optimum(points: list[list[float]]) -> list[float]:
    return [math.dist(p, OPTIMUM) for p in points]


def _paper_verdicts(config: Config, m: dict[str, Any]) -> list[Verdict]:
    out: list[Verdict] = []
    ca, nm = m["cagrad"], m["nashmtl"]
    if "cagrad" in ca:
        xs = ca["cagrad"]["final_x"]
        worst = max(max(abs(p[0] - OPTIMUM[0]), abs(p[1] - OPTIMUM[1])) for p in xs)
        out.append(Verdict(
            claim="CAGrad (c=0.5) converges to the average-loss optimum (0, -8.3552) from all 3 "
            "starts", ours=round(worst, 4), paper="(0.00 +- 0.01, -8.355)",
            tolerance=f"max over starts of max(|x1|, |x2 + 8.3552|) <= {config.optimum_tol}",
            passed=worst <= config.optimum_tol))
    if "equal" in ca:
        n_eq = ca["equal"]["n_reached"]
        out.append(Verdict(
            claim="Adam on the average loss stalls away from the Pareto front from at least one "
            "of the 3 starts", ours=f"reached from {n_eq}/3", paper="stalls from >= 1 start",
            tolerance=f"distance to the Pareto set <= {config.front_tol} counts as reached",
            passed=n_eq < 3))
    for label, name in (("nashmtl", "Nash-MTL"), ("famo", "FAMO (gamma=0)")):
        if label in nm:
            n = nm[label]["n_reached"]
            out.append(Verdict(
                claim=f"{name} reaches the Pareto front from all 5 starts (f1 scaled by 0.1)",
                ours=f"reached from {n}/5", paper="5/5",
                tolerance=f"distance to the Pareto set <= {config.front_tol}", passed=n == 5))
    if "ls" in nm:
        ls_99 = nm["ls"]["reached_front"][2]
        out.append(Verdict(
            claim="linear scalarisation does not reach the Pareto front from (9, 9)",
            ours=f"reached: {ls_99}; ends at {nm['ls']['final_x'][2]}", paper="not reached",
            tolerance=f"distance to the Pareto set <= {config.front_tol} counts as reached",
            passed=not ls_99))
    return out


def _sanity_verdicts(config: Config, m: dict[str, Any]) -> list[Verdict]:
    """Smoke scale (the first part of the full run): the trends of the claims."""
    pre = "[smoke sanity] "
    out: list[Verdict] = []
    ca, nm = m["cagrad"], m["nashmtl"]
    if "cagrad" in ca and "equal" in ca:
        xs_ca = ca.get("replica_final_x", {}).get("cagrad", [ca["cagrad"]["final_x"]])
        xs_eq = ca.get("replica_final_x", {}).get("equal", [ca["equal"]["final_x"]])
        out.append(decide(
            [max(_dist_to_optimum(e)) - max(_dist_to_optimum(c))
             for c, e in zip(xs_ca, xs_eq, strict=True)],
            direction="greater", margin=0.0, kind="sanity", digits=3,
            paper="CAGrad converges; Adam stalls",
            what="worst-start distance to (0, -8.3552), Adam - CAGrad, paired by replica of "
                 "the starts",
            claim=pre + f"after {ca['steps']:,} steps, from its worst start CAGrad is nearer the "
            "average-loss optimum than equal-weight Adam"))
        n_eq = ca["equal"]["n_reached"]
        out.append(Verdict(
            claim=pre + "equal-weight Adam is away from the Pareto front from at least one start",
            ours=f"reached from {n_eq}/3", paper="stalls from >= 1 start",
            tolerance=f"distance to the Pareto set <= {config.front_tol} counts as reached",
            passed=n_eq < 3, kind="sanity"))
    start = distance_to_front(np.asarray(m["nashmtl"]["starts"]))
    for label, name in (("nashmtl", "Nash-MTL"), ("famo", "FAMO")):
        if label in nm:
            left = np.asarray(nm[label]["distance_to_front"]) / start
            out.append(Verdict(
                claim=pre + f"after {nm['steps']:,} steps {name} has moved every start at least "
                "halfway to the Pareto front", ours=f"largest remaining fraction {left.max():.3f}",
                paper="5/5 reach the front",
                tolerance="distance to the front <= 0.5 x the starting distance, every start",
                passed=bool(left.max() <= 0.5), kind="sanity"))
    if "famo" in nm and "ls" in nm:
        rep = nm.get("replica_distance_to_front", {})
        d_f = rep.get("famo", [nm["famo"]["distance_to_front"]])
        d_l = rep.get("ls", [nm["ls"]["distance_to_front"]])
        out.append(decide(
            [lo[2] - fa[2] for fa, lo in zip(d_f, d_l, strict=True)], direction="greater",
            margin=0.0, kind="sanity", digits=3, paper="FAMO reaches it, LS does not",
            what="distance to the Pareto set from (9, 9), LS - FAMO, paired by replica of the "
                 "starts",
            claim=pre + "from (9, 9) FAMO ends nearer the Pareto front than linear "
                        "scalarisation"))
    if "ls" in nm:
        ls_99 = nm["ls"]["reached_front"][2]
        out.append(Verdict(
            claim=pre + "linear scalarisation does not reach the Pareto front from (9, 9)",
            ours=f"reached: {ls_99}; ends at {nm['ls']['final_x'][2]}", paper="not reached",
            tolerance=f"distance to the Pareto set <= {config.front_tol} counts as reached",
            passed=not ls_99, kind="sanity"))
    return out


def _plots(ctx: RunContext, runs: dict[str, dict[str, dict[str, Any]]], config: Config) -> None:
    if ctx.out_dir is None:
        return
    import matplotlib.pyplot as plt

    from reproductions import plots

    n = 200
    grid = np.linspace(-10, 10, n)
    X, Y = np.meshgrid(grid, grid)
    pts = torch.from_numpy(np.stack([X, Y], -1)).double()
    front = torch.from_numpy(pareto_set())
    for setup_name, per_method in runs.items():
        if not per_method:
            continue
        scale = SETUPS[setup_name]["scale"]
        Z = toy_losses(pts, scale).mean(-1).numpy()
        k = len(per_method)
        fig, axes = plt.subplots(1, k, figsize=(3.3 * k, 3.4), squeeze=False)
        for ax, (label, out) in zip(axes[0], per_method.items(), strict=True):
            ax.contour(X, Y, Z, levels=20, cmap="viridis", linewidths=0.7)
            ax.plot(front[:, 0], front[:, 1], color="gray", linewidth=5, alpha=0.6)
            for tr in out["traj"]:
                ax.plot(tr[:, 0], tr[:, 1], color="tab:red", linewidth=1.2)
                ax.plot(tr[0, 0], tr[0, 1], "ko", markersize=4)
                ax.plot(tr[-1, 0], tr[-1, 1], "r*", markersize=8)
            ax.set_title(label)
            ax.set_xlim(-10, 10)
            ax.set_ylim(-10, 10)
            ax.set_aspect("equal")
        fig.suptitle(f"toy ({setup_name} setup): trajectories on the average loss")
        plots.save(fig, ctx, f"toy_{setup_name}_landscape")

        F = toy_losses(front, scale).numpy()
        fig, axes = plt.subplots(1, k, figsize=(3.3 * k, 3.4), squeeze=False)
        for ax, (label, out) in zip(axes[0], per_method.items(), strict=True):
            ax.plot(F[:, 0], F[:, 1], color="gray", linewidth=4, alpha=0.6, label="Pareto front")
            for tr in out["traj"]:
                f = toy_losses(torch.from_numpy(tr).double(), scale).numpy()
                ax.plot(f[:, 0], f[:, 1], color="tab:red", linewidth=1.0)
                ax.plot(f[-1, 0], f[-1, 1], "r*", markersize=8)
            ax.set_title(label)
            ax.set_xlabel("f1")
            ax.set_ylabel("f2")
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"toy ({setup_name} setup): objective space")
        plots.save(fig, ctx, f"toy_{setup_name}_objectives")

        every = config.record_every or max(1, (config.steps_cagrad if setup_name == "cagrad"
                                               else config.steps_nashmtl) // 500)
        series = {label: out["avg_loss"].mean(0).tolist() for label, out in per_method.items()}
        xs = [every * (i + 1) for i in range(max(len(v) for v in series.values()))]
        plots.curves(ctx, f"toy_{setup_name}_curves", series, x=xs,
                     title=f"toy ({setup_name}): mean over starts of the average loss",
                     ylabel="0.5 (f1 + f2)")

