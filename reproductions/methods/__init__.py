"""Multi-task methods: each combines T per-task losses into one update.

``METHODS`` maps each registry id to its class; see :mod:`reproductions.methods.base`
for the contract (``Method.backward`` is the one call a training loop makes).
"""

from __future__ import annotations

from reproductions.methods.base import Method
from reproductions.methods.cagrad import CAGrad
from reproductions.methods.dwa import DWA
from reproductions.methods.famo import FAMO
from reproductions.methods.graddrop import GradDrop
from reproductions.methods.gradnorm import GradNorm
from reproductions.methods.imtl import IMTLG
from reproductions.methods.ls import LinearScalarization
from reproductions.methods.mgda import MGDA
from reproductions.methods.nash_mtl import NashMTL
from reproductions.methods.pcgrad import PCGrad
from reproductions.methods.rlw import RLW
from reproductions.methods.uncertainty import UncertaintyWeighting

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
    "CAGrad",
    "DWA",
    "FAMO",
    "IMTLG",
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
