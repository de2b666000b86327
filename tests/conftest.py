"""Shared fixtures: a temporary, initialised KB; one headless Chromium for the browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.config import KB

# Before anything loads torch (nothing above does; its OpenMP runtime reads this once): a
# torch thread waiting at the end of a parallel region sleeps instead of spinning. With
# xdist's two workers on two cores, a 2-thread smoke run's spinning thread took the core the
# other worker needed: a 2-thread gradnorm smoke beside a 1-thread one took 207 s, 20 s with
# PASSIVE (benchmarks/README.md, suite time).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Debian's chromium, installed by `.ci/setup --browser` (never a browser download).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL = ("file:", "data:", "about:", "blob:")  # what a page opened from file:// may request


# The longest tests first: with pytest-xdist's worksteal, the worker that starts them keeps
# them while the others take the short tests, so the run does not end with one worker alone
# on a long test picked up last (the newcomer's fresh venv, the heaviest smoke runs).
FIRST = ("test_newcomer.py", "test_exp_qm9.py", "test_exp_gradnorm_synthetic.py",
         "test_exp_toy_pareto.py", "test_exp_mmoe_synthetic.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the longest test files first (see FIRST); the rest keep their order."""
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(FIRST)))


@pytest.fixture
def tmp_kb(tmp_path: Path) -> KB:
    """An initialised, empty KB in a temporary folder."""
    from kb.core.init import init_kb

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium driven by Playwright, started once for the session (each test opens its own
    context, so no cookies, storage or cache pass between tests). Skips the test where
    Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``open_page(url=None, width=1366)``: a page in a context of its own (closed after the
    test), 20 s timeouts, ``dialogs`` (each dismissed) and ``remote_requests`` (any request
    that leaves file://) recorded on it; it goes to ``url`` when one is given."""
    contexts = []

    def go(url: str | None = None, width: int = 1366) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        pg.dialogs = []
        pg.remote_requests = []
        pg.on("request", lambda r: None if r.url.startswith(LOCAL)
              else pg.remote_requests.append(r.url))
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        if url is not None:
            pg.goto(url)
        return pg

    yield go
    for c in contexts:
        c.close()


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first phrase of each query the search's impact lists answered (``topk.top`` gave
    a ranking rather than leaving it to FTS5)."""
    from kb.store import topk

    seen: list[str] = []
    real = topk.top

    def spy(conn: Any, shape: Any, limit: int, build: bool = False) -> Any:
        got = real(conn, shape, limit, build)
        if got is not None:
            seen.append(shape.phrases()[0])
        return got

    monkeypatch.setattr(topk, "top", spy)
    return seen
