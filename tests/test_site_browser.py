"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright.

The site is opened from file:// (no server): search (lunr in the local Worker shim) finds a
word that occurs only in one paper's note, the result leads to that paper's page, whose
reproduction plot loads; a paper titled ``<script>alert(1)</script>`` opens no dialog; no
request leaves file://. Never downloads a browser: skipped when /usr/bin/chromium or
Playwright is missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kbtest import zensical_exe
from test_site_generate import NOTE_WORD, populate

from kb.config import KB


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path_factory.mktemp("browser") / "kb")
    init_kb(kb)
    populate(kb)
    result = build_site(kb)
    kb.close()
    return result.site_dir


@pytest.fixture
def page(open_page):
    """A blank page (the ``browser`` and ``open_page`` fixtures are in conftest.py)."""
    return open_page()


def test_search_from_file_finds_note_and_opens_paper_with_plot(site: Path, page):
    page.goto((site / "index.html").as_uri())
    page.keyboard.press("/")
    page.wait_for_function("document.activeElement && document.activeElement.matches("
                           "'input.md-search__input')")
    page.keyboard.type(NOTE_WORD)
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    meta = page.locator(".md-search-result__meta").inner_text()
    assert meta.startswith("1 matching"), meta
    link = page.locator(".md-search-result__link").first
    assert "papers/kendall2018multi.html" in link.get_attribute("href")
    link.click()
    page.wait_for_url("**/papers/kendall2018multi.html*")
    assert "Uncertainty to Weigh Losses" in page.locator("h1").first.inner_text()
    img = page.locator("img.mtlkb-plot").first
    img.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.mtlkb-plot');"
        " return i && i.complete && i.naturalWidth > 0; }")
    assert page.evaluate("document.querySelector('img.mtlkb-plot').naturalWidth") > 0
    assert page.remote_requests == []


def test_hostile_title_opens_no_dialog(site: Path, page):
    page.goto((site / "papers" / "evil2020.html").as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    h1 = page.locator("h1").first.inner_text()
    assert "<script>alert(1)</script>" in h1  # shown as text
    for rel in ("index.html", "papers.html", "authors.html", "map.html", "tags.html"):
        page.goto((site / rel).as_uri())
        page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.remote_requests == []


def test_papers_table_sorts_and_filters(site: Path, page):
    page.goto((site / "papers.html").as_uri())
    rows = page.locator("#papers-table tbody tr")
    assert rows.count() == 3
    page.fill("input[data-filter-for=papers-table]", "uncertainty")
    page.wait_for_function(
        "[...document.querySelectorAll('#papers-table tbody tr')].filter(r => !r.hidden)"
        ".length === 1")
    page.fill("input[data-filter-for=papers-table]", "")
    page.wait_for_function(
        "[...document.querySelectorAll('#papers-table tbody tr')].filter(r => !r.hidden)"
        ".length === 3")
    page.locator("#papers-table th", has_text="Year").click()
    first = page.locator("#papers-table tbody tr").first.locator("td").nth(3).inner_text()
    assert first == "2017"
    page.locator("#papers-table th", has_text="Year").click()
    first = page.locator("#papers-table tbody tr").first.locator("td").nth(3).inner_text()
    assert first == "2020"


def test_zensical_site_searches_from_file(tmp_path: Path, page):
    """The same staging folder built by Zensical: the shim's iframe fallback runs its search
    worker from file:// (Zensical's search box lives in a shadow root)."""
    from kb.core.init import init_kb
    from kb.site.generate import generate

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb)
    generate(kb)
    kb.close()
    proc = subprocess.run([zensical_exe(), "build"], cwd=kb.root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page.goto((kb.root / "site" / "index.html").as_uri())
    page.wait_for_load_state("load")
    page.keyboard.press("/")
    page.wait_for_function(
        "() => { let a = document.activeElement; while (a && a.shadowRoot && "
        "a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; "
        "return a && a.tagName === 'INPUT'; }", timeout=60_000)
    page.keyboard.type(NOTE_WORD)
    hit = page.locator("text=weighting of homoscedastic").first
    hit.wait_for(timeout=60_000)  # Zensical's lunr build in the iframe worker: slow under load
    hit.click()
    page.wait_for_url("**/papers/kendall2018multi.html*", timeout=60_000)
    assert page.dialogs == [] and page.remote_requests == []
