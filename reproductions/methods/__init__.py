"""Multi-task methods: each combines T per-task losses into one update.

``METHODS`` maps each registry id to its class; see :mod:`reproductions.methods.base`
for the contract (``Method.backward`` is the one call a training loop makes).
"""

from __future__ import annotations

from reproductions.methods.aligned_mtl import AlignedMTL
from reproductions.methods.base import Method
from reproductions.methods.cagrad import CAGrad
from reproductions.methods.config import ConFIG
from reproductions.methods.db_mtl import DBMTL
from reproductions.methods.dwa import DWA
from reproductions.methods.fairgrad import FairGrad
from reproductions.methods.famo import FAMO
from reproductions.methods.gls import GLS
from reproductions.methods.graddrop import GradDrop
from reproductions.methods.gradnorm import GradNorm
from reproductions.methods.gradvac import GradVac
from reproductions.methods.imtl import IMTLG
from reproductions.methods.imtl_l import IMTLL
from reproductions.methods.ls import LinearScalarization
from reproductions.methods.mgda import MGDA
from reproductions.methods.nash_mtl import NashMTL
from reproductions.methods.pcgrad import PCGrad
from reproductions.methods.rlw import RLW
from reproductions.methods.uncertainty import UncertaintyWeighting
from reproductions.methods.upgrad import UPGrad

METHODS: dict[str, type[Method]] = {
    cls.name: cls
    for cls in (
        LinearScalarization,
        UncertaintyWeighting,
        GradNorm,
        DWA,
        MGDA,
        PCGrad,
        GradDrop,
        CAGrad,
        IMTLG,
        NashMTL,
        RLW,
        FAMO,
        UPGrad,
        AlignedMTL,
        FairGrad,
        GradVac,
        DBMTL,
        IMTLL,
        ConFIG,
        GLS,
    )
}


def make_method(name: str, n_tasks: int, **hparams: object) -> Method:
    """Instantiate the method registered as ``name`` (``"mgda_ub"`` = MGDA on the
    representation)."""
    if name == "mgda_ub":
        hparams = {"use_representation": True, **hparams}
        name = "mgda"
    try:
        cls = METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; known: {sorted(METHODS)}") from None
    return cls(n_tasks, **hparams)


__all__ = [
    "DBMTL",
    "DWA",
    "FAMO",
    "GLS",
    "IMTLG",
    "IMTLL",
    "AlignedMTL",
    "CAGrad",
    "ConFIG",
    "FairGrad",
    "GradVac",
    "UPGrad",
    "METHODS",
    "MGDA",
    "GradDrop",
    "GradNorm",
    "LinearScalarization",
    "Method",
    "NashMTL",
    "PCGrad",
    "RLW",
    "UncertaintyWeighting",
    "make_method",
]
