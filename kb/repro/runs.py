"""Reproduction runs: recording them, reference runs, summaries.

A run is a :class:`~kb.models.run.Run` stored in ``runs`` (status ``running`` -> ``done`` |
``failed`` | ``interrupted``) plus its artifacts in ``kb.runs_dir/<run_id>/``;
:mod:`kb.repro.execute` runs one and records it, :mod:`kb.repro.links` links papers to
reproductions. The SQL is in :mod:`kb.store.runs`.

Committed reference runs (``reproductions/reference/*.json``) are merged into
:func:`runs_for` at query time (``reference = True``) without being written to the store.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.models.reproduction import ReproductionStatus
from kb.models.run import STATUSES, Run, RunSummary
from kb.store import runs as store
from reproductions import registry
from reproductions.spec import Reproduction

REFERENCE_DIR = Path(registry.__file__).resolve().parent / "reference"

__all__ = [
    "REFERENCE_DIR", "STATUSES", "Run", "finish_run", "get_run",
    "last_verdict", "list_reproductions", "new_run_id", "now_iso", "own_and_reference",
    "record_run", "reference_runs", "reproduction_summary", "run_summary", "runs_for",
    "start_run", "sweep_stale_runs",
]


def new_run_id(repro_id: str, seed: int | None = None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    tail = f"-s{seed}" if seed is not None else ""
    return f"{repro_id}-{stamp}{tail}-{secrets.token_hex(3)}"


def record_run(kb: KB, run: Run) -> str:
    """Insert (or replace) one complete run; returns its id."""
    with kb.write() as db:
        store.put_run(db, run)
    return run.id


def start_run(
    kb: KB,
    repro_id: str,
    *,
    scale: str,
    seed: int,
    device: str,
    device_name: str | None,
    config: dict[str, Any],
    versions: dict[str, str] | None = None,
    git_commit: str | None = None,
    run_id: str | None = None,
) -> str:
    """Record a run of ``repro_id`` (a registered id) as ``running``; returns its id."""
    return record_run(kb, Run(
        id=run_id or new_run_id(repro_id, seed), reproduction=repro_id, status="running",
        device=device, device_name=device_name, seed=seed, scale=scale, config=config,
        started_at=now_iso(), versions=versions or {}, git_commit=git_commit,
        pid=os.getpid(), host=socket.gethostname(),
    ))


def finish_run(
    kb: KB,
    run_id: str,
    *,
    status: str,
    metrics: dict[str, Any] | None = None,
    verdicts: list[dict[str, Any]] | None = None,
    artifacts: list[str] | None = None,
    wall_s: float | None = None,
    error: str | None = None,
) -> None:
    """Record how a started run ended: its final status, time, error and the results given
    (metrics, verdicts, artifacts left as they were where None)."""
    if status not in STATUSES or status == "running":
        raise KBError(f"bad final status {status!r}")
    with kb.write() as db:
        run = store.get_run(db, run_id)
        if run is None:
            raise KBError(f"no run {run_id!r} to finish (its row was removed while it ran)")
        store.put_end(db, Run.model_validate({
            **run.model_dump(), "status": status, "finished_at": now_iso(), "wall_s": wall_s,
            "error": error, "metrics": run.metrics if metrics is None else metrics,
            "verdicts": run.verdicts if verdicts is None else verdicts,
            "artifacts": run.artifacts if artifacts is None else artifacts,
        }))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def sweep_stale_runs(kb: KB) -> list[str]:
    """Mark ``interrupted`` the running runs whose process on this host is gone.

    SIGTERM and Ctrl-C are recorded by the run itself; SIGKILL, an out-of-memory kill or a
    power cut leave the row ``running``. Rows from another host (a KB on a shared drive)
    and rows recorded before the pid was kept are left alone. Returns the swept ids. A
    read-only KB is read as it is (a read command never needs the write lock).
    """
    if not kb.has_store or kb.read_only:
        return []
    host = socket.gethostname()
    stale = [(rid, pid) for rid, pid in store.running_on(kb.conn, host)
             if pid != os.getpid() and not _process_alive(pid)]
    if not stale:
        return []
    with kb.write() as db:
        for rid, pid in stale:
            store.mark_interrupted(
                db, rid, now_iso(),
                f"the run's process (pid {pid} on {host}) ended without recording a result: "
                "killed (SIGKILL, out of memory) or the machine stopped")
    return [rid for rid, _ in stale]


def get_run(kb: KB, run_id: str) -> Run | None:
    """A stored or reference run by id."""
    sweep_stale_runs(kb)
    run = store.get_run(kb.conn, run_id) if kb.has_store else None
    if run is not None:
        return run
    return next((r for r in reference_runs() if r.id == run_id), None)


def runs_for(kb: KB, reproduction_id: str, *, include_reference: bool = True) -> list[Run]:
    """Every run of a reproduction, newest first (committed reference runs merged in)."""
    sweep_stale_runs(kb)
    found = store.runs_of(kb.conn, reproduction_id) if kb.has_store else []
    if include_reference:
        seen = {r.id for r in found}
        found += [r for r in reference_runs(reproduction_id) if r.id not in seen]
        found.sort(key=lambda r: (r.started_at or "", r.id), reverse=True)
    return found


def reference_runs(reproduction_id: str | None = None) -> list[Run]:
    """The committed reference runs (``reproductions/reference/*.json``)."""
    out: list[Run] = []
    if not REFERENCE_DIR.is_dir():
        return out
    for path in sorted(REFERENCE_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            run = Run(**{**data, "reference": True})
        except (OSError, json.JSONDecodeError, TypeError, ValidationError):
            continue
        if reproduction_id and run.reproduction != reproduction_id:
            continue
        out.append(run)
    return out


def run_summary(run: Run | None) -> RunSummary | None:
    """The short form of a run: what ``list``/``show`` print beside a reproduction."""
    return run.summary() if run is not None else None


def last_verdict(kb: KB, repro_id: str) -> str | None:
    """The verdict of this KB's latest run of a reproduction (bundled references aside)."""
    own = runs_for(kb, repro_id, include_reference=False)
    return own[0].verdict if own else None


def own_and_reference(runs: list[Run]) -> tuple[list[Run], Run | None]:
    """This KB's own runs (in the order given: newest first) and, apart from them, the bundled
    reference run a reproduction shows: the finished full-scale one, else the first finished."""
    own = [r for r in runs if not r.reference]
    refs = [r for r in runs if r.reference and r.status == "done"]
    return own, next((r for r in refs if r.scale == "full"), refs[0] if refs else None)


def reproduction_summary(kb: KB, repro: Reproduction) -> ReproductionStatus:
    """A reproduction with its ``latest`` run here and its bundled ``reference`` run, apart.

    ``last_verdict``/``last_verdict_scale`` are the latest run's, never the reference's: a
    smoke run that failed shows failed even where the bundled full-scale run passed.
    ``latest_run`` is the run whose results a page shows: the latest, else the reference.
    """
    own, reference = own_and_reference(runs_for(kb, repro.id))
    latest = own[0] if own else None
    return ReproductionStatus.of(
        repro,
        last_verdict=latest.verdict if latest else None,
        last_verdict_scale=latest.scale if latest else None,
        latest=run_summary(latest), reference=run_summary(reference),
        latest_run=run_summary(latest or reference), n_runs=len(own),
    )


def list_reproductions(kb: KB) -> list[ReproductionStatus]:
    return [reproduction_summary(kb, r) for r in registry.REPRODUCTIONS]
