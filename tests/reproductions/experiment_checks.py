"""Checks every experiment's test file shares: the smoke run's sanity verdicts all hold on a
CPU and its artifacts are written; a seeded run repeats exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from reproductions import runner


def run_smoke(rid: str, out_dir: Path) -> Any:
    """Run ``rid`` at smoke scale on the CPU; assert every sanity verdict held and the
    metrics and plots (PNG and SVG) were written. Returns the result for further checks."""
    cfg = runner.make_config(rid, "smoke", 0)
    result = runner.execute(rid, cfg, torch.device("cpu"), out_dir=out_dir)
    assert result.verdicts and all(v.kind == "sanity" for v in result.verdicts)
    failed = [(v.claim, v.ours) for v in result.verdicts if not v.passed]
    assert not failed, failed
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
