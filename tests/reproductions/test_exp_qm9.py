"""qm9: the smoke run's sanity verdicts hold on a CPU; seeded runs repeat exactly; the data
module rebuilds Nash-MTL's targets and features from the qm9pack wheel; the dense MPNN
computes PyG's NNConv / Set2Set network; the papers' Delta_m% name methods we run, and the
ordering claim (Spearman's rho per seed, decided over seeds) on synthetic numbers."""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from experiment_checks import assert_reproducible, run_smoke, smoke_never_fails

from reproductions import runner

# qm9pack's own __init__ needs pkg_resources: only its data files are used, never imported
pytestmark = pytest.mark.skipif(importlib.util.find_spec("qm9pack") is None,
                                reason="qm9pack (the 'repro' extra) ships QM9")

RID = "qm9"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> str:
    """One parsed QM9 for the whole run (~20 s of CPU to parse): under xdist, the workers
    share the folder above their own temporary ones, and a lock lets one of them parse."""
    from filelock import FileLock  # a dependency of torch's

    from reproductions.data import qm9

    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "qm9-parsed"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".parse.lock")):
        qm9.load(folder)
    return str(folder)


@pytest.fixture(scope="module")
def data(cache_dir):
    from reproductions.data import qm9

    return qm9.load(cache_dir)


def test_smoke_verdicts_hold(tmp_path, cache_dir) -> None:
    # seed 0 trains seeds 0 and 1 (n_seeds = 2); without a cache_dir the run reads the
    # parsed data beside its run folder: put the parsed file there and see it used as it is
    from reproductions.data import qm9

    beside = tmp_path.parent / "cache" / "qm9"
    beside.mkdir(parents=True, exist_ok=True)
    os.link(Path(cache_dir) / qm9.CACHE_NAME, beside / qm9.CACHE_NAME)
    before = (beside / qm9.CACHE_NAME).stat()
    result = run_smoke(RID, tmp_path)
    after = (beside / qm9.CACHE_NAME).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert set(result.metrics["summary"]) == {"ls", "nashmtl", "famo", "uw", "imtl_l"}
    for comp in result.metrics["comparisons"].values():
        assert comp["n"] == 2 and comp["outcome"] in ("passed", "failed", "inconclusive")
    compared = [v for v in result.verdicts if v.interval is not None]
    assert len(compared) == 2 and all(v.n_seeds == 2 for v in compared)
    # the ordering is measured over the four smoke methods the papers list, but is no smoke
    # verdict (a few epochs cannot order the methods)
    ranks = result.metrics["ranking"]
    assert ranks["checked"] and ranks["methods"] == ["ls", "nashmtl", "famo", "uw"]
    assert ranks["n"] == 2 and len(ranks["spearman_per_seed"]) == 2
    assert not any("orders the methods" in v.claim for v in result.verdicts)


# seed 1 with 2 threads: with the seed-0, 1-thread run above, two seeds and both thread
# counts (a costly smoke; `benchmarks/smoke_margins.py` runs seeds 0-9 x 1 thread and 0-3 x 2
# threads when the smoke config changes: benchmarks/smoke_margins.md)
@pytest.mark.parametrize(("seed", "threads"), [(1, 2)])
def test_smoke_never_fails(seed: int, threads: int, cache_dir) -> None:
    smoke_never_fails(RID, seed, threads, cache_dir=cache_dir)


def test_every_method_of_the_list_trains(cache_dir, data) -> None:
    from reproductions.experiments.qm9 import METHODS

    assert {"ls", "uw", "dwa", "rlw", "mgda", "pcgrad", "cagrad", "imtl_g", "nashmtl",
            "famo", "upgrad", "aligned_mtl", "fairgrad", "gradvac", "db_mtl", "imtl_l", "gls",
            "config"} <= set(METHODS)
    cfg = runner.make_config(RID, "smoke", 0, n_train=32, n_val=16, n_test=16, epochs=1,
                             n_seeds=1, batch_size=16, single_task=False,
                             methods=list(METHODS), cache_dir=cache_dir)
    result = runner.execute(RID, cfg, torch.device("cpu"))
    maes = {k: v["test_mae"] for k, v in result.metrics["per_seed"][0]["methods"].items()}
    assert set(maes) == set(METHODS)
    assert all(len(m) == 11 and all(np.isfinite(m)) for m in maes.values())


def test_a_stopped_run_resumes_from_its_kept_networks(cache_dir, data, tmp_path,
                                                      monkeypatch) -> None:
    from reproductions.experiments import qm9 as q

    kw = dict(n_train=32, n_val=16, n_test=16, epochs=1, n_seeds=1, batch_size=16,
              methods=["ls", "famo"], cache_dir=cache_dir, resume_dir=str(tmp_path / "keep"))
    first = runner.execute(RID, runner.make_config(RID, "smoke", 0, **kw), torch.device("cpu"))
    kept = sorted(p.name for p in (tmp_path / "keep").rglob("*.json"))
    assert len(kept) == 11 + 2 and "s0-famo.json" in kept
    trained: list[str] = []
    real = q.train_one
    monkeypatch.setattr(q, "train_one", lambda c, label, *a: trained.append(label) or real(
        c, label, *a))
    (tmp_path / "keep").joinpath(next(p for p in (tmp_path / "keep").iterdir()).name,
                                 "s0-famo.json").unlink()
    again = runner.execute(RID, runner.make_config(RID, "smoke", 0, **kw), torch.device("cpu"))
    assert trained == ["famo"]  # only the network whose result was gone
    assert again.metrics["per_seed"] == first.metrics["per_seed"]


def test_seeded_runs_are_reproducible(cache_dir, data) -> None:
    assert_reproducible(RID, seed=5, n_train=48, n_val=16, n_test=16, epochs=1, n_seeds=1,
                        batch_size=24, single_task=False, methods=["ls", "nashmtl", "famo"],
                        cache_dir=cache_dir)


def test_dataset_matches_the_wheel_and_nash_mtl_targets(data) -> None:
    from reproductions.data import qm9

    assert len(data) == qm9.N_MOLECULES == 130_831
    assert data.y.shape == (130_831, 11) and int(data.n_atoms.max()) == qm9.MAX_ATOMS
    assert data.index[0] == 1 and bool((data.index[1:] > data.index[:-1]).all())
    # molecule 1 is methane: C + 4 H, four single C-H bonds
    assert data.z[0, :5].tolist() == [1, 0, 0, 0, 0] and data.n_atoms[0] == 5
    assert data.bonds[0, 0, 1:5].tolist() == [1, 1, 1, 1] and data.bonds[0, 1:5, 1:5].sum() == 0
    # HOMO -0.3877 Ha in the wheel -> eV with PyG's constant; Cv unchanged
    assert math.isclose(float(data.y[0, 2]), -0.3877 * qm9.HAR2EV, rel_tol=1e-9)
    assert math.isclose(float(data.y[0, 10]), 6.469, rel_tol=1e-9)
    # atomization energies are negative and U0 < U < H, G above H's (here: G > H for CH4)
    assert bool((data.y[:, 6] < 0).all())
    assert data.valence_ok.float().mean() > 0.9
    train, val, test = qm9.split(len(data), 0, 10_000, 10_000, None)
    assert (len(train), len(val), len(test)) == (110_831, 10_000, 10_000)
    assert len(set(train.tolist()) | set(val.tolist()) | set(test.tolist())) == len(data)


def test_batch_features_follow_pyg(data) -> None:
    from reproductions.data import qm9

    ystd = torch.zeros_like(data.y)
    b = qm9.make_batch(data, torch.tensor([0, 1]), ystd)
    assert b.x.shape == (2, 5, 11) and b.edge.shape == (2, 5, 5, 5)
    c = b.x[0, 0]  # methane's carbon: one-hot C, Z = 6, zeros, 4 hydrogens
    assert c.tolist() == [0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 4]
    assert b.node_mask[1].tolist() == [True, True, True, True, False]  # ammonia, padded
    assert b.pair_mask[0].sum() == 20 and b.pair_mask[1].sum() == 12
    assert b.edge[0, 0, 1, 0] == 1 and b.edge[0, 1, 2, 0] == 0  # C-H single, H..H none
    assert math.isclose(float(b.edge[0, 0, 1, 4]), 1.0919, abs_tol=1e-3)  # C-H distance, A


def test_dense_mpnn_equals_pyg_nnconv_set2set(data) -> None:
    pyg = pytest.importorskip("torch_geometric.nn")
    import torch.nn.functional as F

    from reproductions.architectures.mpnn import QM9MPNN
    from reproductions.data import qm9

    torch.manual_seed(0)
    model = QM9MPNN(3, dim=8, edge_hidden=16).double()
    conv = pyg.NNConv(8, 8, model.conv.nn, aggr="mean").double()  # resets the shared nn
    conv.lin.weight.data.copy_(model.conv.lin.weight.data)
    conv.bias.data.copy_(model.conv.bias.data)
    s2s = pyg.Set2Set(8, processing_steps=3).double()
    s2s.lstm.load_state_dict(model.set2set.lstm.state_dict())
    idx = torch.tensor([0, 5, 100, 2000, 50_000])
    b = qm9.make_batch(data, idx, torch.zeros_like(data.y))
    b = qm9.Batch(b.x.double(), b.edge.double(), b.pair_mask.double(), b.node_mask,
                  b.y.double())
    outs, z = model.forward_with_representation(b)
    xs, eis, eas, owner, off = [], [], [], [], 0
    for k in range(len(idx)):
        n = int(b.node_mask[k].sum())
        ii, jj = torch.nonzero(b.pair_mask[k, :n, :n] > 0, as_tuple=True)
        xs.append(b.x[k, :n])
        eis.append(torch.stack([jj + off, ii + off]))  # source j -> target i
        eas.append(b.edge[k, ii, jj])
        owner.append(torch.full((n,), k))
        off += n
    x, ei, ea, batch = torch.cat(xs), torch.cat(eis, 1), torch.cat(eas), torch.cat(owner)
    out = F.relu(model.lin0(x))
    h = out.unsqueeze(0)
    for _ in range(3):  # Nash-MTL's Net.forward
        m = F.relu(conv(out, ei, ea))
        out, h = model.gru(m.unsqueeze(0), h)
        out = out.squeeze(0)
    ref = F.relu(model.lin1(s2s(out, batch)))
    assert torch.allclose(z, ref, atol=1e-10)
    assert len(outs) == 3 and outs[0].shape == (5,)


def test_delta_m_and_paired_interval() -> None:
    from reproductions.experiments.qm9 import comparison, delta_m

    base = np.array([1.0, 2.0])
    assert delta_m(np.array([1.5, 1.0]), base) == pytest.approx(0.0)  # +50% and -50%
    assert delta_m(np.array([2.0, 4.0]), base) == pytest.approx(100.0)  # worse = positive
    below = comparison([-3.0, -2.0, -4.0], 0.95)
    assert below["outcome"] == "passed" and below["high"] < 0
    assert comparison([3.0, 2.0, 4.0], 0.95)["outcome"] == "failed"
    assert comparison([-3.0, 2.0, 1.0], 0.95)["outcome"] == "inconclusive"
    assert comparison([-1.0], 0.95)["outcome"] == "inconclusive"
    # t(0.975, 2) = 4.3027: mean -3, sd 1, half-width 4.3027 / sqrt(3)
    assert below["low"] == pytest.approx(-3 - 4.302653 / 3 ** 0.5, abs=1e-3)


# -- the papers' numbers and the ordering claim (no training) ------------------------------
def _per_seed(rows: list[dict[str, float]]) -> list[dict]:
    """Synthetic per-seed results: one {label: Delta_m%} per seed."""
    return [{"seed": i, "methods": {m: {"delta_m_pct": v, "learn_ratio": 0.5}
                                    for m, v in row.items()}}
            for i, row in enumerate(rows)]


def test_paper_numbers_name_methods_of_the_experiment() -> None:
    from reproductions.experiments import qm9 as q
    from reproductions.methods import METHODS as REGISTRY

    assert len(q.PAPER_DELTA_M) == 10
    for label, value in q.PAPER_DELTA_M.items():
        assert label in q.METHODS and q.METHODS[label][0] in REGISTRY
        assert 0 < value < 1000  # percent, positive = worse than single-task, as the tables
    # every medium method has a paper number, so the medium run ranks all six
    assert set(q.Config.MEDIUM["methods"]) <= set(q.PAPER_DELTA_M)
    assert q.PAPER_TABLE == {m: {"delta_m_pct": v} for m, v in q.PAPER_DELTA_M.items()}
    assert q.paper_order(["ls", "famo", "nashmtl"]) == "famo 58.5 < nashmtl 62 < ls 177.6"


def test_spearman_matches_scipy_and_is_nan_without_an_order() -> None:
    from scipy.stats import spearmanr

    from reproductions.experiments.qm9 import spearman

    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([4, 3, 2, 1], [10, 20, 30, 40]) == pytest.approx(-1.0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 5, 6).astype(float), rng.normal(size=6)  # ties in a
        if len(set(a)) > 1:
            assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)
    assert math.isnan(spearman([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]))  # our side has no order
    assert math.isnan(spearman([1.0, math.nan, 3.0], [1.0, 2.0, 3.0]))


def test_ranking_is_decided_over_seeds() -> None:
    from reproductions.experiments.qm9 import PAPER_DELTA_M, ranking

    labels = ["ls", "nashmtl", "famo", "uw", "dwa", "rlw"]
    paper = {m: PAPER_DELTA_M[m] for m in labels}
    agree = ranking(_per_seed([{m: v + 3 * k for m, v in paper.items()} for k in range(3)]),
                    labels, 0.95)
    assert agree["spearman_per_seed"] == [1.0, 1.0, 1.0] and agree["outcome"] == "passed"
    assert agree["paper_delta_m_pct"] == [177.6, 62.0, 58.5, 108.0, 175.3, 203.8]
    # nearly the papers' order (two neighbours swapped at one seed): still above 0
    swapped = [dict(paper), dict(paper, famo=70.0), dict(paper, dwa=180.0)]
    near = ranking(_per_seed(swapped), labels, 0.95)
    assert near["spearman_per_seed"][1] < 1 and near["outcome"] == "passed"
    assert near["low"] > 0
    reverse = ranking(_per_seed([{m: -v - k for m, v in paper.items()} for k in range(3)]),
                      labels, 0.95)
    assert reverse["spearman_per_seed"] == [-1.0, -1.0, -1.0] and reverse["outcome"] == "failed"
    mixed = ranking(_per_seed([paper, {m: -v for m, v in paper.items()}, paper]), labels, 0.95)
    assert mixed["outcome"] == "inconclusive" and mixed["low"] < 0 < mixed["high"]
    one_seed = ranking(_per_seed([paper]), labels, 0.95)
    assert one_seed["outcome"] == "inconclusive" and one_seed["low"] is None
    # a seed whose Delta_m are all equal has no order: no interval, inconclusive
    flat = ranking(_per_seed([paper, {m: 1.0 for m in labels}, paper]), labels, 0.95)
    assert flat["spearman_per_seed"][1] is None and flat["outcome"] == "inconclusive"
    # methods without a paper number (imtl_l) or without single-task networks are left out
    some = ranking(_per_seed([{"ls": 1.0, "famo": 2.0, "imtl_l": 0.5}]),
                   ["ls", "famo", "imtl_l"], 0.95)
    assert some == {"methods": ["ls", "famo"], "checked": False,
                    "why": "fewer than three run methods have a paper Delta_m%"}


def test_ordering_is_a_verdict_at_medium_scale_only() -> None:
    from reproductions.experiments.qm9 import PAPER_DELTA_M, Config, _verdicts, ranking

    labels = ["ls", "nashmtl", "famo"]
    rows = _per_seed([{m: -PAPER_DELTA_M[m] - k for m in labels} for k in range(3)])
    ranks = ranking(rows, labels, 0.95)
    medium = [v for v in _verdicts(Config.for_scale("medium"), rows, {}, ranks)
              if "orders the methods" in v.claim]
    assert len(medium) == 1 and medium[0].outcome == "failed" and medium[0].kind == "paper"
    assert medium[0].n_seeds == 3 and medium[0].claim.startswith("[medium scale] ")
    assert medium[0].paper == "famo 58.5 < nashmtl 62 < ls 177.6 (Nash-MTL Table 1 / FAMO Table 2)"
    smoke = _verdicts(Config.for_scale("smoke"), rows, {}, ranks)
    assert not any("orders the methods" in v.claim for v in smoke)
    assert all(v.outcome != "failed" for v in smoke)


def test_results_tables_put_the_papers_numbers_beside_ours() -> None:
    from kb.models.run import Run
    from kb.repro.runs import reference_runs
    from kb.repro.sweep import results_table
    from kb.site.results_page import results_for, results_table_html

    # a sweep's single-method runs: our Delta_m% over seeds beside the paper's
    runs = [Run(id=f"r{seed}", reproduction=RID, seed=seed, scale="smoke",
                config={"methods": ["famo"]},
                metrics={"per_seed": [{"seed": seed, "methods": {"famo": {
                    "delta_m_pct": 10.0 + seed, "delta_m_vs_paper_stl_pct": 90.0}}}]})
            for seed in (0, 1, 2)]
    (row,) = results_table(None, RID, runs=runs)  # type: ignore[arg-type]
    assert row.method == "famo" and row.paper == {"delta_m_pct": 58.5}
    assert set(row.metrics) == {"delta_m_pct", "delta_m_vs_paper_stl_pct"}
    assert row.metrics["delta_m_pct"].mean == pytest.approx(11.0)
    assert row.metrics["delta_m_pct"].n == 3
    # the site's results page from the bundled medium reference
    ref = [r for r in reference_runs(RID) if r.scale == "medium"]
    source, rows = results_for(RID, ref)
    by = {r.method: r for r in rows}
    assert {"ls", "nashmtl", "famo"} <= set(by) and source.startswith("bundled reference")
    assert by["ls"].paper == {"delta_m_pct": 177.6}
    html = results_table_html(source, rows)
    # (the site escapes underscores in text)
    assert "<th>paper: delta&#95;m&#95;pct</th>" in html and "<td>177.6</td>" in html


def test_bonds_perceived_array_wise_are_the_one_molecule_ones(data) -> None:
    # the parse perceives bonds for 4,096 padded molecules at a time; the one-molecule
    # function is the plain reading of the rule (all 130,831 agreed when this was written)
    from reproductions.data import qm9

    rng = np.random.default_rng(0)
    for k in rng.choice(len(data), 400, replace=False).tolist():
        n = int(data.n_atoms[k])
        z, pos = data.z[k, :n].numpy(), data.pos[k, :n].numpy()
        order, ok = qm9.perceive_bonds(z, pos)
        assert np.array_equal(data.bonds[k, :n, :n].numpy(), order), k
        assert bool(data.valence_ok[k]) == ok, k
        assert int(data.bonds[k, n:].abs().sum()) == 0 == int(data.bonds[k, :, n:].abs().sum())
