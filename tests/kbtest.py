"""Helpers shared by the tests: papers put straight into a store, the real CLI.

(A plain module, not conftest.py: ``tests/reproductions`` has a conftest of its own, and
``from kbtest import ...`` would pick whichever was imported first.)
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from kb.config import KB
from kb.models import Author, Paper

MTLKB = [sys.executable, "-m", "kb"]  # the real command, where the process is the point


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


@dataclass
class CliResult:
    """What a run of the command gave: like ``subprocess.CompletedProcess``."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def exit_code(self) -> int:  # click's name
        return self.returncode

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(kb: KB | Path | None, *args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 120, cwd: Path | None = None) -> CliResult:
    """Run ``mtlkb ARGS`` in-process (typer's CliRunner) with ``MTLKB_HOME`` set to ``kb``.

    The one CLI harness of the tests. The environment is the test's, with ``env`` on top
    (a value of None unsets a variable), in ``cwd`` if given;
    an uncaught exception is status 1 with its traceback on stderr, as in a real process.
    Tests that need a real process (start-up imports, signals, concurrency) spawn one.
    """
    from typer.testing import CliRunner

    from kb.cli import app

    full_env: dict[str, str | None] = {"MTLKB_HOME": None}
    if kb is not None:
        full_env["MTLKB_HOME"] = str(kb.root if isinstance(kb, KB) else kb)
    full_env.update(env or {})
    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(app, list(args), env=full_env, input=input,
                                    catch_exceptions=True)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        stderr += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        code = 1
    return CliResult(list(args), code, result.stdout, stderr)


def zensical_exe() -> str:
    """The ``zensical`` command of this environment (a dev dependency: Material's successor)."""
    import shutil

    exe = shutil.which("zensical", path=str(Path(sys.executable).parent)) or shutil.which(
        "zensical"
    )
    assert exe, "zensical is not installed (pip install -e '.[dev]')"
    return exe
