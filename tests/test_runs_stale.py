"""A run whose process was killed outright (SIGKILL, OOM) is not left ``running`` forever."""

import os
import socket
import subprocess
import sys

from kb.repro import runs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running(kb, run_id: str, **extra) -> None:
    runs.record_run(kb, runs.Run(id=run_id, reproduction="toy-pareto", status="running",
                                 seed=0, scale="smoke", started_at=runs.now_iso(), **extra))


def test_killed_runs_are_swept_and_live_or_foreign_ones_kept(tmp_kb):
    host = socket.gethostname()
    _running(tmp_kb, "dead", pid=_dead_pid(), host=host)
    _running(tmp_kb, "alive", pid=os.getpid(), host=host)
    _running(tmp_kb, "elsewhere", pid=_dead_pid(), host=host + "-other")
    _running(tmp_kb, "legacy")  # recorded before pids were kept
    by_id = {r.id: r for r in runs.runs_for(tmp_kb, "toy-pareto", include_reference=False)}
    assert by_id["dead"].status == "interrupted"
    assert "ended without recording a result" in (by_id["dead"].error or "")
    assert by_id["dead"].finished_at
    assert {by_id[k].status for k in ("alive", "elsewhere", "legacy")} == {"running"}
    assert runs.sweep_stale_runs(tmp_kb) == []  # idempotent


def test_a_real_sigkilled_run_is_reported_interrupted(tmp_kb):
    """A child process starts a run and is SIGKILLed; the next read marks it interrupted."""
    code = (
        "import os, sys, signal\n"
        "from kb.config import KB\n"
        "from kb.repro import runs\n"
        "kb = KB(sys.argv[1])\n"
        "rid = runs.start_run(kb, 'toy-pareto', scale='smoke', seed=0, device='cpu',\n"
        "                     device_name=None, config={}, run_id='killed-run')\n"
        "kb.close()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_kb.root)], capture_output=True)
    assert proc.returncode == -9, proc.stderr
    run = runs.get_run(tmp_kb, "killed-run")
    assert run is not None and run.status == "interrupted"
    assert run.host == socket.gethostname()
