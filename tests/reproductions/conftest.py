"""Make the repository root and this folder importable (``reproductions``, ``method_checks``)."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _p in (_HERE.parents[1], _HERE):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))
