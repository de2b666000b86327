"""Reproduction runs (table ``runs``), read and written as :class:`~kb.models.run.Run`."""

from __future__ import annotations

from typing import Any

from kb.models.run import Run
from kb.store.rows import conn_of, rows


def put_run(db: Any, run: Run) -> None:
    """Insert (or replace) a whole run."""
    row = run.row()
    cols = ", ".join(row)
    conn_of(db).execute(
        f"INSERT OR REPLACE INTO runs ({cols}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )


# What finishing a run sets; the rest of its row (config, versions, pid, ...) stays as started.
END_FIELDS = ("status", "finished_at", "wall_s", "error", "metrics", "verdicts", "artifacts")


def put_end(db: Any, run: Run) -> None:
    """Write how ``run`` ended (its ``END_FIELDS``) into its stored row."""
    row = run.row()
    conn_of(db).execute(
        f"UPDATE runs SET {', '.join(f'{name} = ?' for name in END_FIELDS)} WHERE id = ?",
        [*(row[name] for name in END_FIELDS), run.id])


def get_run(db: Any, run_id: str) -> Run | None:
    found = rows(db, "SELECT * FROM runs WHERE id = ?", [run_id])
    return Run(**found[0]) if found else None


def runs_of(db: Any, reproduction: str) -> list[Run]:
    """The stored runs of a reproduction, newest first."""
    return [Run(**r) for r in rows(
        db, "SELECT * FROM runs WHERE reproduction = ? ORDER BY started_at DESC, id DESC",
        [reproduction])]


def running_on(db: Any, host: str) -> list[tuple[str, int]]:
    """``(id, pid)`` of the runs recorded ``running`` by a process on ``host``."""
    return [(r[0], r[1]) for r in conn_of(db).execute(
        "SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
        [host])]


def mark_interrupted(db: Any, run_id: str, finished_at: str, error: str) -> None:
    """A ``running`` run whose process is gone becomes ``interrupted`` (others untouched)."""
    conn_of(db).execute(
        "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? "
        "WHERE id = ? AND status = 'running'", [finished_at, error, run_id])
