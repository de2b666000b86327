"""Checks every experiment's test file shares: the smoke run's sanity verdicts hold on a
CPU (a comparative one may be honestly ``inconclusive`` at smoke scale, never ``failed``)
and its artifacts are written; the same at other seeds and thread counts; a seeded run
repeats exactly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from reproductions import runner


def assert_not_failed(result: Any, allow_inconclusive: bool = True) -> None:
    assert result.verdicts and all(v.kind == "sanity" for v in result.verdicts)
    bad = {"failed"} if allow_inconclusive else {"failed", "inconclusive"}
    failed = [(v.claim, v.ours, v.outcome) for v in result.verdicts if v.outcome in bad]
    assert not failed, failed


def run_smoke(rid: str, out_dir: Path, allow_inconclusive: bool = True) -> Any:
    """Run ``rid`` at smoke scale on the CPU; assert no sanity verdict failed (inconclusive
    is accepted unless ``allow_inconclusive`` is False) and the metrics and plots (PNG and
    SVG) were written. Returns the result for further checks."""
    cfg = runner.make_config(rid, "smoke", 0)
    result = runner.execute(rid, cfg, torch.device("cpu"), out_dir=out_dir)
    assert_not_failed(result, allow_inconclusive)
    assert "metrics.json" in result.artifacts
    assert any(a.endswith(".png") for a in result.artifacts)
    assert any(a.endswith(".svg") for a in result.artifacts)
    assert all((out_dir / a).stat().st_size > 0 for a in result.artifacts)
    return result


def assert_reproducible(rid: str, seed: int = 5, **overrides: Any) -> None:
    """Two runs with the same seed (and config overrides) give identical metrics."""

    def once() -> dict:
        cfg = runner.make_config(rid, "smoke", seed, **overrides)
        return runner.execute(rid, cfg, torch.device("cpu")).metrics

    assert once() == once()


def smoke_never_fails(rid: str, seed: int, threads: int, **overrides: Any) -> Any:
    """The smoke run at ``seed`` with ``threads`` torch threads has no failed verdict.

    ``runner.execute`` runs a CPU experiment with ``$MTLKB_REPRO_THREADS`` threads, so that
    variable (not ``torch.set_num_threads`` alone, which the runner overrides) sets them."""
    before = torch.get_num_threads()
    env_before = os.environ.get("MTLKB_REPRO_THREADS")
    os.environ["MTLKB_REPRO_THREADS"] = str(threads)
    seen: list[int] = []
    try:
        cfg = runner.make_config(rid, "smoke", seed, **overrides)
        with runner.cpu_threads(torch.device("cpu")):
            seen.append(torch.get_num_threads())
        result = runner.execute(rid, cfg, torch.device("cpu"))
    finally:
        torch.set_num_threads(before)
        if env_before is None:
            os.environ.pop("MTLKB_REPRO_THREADS", None)
        else:
            os.environ["MTLKB_REPRO_THREADS"] = env_before
    assert seen == [threads]
    assert_not_failed(result)
    return result
