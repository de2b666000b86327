"""Sweep overhead: `mtlkb repro sweep` against plain `mtlkb repro run`, per run, in one process.

Each round runs the same cells twice in fresh KBs, alternating which goes first: N plain
`mtlkb repro run EXP --seed s --set methods=[M]` commands one after another (what a user
scripts by hand), and one `mtlkb repro sweep EXP --methods M --seeds 0-(N-1)` (submitit's
local executor, one job at a time). The figure is the ratio of wall times per run.

    python benchmarks/sweep.py [--seeds 3] [--rounds 2] [--experiment toy-pareto --method equal]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MTLKB = [sys.executable, "-m", "kb"]


def _mtlkb(kb: Path, *args: str) -> None:
    env = dict(os.environ, MTLKB_HOME=str(kb))
    subprocess.run([*MTLKB, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def _plain(kb: Path, exp: str, method: str, seeds: int, extra: list[str]) -> float:
    t0 = time.perf_counter()
    for s in range(seeds):
        _mtlkb(kb, "repro", "run", exp, "--device", "cpu", "--seed", str(s),
               "--set", f"methods={json.dumps([method])}", "--no-progress", *extra)
    return time.perf_counter() - t0


def _sweep(kb: Path, exp: str, method: str, seeds: int, extra: list[str]) -> float:
    t0 = time.perf_counter()
    _mtlkb(kb, "repro", "sweep", exp, "--device", "cpu", "--methods", method,
           "--seeds", f"0-{seeds - 1}", *extra)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiment", default="toy-pareto")
    ap.add_argument("--method", default="equal")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    args = ap.parse_args()
    extra = [a for kv in args.set for a in ("--set", kv)]
    ratios = []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            for kb in (Path(a), Path(b)):
                _mtlkb(kb, "init")
            order = [("plain", _plain, Path(a)), ("sweep", _sweep, Path(b))]
            if r % 2:
                order.reverse()
            times = {name: fn(kb, args.experiment, args.method, args.seeds, extra)
                     for name, fn, kb in order}
        per = {k: v / args.seeds for k, v in times.items()}
        ratios.append(per["sweep"] / per["plain"])
        print(f"round {r + 1}: plain {per['plain']:.2f} s/run, sweep {per['sweep']:.2f} s/run, "
              f"ratio {ratios[-1]:.3f}")
    print(f"sweep / plain per run: median {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}) over {args.rounds} rounds")


if __name__ == "__main__":
    main()
