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


# A paper page at its widest: a long title (one unbreakable word in it), 40 authors, long
# topics and institutions, citations both ways, a reproduction run's tables and plot.
LONG_KEY = "longpaper2024"
LONG_TITLE = ("Towards Universally Transferable Multi-Task Representations: "
              "Hyperparameterisationfreegradientsurgerywithoutanyhandtunedweights "
              "for Dense Prediction, Depth, Surface Normals and Semantic Segmentation at Scale")
LONG_AUTHORS = [Author(first=f"Maximiliana-Konstantina {i}", last=f"Vandenbergh-Oosterhuizen{i}")
                for i in range(40)]
LONG_INSTITUTION = ("Interdisciplinary Centre for Computational Multi-Objective "
                    "Optimisation and Representation Learning, Universitätsklinikum")


def build_pages_site(root: Path) -> Path:
    """The KB of this module's tests, built; returns its site folder."""
    from datetime import UTC, datetime

    from test_site_generate import png_bytes

    from kb.core import citations
    from kb.core.init import init_kb
    from kb.core.institutions import record_affiliations
    from kb.site.build import build_site

    kb = KB(root / "kb")
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
        # the kendall-uncertainty reproduction links arXiv 1705.07115: its run shows here
        make_paper(key=LONG_KEY, title=LONG_TITLE, arxiv_id="1705.07115", year=2024,
                   authors=LONG_AUTHORS + [Author(first="小明", last="王")],
                   topics=["optimization/loss-weighting", "architectures/soft-parameter-sharing",
                           "applications/dense-prediction-and-scene-understanding"]),
    ]
    put(kb, *papers)
    kb.notes_dir.mkdir(exist_ok=True)
    (kb.notes_dir / "wang2021.md").write_text(NOTE, encoding="utf-8")
    citations.cite(kb, LONG_KEY, [f"fill{i:03d}" for i in range(1, 11)] + ["wang2021"])
    for i in range(20, 26):
        citations.cite(kb, f"fill{i:03d}", [LONG_KEY])
    run_id = "kendall-uncertainty-20240101T000000-s0-abc123"
    (kb.runs_dir / run_id).mkdir(parents=True, exist_ok=True)
    (kb.runs_dir / run_id / "sigmas.png").write_bytes(png_bytes(800, 300))
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    with kb.write() as db:
        record_affiliations(db, LONG_KEY, {LONG_AUTHORS[0].name: [LONG_INSTITUTION],
                                           LONG_AUTHORS[1].name: ["Insight Centre"]}, "arxiv")
        db["runs"].insert({
            "id": run_id, "reproduction": "kendall-uncertainty", "status": "done",
            "scale": "smoke", "seed": 0, "device": "cpu",
            "metrics": '{"sigma": {"task_one_with_a_rather_long_metric_name": 9.1, '
                       '"task_two_with_an_even_longer_metric_name_for_the_table": 0.97}}',
            "verdicts": '[{"claim": "the learned sigma of the first regression task lies '
                        'within 25% of the true noise level of 10", "ours": 9.1, "paper": 10, '
                        '"tolerance": "25% of the paper\'s value", "passed": true, '
                        '"kind": "sanity"}]',
            "artifacts": f'["runs/{run_id}/sigmas.png"]',
            "started_at": now, "finished_at": now, "wall_s": 5.0, "reference": 0,
        }, replace=True)
    result = build_site(kb)
    kb.close()
    return result.site_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_pages_site(tmp_path_factory.mktemp("pages"))


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
    total = FILLERS + 5
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
    assert svg.locator("a[href^='papers/'] circle").count() == FILLERS + 5  # no cap
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
    # one map on a paper page: its slice (the second, "ego" map is gone)
    assert pg.locator("article svg").count() == 1
    ego = pg.locator(".mtlkb-map-slice svg.mtlkb-slice")
    assert ego.locator("a[href*='authors/']").count() == 1  # its author
    assert ego.locator("a[href*='papers/']").count() >= 1  # its nearest papers
    topic_href = ego.locator("a[href*='topics/']").first.get_attribute("href")
    pg.goto((site / "papers" / topic_href).resolve().as_uri())
    topic_map = pg.locator(".mtlkb-map svg")
    assert topic_map.locator("a[href^='../papers/'] circle").count() >= 1

    assert topic_map.locator("line.ea").count() >= 1  # the slice joins papers to authors
    pg.goto((site / "map.html").as_uri())
    assert pg.locator(".mtlkb-map svg line.ea, .mtlkb-map svg line.e").count() == 0  # no hairball


def test_paper_slice_shows_citations_institutions_and_opens_the_full_map(site: Path, open_page):
    pg = open_page((site / "papers" / f"{LONG_KEY}.html").as_uri())
    ego = pg.locator(".mtlkb-map-slice svg.mtlkb-slice")
    assert ego.locator("a[href*='institutions/']").count() == 2
    assert ego.locator("a[href='../papers/wang2021.html']").count() == 1  # a paper it cites
    assert ego.locator("a[href='../papers/fill020.html']").count() == 1  # a paper citing it
    assert ego.locator("line[marker-end]").count() == 11 + 6  # one arrow per citation
    assert ego.locator("a[href*='authors/']").count() == 8  # of 41: the legend says so
    legend = pg.locator(".mtlkb-map-slice p").first.inner_text().replace("\xa0", " ")
    assert "41 authors (8 drawn)" in legend
    pg.get_by_text("Open the full research map").click()
    pg.wait_for_url(f"**/map.html#paper={LONG_KEY}")
    svg = pg.locator(".mtlkb-map svg.mtlkb-map-svg")
    pg.wait_for_function("document.querySelector('.mtlkb-map-found').textContent === '1 found'")
    hit = svg.locator("circle.hit")
    assert hit.count() == 1
    assert hit.locator("xpath=..").get_attribute("href") == f"papers/{LONG_KEY}.html"
    full = float(svg.get_attribute("data-width"))
    assert pg.evaluate("s => s.viewBox.baseVal.width", svg.element_handle()) < full / 4
    assert pg.dialogs == []


def test_paper_page_fits_a_phone(site: Path, open_page, tmp_path: Path):
    """At 390 px nothing pushes the page sideways: a long title with an unbreakable word, 41
    long author names (the last 31 folded), the run's tables and plot and the map slice
    (tables and the slice scroll inside their own boxes)."""
    pg = open_page((site / "papers" / f"{LONG_KEY}.html").as_uri(), width=390)
    pg.wait_for_load_state("load")
    for part in (".mtlkb-authors", ".mtlkb-run table", "img.mtlkb-plot", "svg.mtlkb-slice"):
        assert pg.locator(part).count() >= 1, part
    pg.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    width = pg.evaluate("document.documentElement.scrollWidth")
    wide = pg.evaluate("""() => [...document.querySelectorAll('article *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                && !e.closest('.mtlkb-scroll, .md-typeset__scrollwrap, .md-typeset__table'))
        .map(e => e.tagName + '.' + e.getAttribute('class')).slice(0, 5)""")
    assert width <= 390, (width, wide)
    assert wide == []
    # 41 names: 10 shown, the rest one click away (and still no wider than the phone)
    names = pg.locator(".mtlkb-authors a")
    assert sum(1 for a in names.all() if a.is_visible()) == 10
    pg.locator(".mtlkb-authors summary").click()
    assert sum(1 for a in names.all() if a.is_visible()) == 41
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
