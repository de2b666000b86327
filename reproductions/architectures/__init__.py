"""Multi-task architectures; see :mod:`reproductions.architectures.base` for the contract."""

from __future__ import annotations

from reproductions.architectures.base import MultiTaskModel, mlp
from reproductions.architectures.cross_stitch import CrossStitch, CrossStitchUnit
from reproductions.architectures.hard_sharing import HardSharing
from reproductions.architectures.mmoe import MMoE
from reproductions.architectures.mtan import MTAN
from reproductions.architectures.ple import PLE
from reproductions.architectures.single_task import SingleTask

ARCHITECTURES: dict[str, type[MultiTaskModel]] = {
    "hard_sharing": HardSharing,
    "cross_stitch": CrossStitch,
    "mmoe": MMoE,
    "mtan": MTAN,
    "ple": PLE,
    "single_task": SingleTask,
}

__all__ = [
    "ARCHITECTURES",
    "MTAN",
    "CrossStitch",
    "CrossStitchUnit",
    "HardSharing",
    "MMoE",
    "MultiTaskModel",
    "PLE",
    "SingleTask",
    "mlp",
]
