"""kendall-uncertainty: the smoke run recovers the noise ordering; seeded runs repeat."""

from __future__ import annotations

import torch

from reproductions import runner


def test_smoke_verdicts_hold(tmp_path) -> None:
    cfg = runner.make_config("kendall-uncertainty", "smoke", 0)
    result = runner.execute("kendall-uncertainty", cfg, torch.device("cpu"), out_dir=tmp_path)
    failed = [(v.claim, v.ours) for v in result.verdicts if not v.passed]
    assert not failed, failed
    assert all(v.kind == "sanity" for v in result.verdicts)
    std = result.metrics["learned_std"]
    assert std[0] > std[1]
    assert {"kendall_std.png", "kendall_std.svg", "metrics.json"} <= set(result.artifacts)


def test_seeded_runs_are_reproducible() -> None:
    def once() -> dict:
        cfg = runner.make_config("kendall-uncertainty", "smoke", 3, epochs=20)
        return runner.execute("kendall-uncertainty", cfg, torch.device("cpu")).metrics

    assert once() == once()
