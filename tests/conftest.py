"""Shared fixtures: a temporary, initialised KB."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.config import KB


@pytest.fixture
def tmp_kb(tmp_path: Path) -> KB:
    """An initialised, empty KB in a temporary folder."""
    from kb.core.init import init_kb

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    yield kb
    kb.close()
