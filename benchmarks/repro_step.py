"""Time per training step of every method in ``reproductions.methods``, relative to
equal weighting, next to the same method in torchjd (``torchjd.autojac.mtl_backward``).

Setup: a hard-parameter-sharing MLP (ReLU trunk 512 -> 1024 -> 128, 657,536 shared
parameters) with T linear heads, a fixed batch of 256 and MSE losses, plain SGD.  One
step is forward + ``method.backward`` + ``optimizer.step`` (+ ``method.after_step`` for
FAMO: with a fixed batch, the next step's forward gives exactly the post-step losses,
so FAMO needs no extra forward here).  Gradient methods get ``representation=z`` (the
trunk output) and so compute the shared Jacobian with one batched backward pass, as
torchjd does; ``mgda_ub`` aggregates the gradients w.r.t. ``z``.

torchjd anchors: ``ls`` -> ``Sum``, ``rlw`` -> ``Random``, ``mgda`` -> ``MGDA``,
``pcgrad`` -> ``PCGrad``, ``graddrop`` -> ``GradDrop``, ``imtl`` -> ``IMTLG``,
``nashmtl`` -> ``FairGrad(alpha=1)`` (its weights solve the same bargaining condition;
torchjd's ``NashMTL`` needs cvxpy), ``cagrad`` -> the authors' algorithm (scipy SLSQP on
the Gramian) wrapped as a torchjd aggregator (torchjd's ``CAGrad`` needs cvxpy).
Loss-weighting methods have no torchjd counterpart.

Every configuration is timed in rounds (all methods once per round, in turn); each
method's time is divided by equal weighting's time in the same round and the median
over rounds is reported, so slow drifts of the machine affect all methods alike.  By
default the clock is the process CPU time with one intra-op thread (``--clock cpu
--threads 1``), which is robust on a shared machine; ``--clock wall`` measures
wall-clock time instead.

    python benchmarks/repro_step.py            # T = 2, 5, 10; 15 rounds of 4 steps
    python benchmarks/repro_step.py --quick    # T = 2, 5; 5 rounds of 2 steps
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
    "gradnorm",
    "mgda",
    "mgda_ub",
    "pcgrad",
    "graddrop",
    "cagrad",
    "imtl",
    "nashmtl",
]


def authors_cagrad_aggregator(c: float = 0.5):
    """The authors' CAGrad (scipy SLSQP on the T x T Gramian, rescale=1) as a torchjd
    aggregator, for timing only."""
    from scipy.optimize import minimize
    from torchjd.aggregation import Aggregator

    class AuthorsCAGrad(Aggregator):
        def forward(self, matrix: Tensor, /) -> Tensor:
            T = matrix.shape[0]
            GG = (matrix @ matrix.T).cpu().double().numpy()
            g0_norm = np.sqrt(GG.mean() + 1e-8)
            x0 = np.ones(T) / T
            cc = c * g0_norm + 1e-8

            def obj(x: np.ndarray) -> float:
                return float(x @ GG @ x0 + cc * np.sqrt(x @ GG @ x + 1e-8))

            res = minimize(
                obj,
                x0,
                bounds=[(0, 1)] * T,
                constraints=({"type": "eq", "fun": lambda x: 1 - x.sum()},),
            )
            ww = torch.as_tensor(res.x, dtype=matrix.dtype, device=matrix.device)
            gw = ww @ matrix
            lam = cc / (gw.norm() + 1e-8)
            return (matrix.mean(0) + lam * gw) / (1 + c**2)

    return AuthorsCAGrad()


def torchjd_aggregator(name: str, n_tasks: int):
    from torchjd import aggregation as A

    table: dict[str, Callable[[], object]] = {
        "ls": A.Sum,
        "rlw": A.Random,
        "mgda": A.MGDA,
        "pcgrad": A.PCGrad,
        "graddrop": A.GradDrop,
        "imtl": A.IMTLG,
        "nashmtl": lambda: A.FairGrad(alpha=1.0),
        "cagrad": authors_cagrad_aggregator,
    }
    return table[name]() if name in table else None


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
            hp = {"seed": 0} if name in ("rlw", "pcgrad", "graddrop") else {}
            self.method = make_method(name, T, **hp)
            extra = self.method.parameters()
        else:
            self.agg = torchjd_aggregator(name, T)
            extra = []
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
) -> list[dict]:
    torch.manual_seed(1)
    x = torch.randn(batch, in_dim)
    ys = [torch.randn(batch, 1) for _ in range(T)]
    model = build(in_dim, hidden, T)
    runners: dict[tuple[str, str], Runner] = {}
    for name in METHODS:
        runners[(name, "ours")] = Runner(model, x, ys, name, "ours")
        if torchjd_aggregator(name, T) is not None:
            runners[(name, "torchjd")] = Runner(model, x, ys, name, "torchjd")
    times: dict[tuple[str, str], list[float]] = {k: [] for k in runners}
    for r in runners.values():  # warm-up
        r.step()
        r.step()
    for _ in range(rounds):
        for key, r in runners.items():
            t0 = clock()
            for _ in range(steps):
                r.step()
            times[key].append((clock() - t0) / steps)
    # ratio per round to that round's equal-weighting time, then the median
    base = times[("ls", "ours")]
    rows = []
    for name in METHODS:
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
    args = ap.parse_args(argv)
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
        rows = bench(T, rounds, steps, in_dim, hidden, args.batch, clock)
        ls_ms = next(r["ours_ms"] for r in rows if r["method"] == "ls")
        print(f"\nT = {T}   (equal weighting: {ls_ms:.2f} ms/step)")
        print(
            f"{'method':<10} {'ours':>7} {'torchjd':>8} {'ours ms':>8} {'tjd ms':>8}  ours/torchjd"
        )
        for r in rows:
            o = f"{r['ours']:.2f}x"
            j = f"{r['torchjd']:.2f}x" if r["torchjd"] is not None else "-"
            jm = f"{r['torchjd_ms']:.1f}" if r["torchjd_ms"] is not None else "-"
            rel = f"{r['ours'] / r['torchjd']:.2f}" if r["torchjd"] is not None else ""
            print(f"{r['method']:<10} {o:>7} {j:>8} {r['ours_ms']:>8.1f} {jm:>8}  {rel}")


if __name__ == "__main__":
    main()
