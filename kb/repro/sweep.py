"""Sweeps: one reproduction over methods x seeds, on submitit (``mtlkb repro sweep``).

Each cell (method, seed) is one ordinary run, executed by :func:`kb.repro.execute.execute_run` in a
job that submitit starts: a subprocess per job with its ``LocalExecutor`` on one machine, a
Slurm job array on a cluster (``executor="slurm"``). submitit was chosen over Ray because it
needs no running service, its local executor is plain subprocesses (what a laptop has), and the
same code submits Slurm arrays, which is where MTL sweeps run; Ray would add a cluster runtime
for no gain at this size.

A cell is one seed: where an experiment repeats seeds inside one run (an ``n_seeds`` field),
the cell runs ``n_seeds=1`` unless the sweep's overrides say otherwise.

A cell's **run key** hashes the reproduction, the cell's full config (method, seed and scale
included) and the code commit. The key is derived from the stored run row (its ``config`` and
``git_commit`` columns), so no extra state is kept: rerunning a sweep skips every cell that
already has a finished run with its key, which makes a killed sweep resumable and a repeated
one idempotent. A cell whose job fails is reported and the other cells go on.

:func:`results_table` folds the finished single-method runs of a reproduction into one row per
method: the mean of each metric over seeds with a 95% Student-t interval, and the paper's number
beside it where the experiment module declares one (``PAPER_TABLE``); an experiment module may
name its own numbers (``sweep_metrics(metrics, method)``), else every scalar is taken.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from kb.config import KB, KBError
from kb.models.run import Run
from kb.repro.runs import runs_for

Executor = Literal["local", "slurm", "debug"]
EXECUTORS: tuple[str, ...] = ("local", "slurm", "debug")


class Cell(BaseModel):
    """One (method, seed) of a sweep and what became of it."""

    method: str | None
    seed: int
    key: str
    status: Literal["done", "skipped", "failed"] = "done"
    run_id: str | None = None
    verdict: str | None = None
    error: str | None = None


class Interval(BaseModel):
    """Mean over seeds with a two-sided 95% Student-t interval (``low == high`` for n = 1)."""

    mean: float
    low: float
    high: float
    n: int


class MethodRow(BaseModel):
    """One method's line of an experiment's results table."""

    method: str
    seeds: list[int]
    metrics: dict[str, Interval]
    paper: dict[str, float | str] = {}


class SweepReport(BaseModel):
    reproduction: str
    scale: str
    cells: list[Cell]
    table: list[MethodRow]

    @property
    def failed(self) -> list[Cell]:
        return [c for c in self.cells if c.status == "failed"]


# -- keys --------------------------------------------------------------------------------
def run_key(repro_id: str, config: dict[str, Any], commit: str | None) -> str:
    """The cell's identity: reproduction, full config (method, seed, scale in it), commit."""
    blob = json.dumps([repro_id, config, commit], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,3,7"`` and mixes such as ``"0-2,9"`` too."""
    seeds: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, _, hi = part.partition("-")
        try:
            seeds += range(int(lo), int(hi or lo) + 1)
        except ValueError:
            raise KBError(f"--seeds: {part!r} is not a seed or a range such as 0-4") from None
    if not seeds:
        raise KBError("--seeds: no seed given (e.g. --seeds 0-4)")
    return sorted(set(seeds))


def _method_field(repro_id: str) -> tuple[bool, list[str]]:
    """Whether the experiment's config has a ``methods`` list, and all the methods it can run
    (the config's default, else the module's ``METHOD_LABELS``)."""
    from reproductions import registry

    module = registry.load(repro_id)
    field = module.Config.model_fields.get("methods")
    if field is None:
        return False, []
    default = field.get_default(call_default_factory=True)
    return True, list(default or getattr(module, "METHOD_LABELS", ()))


def _has_field(repro_id: str, name: str) -> bool:
    from reproductions import registry

    return name in registry.load(repro_id).Config.model_fields


def plan(repro_id: str, methods: list[str] | None, seeds: list[int], scale: str,
         overrides: dict[str, Any] | None = None) -> list[tuple[str | None, int, dict]]:
    """The sweep's cells as (method, seed, config overrides), validated before anything runs."""
    from reproductions import runner

    has_methods, default = _method_field(repro_id)
    # a cell is one seed: an experiment that repeats seeds inside a run (``n_seeds``) runs
    # one there, and the sweep's seeds give the interval
    one_seed = {"n_seeds": 1} if _has_field(repro_id, "n_seeds") else {}
    if methods and not has_methods:
        raise KBError(f"{repro_id} runs no list of methods: sweep it over --seeds only")
    if has_methods and not methods:
        methods = default
    cells: list[tuple[str | None, int, dict]] = []
    for method in methods or [None]:
        for seed in seeds:
            extra = {**one_seed, **(overrides or {})}
            if method is not None:
                extra["methods"] = [method]
            try:
                runner.make_config(repro_id, scale, seed, **extra)
            except ValueError as exc:
                raise KBError(f"bad sweep cell {method or ''} seed {seed}: "
                              f"{str(exc).splitlines()[0]}") from None
            cells.append((method, seed, extra))
    return cells


def _finished_keys(kb: KB, repro_id: str) -> dict[str, Run]:
    out: dict[str, Run] = {}
    for run in runs_for(kb, repro_id, include_reference=False):
        if run.status == "done":
            out.setdefault(run_key(repro_id, run.config, run.git_commit), run)
    return out


# -- running -----------------------------------------------------------------------------
def _job(root: str, repro_id: str, scale: str, seed: int, device: str,
         overrides: dict[str, Any]) -> Run:
    """What one submitit job runs (in its own process): one recorded run."""
    from kb.repro.execute import execute_run

    kb = KB(Path(root))
    try:
        run = execute_run(kb, repro_id, scale=scale, seed=seed, device=device,
                          overrides=overrides)
    finally:
        kb.close()
    return run


def _executor(kind: str, folder: Path, parallel: int) -> Any:
    import submitit

    if kind == "debug":
        return submitit.DebugExecutor(folder=folder)
    if kind == "local":
        return submitit.LocalExecutor(folder=folder)
    if kind == "slurm":
        ex = submitit.AutoExecutor(folder=folder)
        if ex.cluster != "slurm":
            raise KBError("--executor slurm: no Slurm here (sbatch not found); use local")
        ex.update_parameters(slurm_array_parallelism=parallel)
        return ex
    raise KBError(f"--executor must be one of {', '.join(EXECUTORS)}, not {kind!r}")


def run_sweep(kb: KB, repro_id: str, *, methods: list[str] | None, seeds: list[int],
              scale: str = "smoke", device: str = "cpu", executor: str = "local",
              parallel: int = 1, overrides: dict[str, Any] | None = None,
              timeout_min: int = 24 * 60, on_cell: Any = None) -> SweepReport:
    """Run every missing cell of methods x seeds and return the cells and the results table.

    Cells that already have a finished run with their key are skipped; at most ``parallel``
    jobs run at once; ``on_cell(cell)`` is called as each cell ends (for progress lines).
    """
    from reproductions import runner

    if parallel < 1:
        raise KBError("--parallel must be at least 1")
    commit = runner.git_commit()
    cells = plan(repro_id, methods, seeds, scale, overrides)
    done = _finished_keys(kb, repro_id)
    todo: list[tuple[Cell, dict]] = []
    report: list[Cell] = []
    for method, seed, extra in cells:
        config = runner.make_config(repro_id, scale, seed, **extra).model_dump()
        cell = Cell(method=method, seed=seed, key=run_key(repro_id, config, commit))
        if cell.key in done:
            run = done[cell.key]
            cell.status, cell.run_id, cell.verdict = "skipped", run.id, run.verdict
            if on_cell:
                on_cell(cell)
        else:
            todo.append((cell, extra))
        report.append(cell)
    if todo:
        folder = kb.runs_dir / "sweeps" / repro_id
        folder.mkdir(parents=True, exist_ok=True)
        ex = _executor(executor, folder, parallel)
        if executor != "debug":
            ex.update_parameters(timeout_min=timeout_min)
        _submit_all(kb, ex, executor, todo, repro_id, scale, device, parallel, on_cell)
    return SweepReport(reproduction=repro_id, scale=scale, cells=report,
                       table=results_table(kb, repro_id, scale=scale))


def _submit_all(kb: KB, ex: Any, kind: str, todo: list[tuple[Cell, dict]], repro_id: str,
                scale: str, device: str, parallel: int, on_cell: Any) -> None:
    root = str(kb.root)
    args = [(root, repro_id, scale, c.seed, device, extra) for c, extra in todo]
    if kind == "slurm":  # one job array; Slurm throttles it to ``parallel``
        jobs = ex.map_array(_job, *zip(*args, strict=True))
        for (cell, _), job in zip(todo, jobs, strict=True):
            _collect(cell, job, on_cell)
        return
    pending = list(zip((c for c, _ in todo), args, strict=True))
    running: list[tuple[Cell, Any]] = []
    while pending or running:
        while pending and len(running) < parallel:
            cell, a = pending.pop(0)
            running.append((cell, ex.submit(_job, *a)))
        finished = [(c, j) for c, j in running if j.done()]
        if not finished:
            time.sleep(0.05)
            continue
        for cell, job in finished:
            running.remove((cell, job))
            _collect(cell, job, on_cell)


def _collect(cell: Cell, job: Any, on_cell: Any) -> None:
    try:
        run: Run = job.result()
    except Exception as exc:  # the job itself died (import error, OOM, timeout)
        cell.status, cell.error = "failed", str(exc).strip().splitlines()[-1][:500]
    else:
        cell.run_id = run.id
        if run.status != "done":
            cell.status = "failed"
            cell.error = (run.error or run.status).strip().splitlines()[-1][:500]
        else:
            cell.status = "done"
    if on_cell:
        on_cell(cell)


# -- results table -----------------------------------------------------------------------
# Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1..30 (beyond: the normal's 1.960).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def interval(values: list[float]) -> Interval:
    """Mean and 95% t-interval of ``values`` (seeds are the samples)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean=mean, low=mean, high=mean, n=n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = (_T975[n - 2] if n - 1 <= len(_T975) else 1.960) * sd / math.sqrt(n)
    return Interval(mean=mean, low=mean - half, high=mean + half, n=n)


def method_metrics(metrics: dict[str, Any], method: str) -> dict[str, float]:
    """A single-method run's numbers: every finite scalar leaf, named by its path with the
    method's own label dropped (``cagrad.equal.n_reached`` -> ``cagrad.n_reached``); a list of
    numbers counts by its mean."""
    out: dict[str, float] = {}

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path if k == method else [*path, str(k)])
        elif isinstance(node, bool):
            out[".".join(path)] = float(node)
        elif isinstance(node, int | float) and math.isfinite(node):
            out[".".join(path)] = float(node)
        elif (isinstance(node, list) and node and len(node) <= 64
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node)):
            out[".".join(path) + ".mean"] = float(sum(node) / len(node))

    by_method = metrics.get("methods")
    walk(by_method[method] if isinstance(by_method, dict) and method in by_method else metrics,
         [])
    return out


def results_table(kb: KB, repro_id: str, *, scale: str | None = None,
                  runs: list[Run] | None = None) -> list[MethodRow]:
    """One row per method over the finished single-method runs (newest run per seed)."""
    from reproductions import registry

    module = _module_or_none(registry, repro_id)
    paper_table: dict[str, dict[str, float | str]] = getattr(module, "PAPER_TABLE", {}) or {}
    numbers = getattr(module, "sweep_metrics", method_metrics)
    per: dict[str, dict[int, dict[str, float]]] = {}
    for run in runs if runs is not None else runs_for(kb, repro_id, include_reference=False):
        methods = run.config.get("methods")
        if (run.status != "done" or not isinstance(methods, list) or len(methods) != 1
                or (scale and run.scale != scale)):
            continue
        method = str(methods[0])
        per.setdefault(method, {}).setdefault(  # runs are newest first: keep the newest
            int(run.seed or 0), numbers(run.metrics, method))
    rows = []
    for method, by_seed in sorted(per.items()):
        names = sorted(set().union(*by_seed.values()))
        metrics = {}
        for name in names:
            values = [m[name] for m in by_seed.values() if name in m]
            if values:
                metrics[name] = interval(values)
        rows.append(MethodRow(method=method, seeds=sorted(by_seed), metrics=metrics,
                              paper=paper_table.get(method, {})))
    return rows


def _module_or_none(registry: Any, repro_id: str) -> Any:
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # the site builds without the repro extra
        return None
    return registry.load(repro_id)
