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


def test_loss_is_the_uw_method_and_equals_the_notebook_criterion(monkeypatch) -> None:
    """The experiment trains through ``UncertaintyWeighting.weigh`` (no inline copy), and
    that objective on batch-mean errors equals the authors' notebook criterion
    ``mean_batch sum_i exp(-s_i) (y_i - yhat_i)^2 + s_i``."""
    from reproductions.experiments import kendall_uncertainty as ku
    from reproductions.methods import UncertaintyWeighting

    calls = []
    original = UncertaintyWeighting.weigh

    def spy(self, losses):
        calls.append(losses.shape)
        return original(self, losses)

    monkeypatch.setattr(UncertaintyWeighting, "weigh", spy)
    cfg = runner.make_config("kendall-uncertainty", "smoke", 0, epochs=2)
    runner.execute("kendall-uncertainty", cfg, torch.device("cpu"))
    assert len(calls) == 2 * (cfg.n // cfg.batch_size) and calls[0] == (2,)
    monkeypatch.setattr(UncertaintyWeighting, "weigh", original)

    g = torch.Generator().manual_seed(0)
    yhat, y = torch.randn(2, 20, 1, generator=g), torch.randn(2, 20, 1, generator=g)
    uw = UncertaintyWeighting(2)
    uw.log_vars.data = torch.tensor([0.7, -0.3])
    notebook = sum(
        torch.sum(torch.exp(-uw.log_vars[i]) * (yhat[i] - y[i]) ** 2 + uw.log_vars[i], -1)
        for i in range(2)
    ).mean()
    ours = uw.weigh(((yhat - y) ** 2).mean(dim=(1, 2)))
    torch.testing.assert_close(ours, notebook)
    assert ku.UncertaintyWeighting is UncertaintyWeighting
