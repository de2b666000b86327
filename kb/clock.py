"""The one clock the store and the runs stamp their rows with."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_stamp_cache: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601 (``2026-01-01T12:00:00+00:00``); made
    once a second (an import stamps thousands of rows)."""
    global _stamp_cache
    second = int(time.time())
    if _stamp_cache[0] != second:
        _stamp_cache = (second, datetime.fromtimestamp(second, UTC).isoformat())
    return _stamp_cache[1]
