"""The reproductions: metadata only, one line each; the experiment module is imported lazily.

Adding a reproduction takes one module in ``reproductions/experiments/``, one entry below and
one test file ``tests/reproductions/test_exp_<name>.py``. Importing this file never imports
torch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reproductions.spec import Reproduction

_EXP = "reproductions.experiments."

REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(id="toy-pareto", title="Two-objective toy: reaching the Pareto front (CAGrad / Nash-MTL / FAMO)", arxiv_ids=("2110.14048", "2202.01017", "2306.03792"), claim="CAGrad (c=0.5) converges to the average-loss optimum (0, -8.3552) from all three starts while equal-weight Adam stalls away from the front from at least one; with f1 scaled by 0.1, Nash-MTL and FAMO reach the Pareto front from all five starts and linear scalarisation does not from (9, 9).", module=_EXP + "toy_pareto"),  # noqa: E501
    Reproduction(id="kendall-uncertainty", title="Uncertainty weighting recovers the tasks' noise (Kendall, Gal & Cipolla 2018)", arxiv_ids=("1705.07115",), claim="Learning the homoscedastic log-variances of two regression tasks recovers their true noise standard deviations (10, 1) within 25%.", module=_EXP + "kendall_uncertainty"),  # noqa: E501
    Reproduction(id="gradnorm-synthetic", title="GradNorm on the synthetic tanh regression tasks (Chen et al. 2018, sec. 4)", arxiv_ids=("1711.02257",), claim="GradNorm's learned task weights order inversely to the tasks' scales sigma_i, and the spread of the tasks' loss ratios L_i(t)/L_i(0) is smaller than under equal weighting.", module=_EXP + "gradnorm_synthetic"),  # noqa: E501
    Reproduction(id="multimnist", title="MultiMNIST: MGDA-UB vs uniform scaling vs single-task, and later weighting methods", arxiv_ids=("1810.04650", "1904.08918", "2001.06782"), claim="On MultiMNIST, MGDA-UB's mean accuracy over the two digits is at least that of uniform scaling and of single-task networks (Sener & Koltun 2018; the ranking is checked, the paper's numbers were not retrieved).", module=_EXP + "multimnist"),  # noqa: E501
    Reproduction(id="mmoe-synthetic", title="MMoE and CGC/PLE vs shared-bottom on synthetic tasks of controlled correlation (Ma et al., KDD 2018; Tang et al., RecSys 2020)", claim="MMoE's advantage over a shared-bottom model grows as the tasks' correlation falls (Ma et al.), and PLE's test error is below MMoE's on both tasks at every correlation (Tang et al.), each decided over repeats by the interval of the paired difference.", module=_EXP + "mmoe_synthetic", doi="10.1145/3219819.3220007", paper_keys=("tang2020progressive",)),  # noqa: E501
    Reproduction(id="cross-stitch", title="Cross-stitch units vs hard sharing vs split networks on MultiMNIST", arxiv_ids=("1604.03539",), claim="A cross-stitch network is at least as good as the better of the split (single-task) and fully shared networks.", module=_EXP + "cross_stitch"),  # noqa: E501
    Reproduction(id="mtan-multimnist", title="MTAN vs a split network under equal, DWA and uncertainty weighting on MultiMNIST (Liu, Johns & Davison, CVPR 2019)", arxiv_ids=("1803.10704",), claim="On MultiMNIST, an MTAN network beats the split (hard-sharing) network it is built on, with equal weights, and its accuracy varies less across equal, DWA and uncertainty weighting, each decided over repeats by the interval of the paired difference.", module=_EXP + "mtan_multimnist"),  # noqa: E501
    Reproduction(id="qm9", title="QM9: 11-target molecular property regression (Nash-MTL / FAMO benchmark), Delta_m% vs single-task", arxiv_ids=("2202.01017", "2306.03792", "2001.06782"), claim="On QM9's 11 regression targets with Nash-MTL's message-passing network, Nash-MTL and FAMO reach a lower Delta_m% (vs single-task networks) than linear scalarisation, decided over seeds by the interval of the paired difference.", module=_EXP + "qm9"),  # noqa: E501
)

_BY_ID = {r.id: r for r in REPRODUCTIONS}
if len(_BY_ID) != len(REPRODUCTIONS):  # pragma: no cover - guards a bad edit
    raise RuntimeError("duplicate reproduction id in reproductions/registry.py")


class UnknownReproduction(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return f"unknown reproduction {self.args[0]!r} (known: {', '.join(ids())})"


def ids() -> list[str]:
    return [r.id for r in REPRODUCTIONS]


def get(repro_id: str) -> Reproduction:
    try:
        return _BY_ID[repro_id]
    except KeyError:
        raise UnknownReproduction(repro_id) from None


def by_arxiv_id(arxiv_id: str) -> list[Reproduction]:
    """Reproductions linked to an arXiv id (a version suffix such as ``v2`` is ignored)."""
    bare = strip_version(arxiv_id)
    return [r for r in REPRODUCTIONS if bare in r.arxiv_ids]


def strip_version(arxiv_id: str) -> str:
    head, _, tail = arxiv_id.strip().rpartition("v")
    if head and tail.isdigit() and head[-1:].isdigit():
        return head
    return arxiv_id.strip()


def load(repro_id: str) -> ModuleType:
    """Import the experiment module (this imports torch)."""
    return importlib.import_module(get(repro_id).module)
