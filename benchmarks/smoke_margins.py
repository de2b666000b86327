"""How far each smoke verdict of an experiment is from flipping, over seeds and thread counts.

    python benchmarks/smoke_margins.py RID [--seeds 0-9] [--threads 1,2] [--threads2-seeds 0-3]
                                        [--set KEY=JSON ...] [--versus KEY=JSON ...] [--json FILE]
    python benchmarks/smoke_margins.py --report FILE [--report FILE ...]

Runs the experiment's real code (``reproductions.runner.execute`` at smoke scale on the CPU,
``--set`` overriding the smoke config, e.g. the values a smaller config replaces) for every
seed with 1 thread (``$MTLKB_REPRO_THREADS``) and for the ``--threads2-seeds`` with 2 threads,
one run after another in this process, and prints a table: each run's CPU seconds and, per
verdict, its outcome and two slacks: how far the decisive number lies inside the passed side
of its threshold (an interval's far end for an interval claim; the smallest over the tasks of
a claim decided per task; below 0: not passed), then the near end's (below 0: failed). Then,
per verdict, the count of each outcome over all runs and the smallest of each slack.
``--versus`` runs a second config (e.g. the old smoke values) after each run in the same
process and prints its table and the ratio of the two configs' median CPU time a run.
Set ``OMP_WAIT_POLICY=PASSIVE`` in the environment, as the tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

_CI = re.compile(r"CI \[([-+]?[\d.]+(?:e[-+]?\d+)?), ([-+]?[\d.]+(?:e[-+]?\d+)?)\]")
_NUM = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_THRESHOLD = re.compile(r"(<|>|below|above) ([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)")


def seed_list(text: str) -> list[int]:
    """``0-9`` or ``0,2,5`` (or a mix) as a list of ints."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def margin_of(verdict: Any) -> dict[str, Any]:
    """The verdict's threshold, decisive number(s) and two slacks (> 0: on the passed side).

    The threshold is read from ``tolerance`` (``< m``, ``> m``, ``below m``, ``above m``);
    the decisive numbers are ``interval``, else the intervals in ``ours`` (``CI [lo, hi]``,
    one per task), else the first number in ``ours``. ``slack`` is the far end's distance
    inside the threshold (below 0: not passed), ``fail_slack`` the near end's (below 0:
    failed); both the smallest over the tasks, equal for a single number. Verdicts with no
    threshold (e.g. "all finite") get None."""
    found = _THRESHOLD.search(verdict.tolerance)
    none = {"threshold": None, "value": str(verdict.ours), "slack": None, "fail_slack": None}
    if not found:
        return none
    less = found.group(1) in ("<", "below")
    m = float(found.group(2))
    cis = ([tuple(verdict.interval)] if verdict.interval is not None
           else [(float(a), float(b)) for a, b in _CI.findall(str(verdict.ours))])
    if not cis:
        nums = _NUM.findall(str(verdict.ours))
        if not nums:
            return none
        cis = [(float(nums[0]), float(nums[0]))]
        value = verdict.ours if isinstance(verdict.ours, str) else f"{float(nums[0]):.4g}"
    else:
        value = "; ".join(f"[{lo:+.4g}, {hi:+.4g}]" for lo, hi in cis)
    far = [(m - hi) if less else (lo - m) for lo, hi in cis]
    near = [(m - lo) if less else (hi - m) for lo, hi in cis]
    return {"threshold": f"{'<' if less else '>'} {m:g}", "value": value,
            "slack": round(min(far), 5), "fail_slack": round(min(near), 5)}


def run_once(rid: str, seed: int, threads: int, overrides: dict[str, Any]) -> dict[str, Any]:
    import torch

    from reproductions import runner

    os.environ["MTLKB_REPRO_THREADS"] = str(threads)
    cfg = runner.make_config(rid, "smoke", seed, **overrides)
    c0, t0 = time.process_time(), time.perf_counter()
    result = runner.execute(rid, cfg, torch.device("cpu"))
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    verdicts = [{"claim": v.claim, "outcome": v.outcome, **margin_of(v)} for v in result.verdicts]
    return {"seed": seed, "threads": threads, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
            "verdicts": verdicts}


def _restore(v: dict[str, Any]) -> dict[str, Any]:
    """A saved verdict with both slacks (files written before ``fail_slack`` existed get it
    from their ``value`` and ``threshold``, numbers shown to 4 significant digits)."""
    if "fail_slack" in v or v["threshold"] is None:
        return {"fail_slack": None, **v}
    less, m = v["threshold"][0] == "<", float(v["threshold"][2:])
    nums = [float(x) for x in _NUM.findall(v["value"])]
    pairs = (list(zip(nums[::2], nums[1::2], strict=True)) if v["value"].startswith("[")
             else [(nums[0],) * 2])
    near = [(m - lo) if less else (hi - m) for lo, hi in pairs]
    return {**v, "fail_slack": round(min(near), 5)}


def short(claim: str) -> str:
    return claim.removeprefix("[smoke sanity] ")[:70]


def report(rid: str, overrides: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    lines = [f"{rid} smoke, overrides {json.dumps(overrides) if overrides else '(none)'}"]
    claims = [v["claim"] for v in runs[0]["verdicts"]]
    for i, c in enumerate(claims):
        first = runs[0]["verdicts"][i]
        lines.append(f"  V{i + 1}: {short(c)} (threshold {first['threshold']})")
    lines.append("  seed thr   CPU s  " + "  ".join(f"V{i + 1}" for i in range(len(claims))))
    for r in runs:
        cells = [f"{v['outcome'][:4]} {v['slack']}/{v['fail_slack']} ({v['value']})"
                 if v["slack"] is not None else f"{v['outcome'][:4]} ({v['value']})"
                 for v in r["verdicts"]]
        lines.append(f"  {r['seed']:4d} {r['threads']:3d} {r['cpu_s']:7.1f}  " + " | ".join(cells))
    lines.append("  per verdict over all runs: outcomes; smallest slack to passed / to failed")
    for i, _ in enumerate(claims):
        outs = Counter(r["verdicts"][i]["outcome"] for r in runs)
        got = [r["verdicts"][i] for r in runs if r["verdicts"][i]["slack"] is not None]
        low = (f"{min(v['slack'] for v in got)} / {min(v['fail_slack'] for v in got)}"
               if got else "-")
        lines.append(f"  V{i + 1}: {dict(outs)}; min slack {low}")
    one = [r["cpu_s"] for r in runs if r["threads"] == 1]
    if one:
        lines.append(f"  CPU s a run, 1 thread: median {sorted(one)[len(one) // 2]:.1f} "
                     f"(min {min(one):.1f}, max {max(one):.1f}, {len(one)} runs)")
    return "\n".join(lines)


def _overrides(pairs: list[str]) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in (p.split("=", 1) for p in pairs)}


def _shown(overrides: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in overrides.items() if k != "cache_dir"}


def _median_cpu(runs: list[dict[str, Any]]) -> float | None:
    one = sorted(r["cpu_s"] for r in runs if r["threads"] == 1)
    return one[len(one) // 2] if one else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rid", nargs="?", help="the experiment (not needed with --report)")
    ap.add_argument("--seeds", default="0-9", help="seeds run with 1 thread")
    ap.add_argument("--threads2-seeds", default="0-3", help="seeds run with 2 threads")
    ap.add_argument("--threads", default="1,2", help="thread counts to run (1, 2 or both)")
    ap.add_argument("--set", action="append", default=[], help="smoke config override KEY=JSON")
    ap.add_argument("--versus", action="append", default=[], help="override KEY=JSON of a "
                    "second config (e.g. the old smoke values) run after each run, in this "
                    "process, for the CPU ratio")
    ap.add_argument("--json", default=None, help="also write the runs to this JSON file")
    ap.add_argument("--report", action="append", default=[], help="only print the table of "
                    "--json files (of one config: their runs in one table)")
    args = ap.parse_args()
    if args.report:
        saved = [json.loads(Path(f).read_text()) for f in args.report]
        runs = [{**r, "verdicts": [_restore(v) for v in r["verdicts"]]}
                for d in saved for r in d["runs"]]
        print(report(saved[0]["rid"], _shown(saved[0]["overrides"]), runs))
        return
    if not args.rid:
        ap.error("name the experiment (RID) or give --report FILE")
    configs = [_overrides(args.set)] + ([_overrides(args.versus)] if args.versus else [])
    if args.rid == "qm9":
        from reproductions.data import qm9 as qdata

        qdata.load(qdata.default_cache_dir())  # parsed once, outside the measurement
        for c in configs:
            c.setdefault("cache_dir", str(qdata.default_cache_dir()))
    wanted = {int(t) for t in args.threads.split(",")}
    plan = [(s, 1) for s in seed_list(args.seeds) if 1 in wanted]
    plan += [(s, 2) for s in seed_list(args.threads2_seeds) if 2 in wanted]
    runs: list[list[dict[str, Any]]] = [[] for _ in configs]
    for seed, threads in plan:
        for c, got in zip(configs, runs, strict=True):
            got.append(run_once(args.rid, seed, threads, c))
            print(f"# {args.rid} {json.dumps(_shown(c))} seed {seed} threads {threads}: "
                  f"{got[-1]['cpu_s']} s CPU, "
                  + ", ".join(v["outcome"] for v in got[-1]["verdicts"]), flush=True)
        if args.json:
            for i, (c, got) in enumerate(zip(configs, runs, strict=True)):
                path = Path(args.json if i == 0 else f"{args.json}.versus.json")
                path.write_text(json.dumps({"rid": args.rid, "overrides": c, "runs": got},
                                           indent=1))
    for c, got in zip(configs, runs, strict=True):
        print(report(args.rid, _shown(c), got))
    if len(configs) == 2:
        a, b = _median_cpu(runs[0]), _median_cpu(runs[1])
        if a and b:
            print(f"CPU a 1-thread run, same process: {a:.1f} s vs {b:.1f} s (versus), "
                  f"ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
