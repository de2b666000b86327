"""``mtlkb --help`` and ``mtlkb search`` stay light: what they import (no timed assertions).

Each command runs in a fresh interpreter that reports ``sys.modules`` when it is done.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from kbtest import make_paper, put

from kb.config import KB

# Neither listing the commands nor a search's table output needs any of these.
HEAVY = ("sqlite_utils", "torch", "mkdocs", "arxiv", "bibtexparser", "pandas", "numpy",
         "matplotlib", "kb.models", "kb.notes.parse", "kb.store.papers")

DRIVER = textwrap.dedent(
    """
    import os, sys
    sys.argv = ["mtlkb", *sys.argv[1:]]
    try:
        from kb.cli import main
        main()
    finally:
        with open(os.environ["MODULES_OUT"], "w") as fh:
            fh.write("\\n".join(sorted(sys.modules)))
    """
)


def _run(tmp_path: Path, kb: KB | None, *args: str) -> tuple[subprocess.CompletedProcess, set]:
    out = tmp_path / "modules.txt"
    env = dict(os.environ, MODULES_OUT=str(out))
    env.pop("MTLKB_HOME", None)
    if kb is not None:
        env["MTLKB_HOME"] = str(kb.root)
    r = subprocess.run([sys.executable, "-c", DRIVER, *args], capture_output=True, text=True,
                       env=env, timeout=120)
    return r, set(out.read_text().split())


def _heavy(modules: set) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY)


def test_help_imports_nothing_heavy(tmp_path: Path):
    r, modules = _run(tmp_path, None, "--help")
    assert r.returncode == 0 and "search" in r.stdout
    assert _heavy(modules) == []
    assert "pydantic" not in modules
    assert "sqlite3" not in modules


def test_search_imports_nothing_heavy(tmp_kb: KB, tmp_path: Path):
    from kb.notes.create import ensure_note

    put(tmp_kb, make_paper())
    note = ensure_note(tmp_kb, "ruder2017overview")
    old = 1_600_000_000_000_000_000  # not "racy": the first run indexes it for good
    os.utime(note, ns=(old, old))
    tmp_kb.close()
    r, _ = _run(tmp_path, tmp_kb, "search", "overview")  # indexes the note
    assert r.returncode == 0, r.stderr
    r, modules = _run(tmp_path, tmp_kb, "search", "overview")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines()[1].startswith("ruder2017overview\t2017\t")
    assert _heavy(modules) == []
    if "typer._adapters" not in modules:  # typer >= 0.29 converts parameters with pydantic
        assert "pydantic" not in modules


def test_a_changed_note_is_still_indexed_by_search(tmp_kb: KB, tmp_path: Path):
    from kb.notes.create import ensure_note

    put(tmp_kb, make_paper())
    note = ensure_note(tmp_kb, "ruder2017overview")
    tmp_kb.close()
    assert _run(tmp_path, tmp_kb, "search", "zebrafish")[0].stdout == "no match\n"
    note.write_text(note.read_text() + "\nzebrafish\n")
    r, modules = _run(tmp_path, tmp_kb, "search", "zebrafish")
    assert r.stdout.splitlines()[1].startswith("ruder2017overview\t")
    assert "sqlite_utils" in modules  # the note was written to the store


def test_schema_version_matches_the_migrations():
    import sqlite_utils

    from kb.store.db import MIGRATION_SET, SCHEMA_VERSION
    from kb.store.migrations import migrations

    assert migrations.name == MIGRATION_SET
    assert len(migrations.pending(sqlite_utils.Database(memory=True))) == SCHEMA_VERSION


def test_sqlite_utils_is_imported_without_pandas_and_numpy():
    code = ("import sys; import kb.store.papers, sqlite_utils.db as d; "
            "print(d.pd is None, d.np is None, 'pandas' in sys.modules, 'numpy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.stdout.split() == ["True", "True", "False", "False"], r.stderr
