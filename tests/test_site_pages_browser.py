"""The built site in headless Chromium from file://: papers table, phone width, math, search
text (accents, Chinese mid-title, TeX words), note hits titled by paper, names, 404 page.

Debian's Chromium driven by Playwright: the ``browser`` and ``open_page`` fixtures of
conftest.py, shared with test_site_browser.py (never a download; skipped without either).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kbtest import make_paper, put

from kb.config import KB
from kb.models import Author

FILLERS = 130
NOTE = """### A note

__*What questions are the authors addressing?*__

The weight $\\alpha$ balances tasks, as in [[muller2020]]; see also $$\\frac{a}{b}$$.

هذه فقرة عربية عن التعلم متعدد المهام.

__*What is the major finding*__
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path_factory.mktemp("pages") / "kb")
    init_kb(kb)
    papers = [make_paper(key=f"fill{i:03d}", title=f"Filler study {i}", arxiv_id=None,
                         year=2000 + i % 20, abstract="Filler.",
                         topics=["optimization/loss-weighting"] if i % 3 == 0 else [])
              for i in range(FILLERS)]
    papers += [
        make_paper(key="alphamtl2024", title="$\\alpha$-MTL: weighting tasks", arxiv_id=None),
        make_paper(key="grad2023", title="基于梯度的多任务学习", arxiv_id=None),
        make_paper(key="muller2020", title="Balancing losses", arxiv_id=None,
                   authors=[Author(first="Jörg", last="Müller")]),
        make_paper(key="wang2021", title="Routing experts", arxiv_id=None,
                   authors=[Author(first="小明", last="王")]),
    ]
    put(kb, *papers)
    kb.notes_dir.mkdir(exist_ok=True)
    (kb.notes_dir / "wang2021.md").write_text(NOTE, encoding="utf-8")
    result = build_site(kb)
    kb.close()
    return result.site_dir


def _search(pg, words: str) -> list[str]:
    pg.keyboard.press("/")
    pg.keyboard.press("Control+A")
    pg.keyboard.press("Backspace")
    pg.wait_for_function("!document.querySelector('.md-search-result__item')")
    pg.keyboard.type(words)
    pg.keyboard.press("End")  # a key up: characters typed as text (梯度) send none
    pg.locator(".md-search-result__item").first.wait_for()
    pg.wait_for_timeout(300)
    return [(a.get_attribute("href") or "").split("?")[0] for a in
            pg.locator(".md-search-result__item > a.md-search-result__link:first-child").all()]


def test_papers_table_pages_sorts_and_filters(site: Path, open_page):
    pg = open_page((site / "papers.html").as_uri())
    rows = pg.locator("#papers-table tbody tr")
    assert rows.count() == 100
    pager = pg.locator('[data-pager-for="papers-table"]')
    total = FILLERS + 4
    assert "Page 1 of 2" in pager.inner_text()
    assert f"{total} of {total}" in pg.locator('[data-count-for="papers-table"]').inner_text()
    pager.get_by_text("Next").click()
    assert rows.count() == total - 100
    pg.fill('input[data-filter-for="papers-table"]', "filler study 125")
    pg.wait_for_function("document.querySelectorAll('#papers-table tbody tr').length === 1")
    assert "fill125" in rows.first.inner_text()
    pg.fill('input[data-filter-for="papers-table"]', "")
    pg.wait_for_function("document.querySelectorAll('#papers-table tbody tr').length === 100")
    pg.locator("#papers-table th", has_text="Key").click()
    assert rows.first.locator("td").first.inner_text() == "alphamtl2024"
    assert pg.dialogs == []


def test_papers_table_at_phone_width(site: Path, open_page):
    pg = open_page((site / "papers.html").as_uri(), width=390)
    title = pg.locator("#papers-table tbody tr td:nth-child(2)").first
    assert title.bounding_box()["width"] >= 150  # no title wrapped every few characters
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


def test_note_math_links_and_direction(site: Path, open_page):
    pg = open_page((site / "papers" / "wang2021.html").as_uri())
    note = pg.locator(".mtlkb-note")
    assert note.locator("math").count() == 2
    box = note.locator("math").first.bounding_box()
    assert box and box["height"] > 5 and box["width"] > 3
    assert "$\\alpha$" not in note.inner_text()
    href = note.locator("a.mtlkb-ref").get_attribute("href")
    assert href == "../papers/muller2020.html"
    arabic = note.locator("p", has_text="عربية")
    assert arabic.get_attribute("dir") == "auto"
    assert pg.evaluate("el => getComputedStyle(el).direction", arabic.element_handle()) == "rtl"
    assert "王小明" in pg.locator(".mtlkb-authors").inner_text()
    assert "小明 王" not in pg.content()
    # the unanswered question is collapsed
    assert not pg.get_by_text("What is the major finding").is_visible()


def test_search_text_folding_and_titles(site: Path, open_page):
    pg = open_page((site / "index.html").as_uri())
    assert _search(pg, "alpha")[0].endswith("papers/alphamtl2024.html")
    assert _search(pg, "梯度")[0].endswith("papers/grad2023.html")
    assert _search(pg, "Muller")[0].endswith("papers/muller2020.html")
    # a hit in the note (its $\alpha$ math included) is shown under the paper's title
    hits = _search(pg, "balances")
    assert hits[0].endswith("papers/wang2021.html")
    first = pg.locator(".md-search-result__item").first.locator("article").first
    assert "Routing experts" in first.inner_text()


def test_404_page_is_styled_from_file(site: Path, open_page):
    pg = open_page((site / "404.html").as_uri())
    header = pg.locator(".md-header")
    assert pg.evaluate("el => getComputedStyle(el).position", header.element_handle()) == "sticky"
    home = pg.locator("a.md-header__button.md-logo").get_attribute("href")
    assert not home.startswith("/")
    pg.locator("a.md-header__button.md-logo").click()
    pg.wait_for_load_state()
    assert pg.url.endswith("/index.html") and pg.url.startswith("file://")


def test_research_map_all_papers_fits_zooms_and_finds(site: Path, open_page):
    pg = open_page((site / "map.html").as_uri(), width=1280)
    svg = pg.locator(".mtlkb-map svg.mtlkb-map-svg")
    assert svg.locator("a[href^='papers/'] circle").count() == FILLERS + 4  # no cap
    box, holder = svg.bounding_box(), pg.locator(".mtlkb-map").bounding_box()
    assert box["width"] <= holder["width"] + 1  # scaled to fit, never clipped
    full = pg.evaluate("s => s.viewBox.baseVal.width", svg.element_handle())
    pg.locator(".mtlkb-map-find").fill("filler study 125")
    pg.wait_for_function("document.querySelector('.mtlkb-map-found').textContent === '1 found'")
    zoomed = pg.evaluate("s => s.viewBox.baseVal.width", svg.element_handle())
    assert zoomed < full / 4
    hit = svg.locator("circle.hit")
    assert hit.count() == 1
    assert hit.locator("xpath=..").get_attribute("href") == "papers/fill125.html"
    assert svg.evaluate("s => s.classList.contains('mtlkb-near')")  # titles shown up close
    pg.locator("[data-zoom=reset]").click()
    assert pg.evaluate("s => s.viewBox.baseVal.width", svg.element_handle()) == full
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.wheel(0, -400)
    assert pg.evaluate("s => s.viewBox.baseVal.width", svg.element_handle()) < full


def test_topic_and_paper_slices(site: Path, open_page):
    pg = open_page((site / "papers" / "fill009.html").as_uri())
    ego = pg.locator(".mtlkb-egowrap svg")
    assert ego.locator("a[href*='authors/']").count() == 1  # its author
    assert ego.locator("a[href*='papers/']").count() >= 1  # its nearest papers
    topic_href = ego.locator("a[href*='topics/']").first.get_attribute("href")
    pg.goto((site / "papers" / topic_href).resolve().as_uri())
    topic_map = pg.locator(".mtlkb-map svg")
    assert topic_map.locator("a[href^='../papers/'] circle").count() >= 1

    assert topic_map.locator("line.ea").count() >= 1  # the slice joins papers to authors
    pg.goto((site / "map.html").as_uri())
    assert pg.locator(".mtlkb-map svg line.ea, .mtlkb-map svg line.e").count() == 0  # no hairball
