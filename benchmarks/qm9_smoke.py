"""QM9 smoke cost: CPU time, wall time and peak memory of one smoke run on a CPU.

    python benchmarks/qm9_smoke.py [--scale smoke] [--threads 1] [--cache DIR] [--set KEY=JSON]

Runs ``reproductions.runner.execute("qm9", ...)`` in this process with ``--threads`` torch
threads, after loading the QM9 tensor cache once (its first build parses the qm9pack CSVs
and is not part of the figure). Prints CPU seconds, wall seconds, peak RSS and the verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="smoke")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", default=None, help="QM9 tensor cache folder (default: the "
                    "user cache, see reproductions.data.qm9.default_cache_dir)")
    ap.add_argument("--set", action="append", default=[], help="config override KEY=JSON")
    args = ap.parse_args()
    os.environ["MTLKB_REPRO_THREADS"] = str(args.threads)

    import torch

    from reproductions import runner
    from reproductions.data import qm9 as qdata

    cache = Path(args.cache) if args.cache else qdata.default_cache_dir()
    qdata.load(cache)  # build (or read) the cache outside the measurement
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = runner.make_config("qm9", args.scale, 0, cache_dir=str(cache), **overrides)
    with tempfile.TemporaryDirectory() as out:
        c0, t0 = time.process_time(), time.perf_counter()
        result = runner.execute("qm9", cfg, torch.device("cpu"), out_dir=Path(out) / "run")
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"qm9 {args.scale}: {cpu:.1f} s CPU, {wall:.1f} s wall, peak RSS {peak:.0f} MB, "
          f"{args.threads} thread(s)")
    for v in result.verdicts:
        print(f"  {v.outcome:12s} {v.claim}: {v.ours}")


if __name__ == "__main__":
    main()
