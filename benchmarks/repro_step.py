"""Time per training step of every method in ``reproductions.methods``, relative to
equal weighting in the same process, next to the same method in torchjd 0.18.

Setup: a hard-parameter-sharing MLP (ReLU trunk 512 -> 1024 -> 128, 656,512 shared
parameters) with T linear heads, a fixed batch of 256 and MSE losses, plain SGD.  One
step is forward + ``method.backward`` + ``optimizer.step`` (+ ``method.after_step`` for
FAMO: with a fixed batch, the next step's forward gives exactly the post-step losses,
so FAMO needs no extra forward here).  Gradient methods get ``representation=z`` (the
trunk output) and so compute the shared Jacobian with one batched backward pass, as
torchjd's ``mtl_backward`` does; ``mgda_ub`` aggregates the gradients w.r.t. ``z``.

torchjd counterparts, like with like:

* loss-weighting methods -> torchjd *scalarizers* (one ``backward`` of a scalar, no
  Jacobian): ``ls`` -> ``Sum``, ``rlw`` -> ``Random``, ``uw`` -> ``UW``, ``dwa`` ->
  ``DWA``, ``famo`` -> ``FAMO`` (+ ``update`` with the post-step losses; ours with
  ``max_norm=0`` as torchjd's, and ``famo+clip``: ours with the default clip at 1.0), ``imtl_l`` ->
  ``IMTLL``, ``gls`` -> ``GeometricMean``;
* gradient methods -> torchjd *aggregators* through ``mtl_backward`` + ``jac_to_grad``:
  ``mgda`` -> ``MGDA``, ``pcgrad`` -> ``PCGrad``, ``graddrop`` -> ``GradDrop``, ``imtl``
  -> ``IMTLG``, ``nashmtl`` -> ``NashMTL`` (cvxpy/ECOS, max_norm 1.0 as ours),
  ``cagrad`` -> ``CAGrad(c=0.5)`` (cvxpy/Clarabel; ours runs rescale=0, torchjd's form),
  ``upgrad`` -> ``UPGrad``, ``aligned_mtl`` -> ``AlignedMTL``, ``fairgrad`` ->
  ``FairGrad(alpha=1)`` (ours max_norm 0: torchjd does not clip), ``gradvac`` ->
  ``GradVac``, ``config`` -> ``ConFIG``.

``gradnorm``, ``mgda_ub`` and ``db_mtl`` have no torchjd counterpart ("-").  NashMTL and
CAGrad need ``torchjd[nash_mtl,cagrad]`` (cvxpy); without it their column is "-".

Every configuration is timed in rounds (all runners once per round, in turn, the order
reversed every other round); each
time is divided by equal weighting's time in the same round and the median over rounds
is reported, so slow drifts of a shared machine affect all methods alike.  By default
the clock is the process CPU time with one intra-op thread (``--clock cpu --threads
1``), which is robust on a shared machine; ``--clock wall`` measures wall-clock time.

    python benchmarks/repro_step.py            # T = 2, 5, 10; 15 rounds of 4 steps
    python benchmarks/repro_step.py --quick    # T = 2, 5; 5 rounds of 2 steps
    python benchmarks/repro_step.py --methods ls famo mgda_ub --tasks 10
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reproductions.architectures import HardSharing  # noqa: E402
from reproductions.methods import make_method  # noqa: E402

METHODS = [
    "ls",
    "uw",
    "dwa",
    "rlw",
    "famo",
    "imtl_l",
    "gls",
    "gradnorm",
    "mgda",
    "mgda_ub",
    "pcgrad",
    "graddrop",
    "cagrad",
    "imtl",
    "nashmtl",
    "upgrad",
    "aligned_mtl",
    "fairgrad",
    "gradvac",
    "db_mtl",
    "config",
    "famo+clip",
]

# ours-only variants: (method, hyperparameters)
VARIANTS: dict[str, tuple[str, dict]] = {
    "famo+clip": ("famo", {"max_norm": 1.0}),  # the authors' default clipping, ours only
}

# hyperparameters of ours that make the comparison like for like (see the docstring)
OURS_HPARAMS: dict[str, dict] = {
    "rlw": {"seed": 0},
    "pcgrad": {"seed": 0},
    "graddrop": {"seed": 0},
    "gradvac": {"seed": 0},
    "cagrad": {"rescale": 0},
    "fairgrad": {"max_norm": 0.0},
    "famo": {"max_norm": 0.0},  # torchjd's FAMO does not clip ("famo+clip" does)
}


def torchjd_counterpart(name: str, n_tasks: int) -> tuple[str, object] | None:
    """``("scalarizer" | "aggregator", instance)`` or None where torchjd has none (or its
    optional dependencies are missing)."""
    from torchjd import aggregation as A
    from torchjd import scalarization as S

    scalarizers: dict[str, Callable[[], object]] = {
        "ls": S.Sum,
        "rlw": S.Random,
        "uw": lambda: S.UW(n_tasks),
        "dwa": S.DWA,
        "famo": lambda: S.FAMO(n_tasks),
        "imtl_l": lambda: S.IMTLL(n_tasks),
        "gls": S.GeometricMean,
    }
    aggregators: dict[str, Callable[[], object]] = {
        "mgda": A.MGDA,
        "pcgrad": A.PCGrad,
        "graddrop": A.GradDrop,
        "imtl": A.IMTLG,
        "nashmtl": lambda: A.NashMTL(n_tasks),
        "cagrad": lambda: A.CAGrad(c=0.5),
        "upgrad": A.UPGrad,
        "aligned_mtl": A.AlignedMTL,
        "fairgrad": lambda: A.FairGrad(alpha=1.0),
        "gradvac": A.GradVac,
        "config": A.ConFIG,
    }
    try:
        if name in scalarizers:
            return "scalarizer", scalarizers[name]()
        if name in aggregators:
            return "aggregator", aggregators[name]()
    except ImportError:  # optional dependencies (cvxpy) missing
        return None
    return None


def build(in_dim: int, hidden: list[int], n_tasks: int, seed: int = 0) -> HardSharing:
    torch.manual_seed(seed)
    return HardSharing.mlp(in_dim, hidden, [1] * n_tasks)


class Runner:
    """One model copy + optimizer + method (ours or torchjd) stepping on a fixed batch."""

    def __init__(
        self, model: HardSharing, x: Tensor, ys: list[Tensor], name: str, impl: str
    ) -> None:
        self.model = copy.deepcopy(model)
        self.x, self.ys, self.impl = x, ys, impl
        T = len(ys)
        if impl == "ours":
            base, hp = VARIANTS.get(name, (name, OURS_HPARAMS.get(name, {})))
            self.method = make_method(base, T, **hp)
            extra = self.method.parameters()
        else:
            found = torchjd_counterpart(name, T)
            assert found is not None
            self.kind, self.agg = found
            extra = list(self.agg.parameters()) if self.kind == "scalarizer" else []
        self.opt = torch.optim.SGD(list(self.model.parameters()) + extra, lr=1e-5)
        self.shared = self.model.shared_parameters()
        self.last = self.model.last_shared_parameters()
        self.prev_ok = False

    def losses(self) -> tuple[list[Tensor], Tensor]:
        outs, z = self.model.forward_with_representation(self.x)
        return [((o - y) ** 2).mean() for o, y in zip(outs, self.ys, strict=True)], z

    def step(self) -> None:
        loss_list, z = self.losses()
        self.opt.zero_grad(set_to_none=True)
        if self.impl == "ours":
            losses = torch.stack(loss_list)
            m = self.method
            if m.needs_after_step and self.prev_ok:
                m.after_step(losses.detach())  # the post-step losses of the previous step
            m.backward(losses, self.shared, representation=z, last_shared_params=self.last)
            self.prev_ok = True
        elif self.kind == "scalarizer":
            losses = torch.stack(loss_list)
            if hasattr(self.agg, "update") and self.prev_ok:  # FAMO
                self.agg.update(losses.detach())
            self.agg(losses).backward()
            self.prev_ok = True
        else:
            from torchjd.autojac import jac_to_grad, mtl_backward

            mtl_backward(loss_list, features=z, shared_params=self.shared)
            jac_to_grad(self.shared, self.agg)
        self.opt.step()


def bench(
    T: int,
    rounds: int,
    steps: int,
    in_dim: int,
    hidden: list[int],
    batch: int,
    clock: Callable[[], float],
    methods: list[str] = METHODS,
) -> list[dict]:
    torch.manual_seed(1)
    x = torch.randn(batch, in_dim)
    ys = [torch.randn(batch, 1) for _ in range(T)]
    model = build(in_dim, hidden, T)
    runners: dict[tuple[str, str], Runner] = {}
    if "ls" not in methods:
        methods = ["ls", *methods]
    for name in methods:
        runners[(name, "ours")] = Runner(model, x, ys, name, "ours")
        if torchjd_counterpart(name, T) is not None:
            runners[(name, "torchjd")] = Runner(model, x, ys, name, "torchjd")
    times: dict[tuple[str, str], list[float]] = {k: [] for k in runners}
    for r in runners.values():  # warm-up
        r.step()
        r.step()
    items = list(runners.items())
    for rnd in range(rounds):
        # alternate the order: the runner that follows another pays for a colder cache
        for key, r in items if rnd % 2 == 0 else items[::-1]:
            t0 = clock()
            for _ in range(steps):
                r.step()
            times[key].append((clock() - t0) / steps)
    # ratio per round to that round's equal-weighting time, then the median
    base = times[("ls", "ours")]
    rows = []
    for name in methods:
        row = {"T": T, "method": name}
        for impl in ("ours", "torchjd"):
            ts = times.get((name, impl))
            if ts is None:
                row[impl] = None
                row[impl + "_ms"] = None
                continue
            row[impl] = statistics.median(t / b for t, b in zip(ts, base, strict=True))
            row[impl + "_ms"] = 1e3 * statistics.median(ts)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="T = 2, 5 and fewer repeats")
    ap.add_argument("--tasks", type=int, nargs="*", default=None)
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument("--methods", nargs="*", default=None, help="subset (ls is always run)")
    args = ap.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore", message=".*not DPP.*")  # cvxpy, inside torchjd NashMTL
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    tasks = args.tasks or ([2, 5] if args.quick else [2, 5, 10])
    rounds = args.rounds or (5 if args.quick else 15)
    steps = args.steps or (2 if args.quick else 4)
    in_dim, hidden = 512, [1024, 128]
    n_shared = sum(p.numel() for p in build(in_dim, hidden, 2).shared_parameters())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; trunk {in_dim}->"
        f"{'->'.join(map(str, hidden))} ({n_shared:,} shared params), batch {args.batch}, "
        f"{rounds} rounds x {steps} steps, {args.clock} clock; median over rounds of "
        "step time / equal weighting's step time in the same round"
    )
    for T in tasks:
        rows = bench(T, rounds, steps, in_dim, hidden, args.batch, clock, args.methods or METHODS)
        ls_ms = next(r["ours_ms"] for r in rows if r["method"] == "ls")
        print(f"\nT = {T}   (equal weighting: {ls_ms:.2f} ms/step)")
        print(
            f"{'method':<12} {'ours':>7} {'torchjd':>8} {'ours ms':>8} {'tjd ms':>8}  ours/torchjd"
        )
        for r in rows:
            o = f"{r['ours']:.2f}x"
            j = f"{r['torchjd']:.2f}x" if r["torchjd"] is not None else "-"
            jm = f"{r['torchjd_ms']:.1f}" if r["torchjd_ms"] is not None else "-"
            rel = f"{r['ours'] / r['torchjd']:.2f}" if r["torchjd"] is not None else ""
            print(f"{r['method']:<12} {o:>7} {j:>8} {r['ours_ms']:>8.1f} {jm:>8}  {rel}")


if __name__ == "__main__":
    main()
