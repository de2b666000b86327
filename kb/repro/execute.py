"""Running one reproduction and recording it (``mtlkb repro run``).

This module never imports torch at import time: :func:`execute_run` imports the runner inside.
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kb.config import KB, KBError
from kb.files import write_atomic
from kb.models.run import Run
from kb.repro.runs import finish_run, get_run, start_run
from reproductions import registry
from reproductions.spec import Reproduction

if TYPE_CHECKING:
    from reproductions.runner import Progress


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C during a run, so the row is marked interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute_run(
    kb: KB,
    repro: Reproduction | str,
    *,
    scale: str = "smoke",
    seed: int = 0,
    device: str = "auto",
    progress: Progress | None = None,
    overrides: dict[str, Any] | None = None,
) -> Run:
    """Run one reproduction (a registry entry, or its id) and record it; returns the run.

    Ctrl-C (or SIGTERM) marks the run ``interrupted`` and re-raises KeyboardInterrupt; a crash
    marks it ``failed``; both keep the traceback in the ``error`` column and in
    ``<run dir>/traceback.txt``.
    """
    from reproductions import runner

    if isinstance(repro, str):
        try:
            repro = registry.get(repro)
        except registry.UnknownReproduction as exc:
            raise KBError(str(exc)) from None
    repro_id = repro.id
    try:
        dev = runner.select_device(device)
    except runner.DeviceError as exc:
        raise KBError(str(exc)) from None
    try:
        config = runner.make_config(repro_id, scale, seed, **(overrides or {}))
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):  # a pydantic ValidationError: one line per field, keep the first
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "config"
            raise KBError(f"bad config for {repro_id}: {where}: {first.get('msg')}") from None
        raise KBError(str(exc).splitlines()[0]) from None
    run_id = start_run(
        kb, repro_id, scale=scale, seed=seed, device=str(dev),
        device_name=runner.device_name(dev), config=config.model_dump(),
        versions=runner.versions(), git_commit=runner.git_commit(),
    )
    out_dir = kb.runs_dir / run_id
    t0 = time.perf_counter()

    def fail_with(status: str) -> None:
        tb = traceback.format_exc()
        artifacts = []
        try:
            write_atomic(out_dir / "traceback.txt", tb, fsync=False)
            artifacts.append(kb.rel(out_dir / "traceback.txt"))
        except OSError:
            pass
        finish_run(kb, run_id, status=status, error=tb, artifacts=artifacts,
                   wall_s=round(time.perf_counter() - t0, 3))

    try:
        with _sigterm_as_interrupt():
            result = runner.execute(repro_id, config, dev, out_dir=out_dir,
                                    progress=progress)
    except KeyboardInterrupt:
        fail_with("interrupted")
        raise
    except Exception:
        fail_with("failed")
    else:
        finish_run(
            kb, run_id, status="done", metrics=result.metrics,
            verdicts=[v.model_dump() for v in result.verdicts],
            artifacts=[kb.rel(out_dir / name) for name in result.artifacts],
            wall_s=round(time.perf_counter() - t0, 3),
        )
    run = get_run(kb, run_id)
    assert run is not None
    return run
