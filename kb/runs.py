"""Reproduction runs in the store: rows, reference runs, summaries.

A run is a row in ``runs`` (status ``running`` -> ``done`` | ``failed`` | ``interrupted``)
plus its artifacts in ``kb.runs_dir/<run_id>/``; :mod:`kb.run_exec` runs one and records it,
:mod:`kb.repro_links` links papers to reproductions.

Committed reference runs (``reproductions/reference/*.json``) are merged into
:func:`runs_for` at query time (``reference = 1``) without being written to the store.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.clock import now_iso
from kb.config import KB, KBError
from reproductions import registry
from reproductions.spec import Reproduction, overall_verdict

JSON_COLUMNS = ("config", "metrics", "verdicts", "artifacts", "versions")
STATUSES = ("running", "done", "failed", "interrupted")
REFERENCE_DIR = Path(registry.__file__).resolve().parent / "reference"


def new_run_id(repro_id: str, seed: int | None = None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    tail = f"-s{seed}" if seed is not None else ""
    return f"{repro_id}-{stamp}{tail}-{secrets.token_hex(3)}"


# -- rows --------------------------------------------------------------------------------
def _encode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for col in JSON_COLUMNS:
        if col in out and out[col] is not None and not isinstance(out[col], str):
            out[col] = json.dumps(out[col], sort_keys=True, default=str)
    return out


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for col in JSON_COLUMNS:
        value = out.get(col)
        if isinstance(value, str):
            try:
                out[col] = json.loads(value)
            except json.JSONDecodeError:
                pass
    out["reference"] = bool(out.get("reference"))
    return out


def query_rows(kb: KB, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Query the store; reading a folder without a store yet reads nothing (creates nothing)."""
    if "db" not in kb.__dict__ and not kb.db_path.is_file():
        return []
    cur = kb.db.conn.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def record_run(kb: KB, row: dict[str, Any]) -> str:
    """Insert (or replace) one complete run row; returns its id.

    ``row`` uses the ``runs`` columns; JSON columns may be given as Python objects.
    """
    row = dict(row)
    row.setdefault("id", new_run_id(row["reproduction"], row.get("seed")))
    row.setdefault("status", "done")
    if row["status"] not in STATUSES:
        raise KBError(f"bad run status {row['status']!r}")
    row["reference"] = int(bool(row.get("reference", 0)))
    with kb.write() as db:
        db["runs"].insert(_encode(row), replace=True)
    return row["id"]


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
    """Record a run as ``running``; returns its id."""
    registry.get(repro_id)
    return record_run(kb, {
        "id": run_id or new_run_id(repro_id, seed),
        "reproduction": repro_id,
        "status": "running",
        "device": device,
        "device_name": device_name,
        "seed": seed,
        "scale": scale,
        "config": config,
        "artifacts": [],
        "started_at": now_iso(),
        "versions": versions or {},
        "git_commit": git_commit,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    })


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
    if status not in STATUSES or status == "running":
        raise KBError(f"bad final status {status!r}")
    update: dict[str, Any] = {"status": status, "finished_at": now_iso(), "wall_s": wall_s,
                              "error": error}
    if metrics is not None:
        update["metrics"] = metrics
    if verdicts is not None:
        update["verdicts"] = verdicts
    if artifacts is not None:
        update["artifacts"] = artifacts
    with kb.write() as db:
        db["runs"].update(run_id, _encode(update))


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
    and rows recorded before the pid was kept are left alone. Returns the swept ids.
    """
    host = socket.gethostname()
    stale = [
        r for r in query_rows(kb, "SELECT id, pid, started_at FROM runs "
                             "WHERE status = 'running' AND host = ? AND pid IS NOT NULL", [host])
        if r["pid"] != os.getpid() and not _process_alive(r["pid"])
    ]
    if not stale:
        return []
    with kb.write() as db:
        for r in stale:
            db.conn.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? "
                "WHERE id = ? AND status = 'running'",
                [now_iso(), f"the run's process (pid {r['pid']} on {host}) ended without "
                 "recording a result: killed (SIGKILL, out of memory) or the machine stopped",
                 r["id"]],
            )
    return [r["id"] for r in stale]


def get_run(kb: KB, run_id: str) -> dict[str, Any] | None:
    sweep_stale_runs(kb)
    rows = query_rows(kb, "SELECT * FROM runs WHERE id = ?", [run_id])
    if rows:
        return _decode(rows[0])
    for ref in reference_runs():
        if ref["id"] == run_id:
            return ref
    return None


def runs_for(kb: KB, reproduction_id: str, *, include_reference: bool = True) -> list[dict]:
    """Every run of a reproduction, newest first (committed reference runs merged in)."""
    sweep_stale_runs(kb)
    rows = [_decode(r) for r in query_rows(
        kb, "SELECT * FROM runs WHERE reproduction = ? ORDER BY started_at DESC, id DESC",
        [reproduction_id])]
    if include_reference:
        seen = {r["id"] for r in rows}
        rows += [r for r in reference_runs(reproduction_id) if r["id"] not in seen]
        rows.sort(key=lambda r: (r.get("started_at") or "", r["id"]), reverse=True)
    return rows


def reference_runs(reproduction_id: str | None = None) -> list[dict[str, Any]]:
    """The committed reference runs (``reproductions/reference/*.json``)."""
    out = []
    if not REFERENCE_DIR.is_dir():
        return out
    for path in sorted(REFERENCE_DIR.glob("*.json")):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(row, dict) or "id" not in row or "reproduction" not in row:
            continue
        if reproduction_id and row["reproduction"] != reproduction_id:
            continue
        row = _decode(row)
        row["reference"] = True
        out.append(row)
    return out


def run_summary(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """The short form of a run: what ``list``/``show`` print beside a reproduction."""
    if run is None:
        return None
    return {
        "run_id": run["id"],
        "status": run["status"],
        "scale": run.get("scale"),
        "seed": run.get("seed"),
        "device": run.get("device"),
        "started_at": run.get("started_at"),
        "wall_s": run.get("wall_s"),
        "verdict": overall_verdict(run.get("verdicts")) if run["status"] == "done" else None,
        "reference": bool(run.get("reference")),
    }


def _deciding_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run whose verdict stands: the newest finished full-scale run, else the newest
    finished run at any scale (a smoke run's verdicts are sanity checks; see ``scale``)."""
    done = [r for r in runs if r["status"] == "done" and r.get("verdicts")]
    full = [r for r in done if r.get("scale") == "full"]
    return (full or done or [None])[0]


def last_verdict(kb: KB, repro_id: str) -> str | None:
    """``'passed'`` / ``'failed'`` from the deciding run (see :func:`_deciding_run`), or None."""
    run = _deciding_run(runs_for(kb, repro_id))
    return overall_verdict(run["verdicts"]) if run else None


def reproduction_summary(kb: KB, repro: Reproduction) -> dict[str, Any]:
    runs = runs_for(kb, repro.id)
    deciding = _deciding_run(runs)
    out = repro.summary()
    out["last_verdict"] = overall_verdict(deciding["verdicts"]) if deciding else None
    out["last_verdict_scale"] = deciding.get("scale") if deciding else None
    out["latest_run"] = run_summary(runs[0] if runs else None)
    out["n_runs"] = len(runs)
    return out


def list_reproductions(kb: KB) -> list[dict[str, Any]]:
    return [reproduction_summary(kb, r) for r in registry.REPRODUCTIONS]


def public_run(run: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape of ``repro run --json`` and of the runs in ``repro show --json``."""
    return {
        "run_id": run["id"],
        "reproduction": run["reproduction"],
        "status": run["status"],
        "device": run.get("device"),
        "device_name": run.get("device_name"),
        "scale": run.get("scale"),
        "seed": run.get("seed"),
        "metrics": run.get("metrics") or {},
        "verdicts": run.get("verdicts") or [],
        "verdict": overall_verdict(run.get("verdicts")) if run["status"] == "done" else None,
        "artifacts": run.get("artifacts") or [],
        "config": run.get("config") or {},
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "wall_s": run.get("wall_s"),
        "git_commit": run.get("git_commit"),
        "versions": run.get("versions") or {},
        "error": run.get("error"),
        "reference": bool(run.get("reference")),
    }
