"""Helpers shared by the tests: papers put straight into a store, the real CLI.

(A plain module, not conftest.py: ``tests/reproductions`` has a conftest of its own, and
``from kbtest import ...`` would pick whichever was imported first.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kb.config import KB
from kb.models import Author, Paper

MTLKB = [sys.executable, "-m", "kb"]


def make_paper(**overrides) -> Paper:
    data = dict(
        title="An Overview of Multi-Task Learning in Deep Neural Networks",
        authors=[Author(first="Sebastian", last="Ruder")],
        year=2017,
        arxiv_id="1706.05098",
        abstract="Multi-task learning has led to successes in many applications.",
    )
    data.update(overrides)
    return Paper(**data)


def put(kb: KB, *papers: Paper):
    from kb.store.papers import PaperWriter

    with kb.write() as db:
        writer = PaperWriter(db)
        return [writer.put(p) for p in papers]


def run_cli(kb: KB | Path | None, *args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``mtlkb`` command with ``MTLKB_HOME`` set to ``kb``."""
    full_env = dict(os.environ)
    full_env.pop("MTLKB_HOME", None)
    if kb is not None:
        full_env["MTLKB_HOME"] = str(kb.root if isinstance(kb, KB) else kb)
    full_env.update(env or {})
    return subprocess.run(
        [*MTLKB, *args], capture_output=True, text=True, env=full_env, input=input,
        timeout=timeout,
    )


def zensical_exe() -> str:
    """The ``zensical`` command of this environment (a dev dependency: Material's successor)."""
    import shutil

    exe = shutil.which("zensical", path=str(Path(sys.executable).parent)) or shutil.which(
        "zensical"
    )
    assert exe, "zensical is not installed (pip install -e '.[dev]')"
    return exe
