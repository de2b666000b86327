"""qm9: the smoke run's sanity verdicts hold on a CPU; seeded runs repeat exactly; the data
module rebuilds Nash-MTL's targets and features from the qm9pack wheel; the dense MPNN
computes PyG's NNConv / Set2Set network."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import torch
from experiment_checks import assert_reproducible, run_smoke, smoke_never_fails

from reproductions import runner

# qm9pack's own __init__ needs pkg_resources: only its data files are used, never imported
pytestmark = pytest.mark.skipif(importlib.util.find_spec("qm9pack") is None,
                                reason="qm9pack (the 'repro' extra) ships QM9")

RID = "qm9"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.getbasetemp() / "cache" / "qm9")


@pytest.fixture(scope="module")
def data(cache_dir):
    from reproductions.data import qm9

    return qm9.load(cache_dir)


def test_smoke_verdicts_hold(tmp_path) -> None:
    # seed 0 trains seeds 0 and 1 (n_seeds = 2); the cache lands beside the run folder
    result = run_smoke(RID, tmp_path)
    assert (tmp_path.parent / "cache" / "qm9").is_dir()
    assert set(result.metrics["summary"]) == {"ls", "nashmtl", "famo", "uw", "imtl_l"}
    for comp in result.metrics["comparisons"].values():
        assert comp["n"] == 2 and comp["outcome"] in ("passed", "failed", "inconclusive")
    compared = [v for v in result.verdicts if v.interval is not None]
    assert len(compared) == 2 and all(v.n_seeds == 2 for v in compared)


# qm9's smoke trains 32 small networks (about a CPU minute): seeds 1 and 2 each once, with
# the thread count the seed-0 run above did not use, cover seeds 0-2 and 1-2 threads
@pytest.mark.parametrize(("seed", "threads"), [(1, 2), (2, 1)])
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
