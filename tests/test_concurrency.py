"""Two ``mtlkb import`` processes on the same KB at the same time: both succeed, nothing lost.

The store takes the write lock up front (``BEGIN IMMEDIATE``) with a busy timeout, so the
second importer waits for the first instead of failing with "database is locked"; its
identity indexes are loaded inside the lock, so records of the same paper in both files
merge instead of colliding.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

MTLKB = shutil.which("mtlkb", path=str(Path(sys.executable).parent)) or shutil.which("mtlkb")

N = 3000  # entries per file
SHARED = 100  # papers present in both files (same arXiv id, different keys)


def _bib(prefix: str, n: int, shared_from: int) -> str:
    out = []
    for i in range(n):
        if i < SHARED:
            arxiv = f"2101.{i:05d}"
            title = f"Shared Paper Number {i}"
        else:
            arxiv = f"2{shared_from + 1}03.{i:05d}"
            title = f"{prefix.upper()} Paper {i} on Multi-Task M{{\\\"u}}ller Weighting"
        out.append(
            f"@misc{{{prefix}{i},\n  title = {{{title}}},\n"
            f"  author = {{Author{i % 97}, Ann and {{Team {prefix}}}}},\n  year = 2021,\n"
            f"  eprint = {{{arxiv}}},\n  archivePrefix = {{arXiv}},\n"
            f"  keywords = {{mtl, {prefix}-topic}},\n}}\n"
        )
    return "\n".join(out)


def test_two_concurrent_imports(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    home.mkdir()
    a, b = tmp_path / "a.bib", tmp_path / "b.bib"
    a.write_text(_bib("a", N, 1), encoding="utf-8")
    b.write_text(_bib("b", N, 2), encoding="utf-8")
    env = dict(os.environ, MTLKB_HOME=str(home))
    cmd = [MTLKB] if MTLKB else [sys.executable, "-m", "kb"]
    init = subprocess.run([*cmd, "init"], env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    procs = [
        subprocess.Popen([*cmd, "import", str(f)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for f in (a, b)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err and "busy" not in err, err
        assert proc.returncode == 0, (out, err)
        assert err == ""
        assert "storing" not in out  # no progress bar when stdout is not a terminal

    # One of them ran first and added everything; the other merged the shared papers.
    summaries = sorted(out.strip().splitlines()[-1] for out, _ in results)
    assert summaries == sorted([
        f"{N} entries read from 1 file(s): {N} added, 0 merged, 0 error(s)",
        f"{N} entries read from 1 file(s): {N - SHARED} added, {SHARED} merged, 0 error(s)",
    ])

    conn = sqlite3.connect(home / "mtlkb.db")
    keys = {r[0] for r in conn.execute("SELECT key FROM papers")}
    assert len(keys) == 2 * N - SHARED
    assert {f"a{i}" for i in range(SHARED, N)} <= keys
    assert {f"b{i}" for i in range(SHARED, N)} <= keys
    assert conn.execute("SELECT count(*) FROM paper_authors").fetchone()[0] == 2 * (2 * N - SHARED)
    assert conn.execute("SELECT count(DISTINCT arxiv_id) FROM papers").fetchone()[0] == len(keys)
    fts = conn.execute(
        "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'müller'"
    ).fetchone()[0]
    assert fts == 2 * (N - SHARED)
    conn.close()
