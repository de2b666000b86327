"""A newcomer's first minutes: README's two commands, exactly, on a clean copy, in a fresh venv.

The slowest test: it installs everything into a new virtual environment and runs the demo
twice (the second run must change no note and finish faster). README's test command then runs
on the copy with a few test files named after it: its set-up step (``--browser``) and pytest
work there, without running the whole suite a second time inside this one (the suite itself
is what the outer run is doing). This test skips itself inside the copy
(``MTLKB_NEWCOMER_COPY``).
"""

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from test_readme import ROOT, readme_commands

pytestmark = pytest.mark.skipif(
    os.environ.get("MTLKB_NEWCOMER_COPY") == "1", reason="inside the newcomer's own test run"
)


# Run through README's test command inside the clean copy: the README/CI check, the start-up
# checks (the installed entry point) and the CLI contract.
QUICK_TESTS = ("tests/test_readme.py", "tests/test_startup.py", "tests/test_cli_core.py")


def _clean_copy(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(command: str, cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("MTLKB_HOME", "VIRTUAL_ENV")}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if "/.venv/" not in p)
    env["MTLKB_NEWCOMER_COPY"] = "1"
    start = time.monotonic()
    r = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=timeout)
    return r, time.monotonic() - start


def test_readme_commands_on_a_clean_copy(tmp_path):
    repo = tmp_path / "mtlkb"
    _clean_copy(repo)
    main_command, test_command = readme_commands()

    first, first_s = _run(main_command, repo, timeout=1500)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    index = repo / "site" / "index.html"
    assert str(index) in first.stdout or "site/index.html" in first.stdout
    assert index.is_file()
    site_text = (repo / "site" / "search" / "search_index.json").read_text()
    for needle in ("Ruder", "Crawshaw", "Uncertainty"):
        assert needle in site_text, needle
    ruder_page = (repo / "site" / "papers" / "ruder2017overview.html").read_text()
    assert "An Overview of Multi-Task Learning in Deep Neural Networks" in ruder_page
    assert "What questions are the authors addressing?" in ruder_page  # the seed's note
    notes_before = _digest(repo / "notes")

    second, second_s = _run(main_command, repo, timeout=1500)
    assert second.returncode == 0, second.stderr[-3000:]
    assert _digest(repo / "notes") == notes_before
    assert second_s < first_s

    # README's test command, verbatim, on a few quick files of the copy's suite.
    tests, _ = _run(f"{test_command} {' '.join(QUICK_TESTS)}", repo, timeout=1500)
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout
