"""multimnist: the smoke run's sanity verdicts hold on a CPU; seeded runs repeat exactly."""

from __future__ import annotations

import torch

from reproductions import runner

RID = "multimnist"


def test_smoke_verdicts_hold(tmp_path) -> None:
    cfg = runner.make_config(RID, "smoke", 0)
    result = runner.execute(RID, cfg, torch.device("cpu"), out_dir=tmp_path)
    assert result.verdicts and all(v.kind == "sanity" for v in result.verdicts)
    failed = [(v.claim, v.ours) for v in result.verdicts if not v.passed]
    assert not failed, failed
    assert "metrics.json" in result.artifacts
    assert any(a.endswith(".png") for a in result.artifacts)
    assert any(a.endswith(".svg") for a in result.artifacts)
    assert all((tmp_path / a).stat().st_size > 0 for a in result.artifacts)


def test_seeded_runs_are_reproducible() -> None:
    def once() -> dict:
        cfg = runner.make_config(RID, "smoke", 5, n_train=128, n_test=64, epochs=1,
                                 methods=["uniform", "mgda_ub"])
        return runner.execute(RID, cfg, torch.device("cpu")).metrics

    assert once() == once()
