"""Site page generation: escaping, front matter, notes as Markdown, incremental writes, map."""

from __future__ import annotations

import os
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from kbtest import make_paper, put

from kb.config import KB
from kb.models import Author
from kb.site import escape
from kb.site.generate import generate
from kb.site.mkdocs_config import default_mkdocs_yml

EVIL = ("<script>alert(1)</script> <img src=x onerror=alert(1)> *star* _under_ [x](y) "
        "{{ jinja }} {: .attr} back\\slash `tick` ==mark== | pipe & amp \"q\" 'a'")
NOTE_WORD = "zanzibarquux"


def png_bytes(w: int = 24, h: int = 12) -> bytes:
    raw = b"".join(b"\x00" + bytes([200, 60, 40]) * w for _ in range(h))

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


BR = "  "  # a Markdown hard line break, as in the note template
NOTE = f"""<!--
{{"title": "Uncertainty", "url": "https://arxiv.org/abs/1705.07115", "estimated_minutes": "45"}}
-->
### Multi-Task Learning Using Uncertainty

Read on: 2024-01-02{BR}
Time spent: *45* minutes{BR}

citation:
```
@article{{kendall2018, title={{Bibtexonlyword}}}}
```

__*What questions are the authors addressing?*__

The **{NOTE_WORD}** weighting of homoscedastic noise.

__*What is the major finding*__

#### Future reading

- [[ruder2017overview]]
"""


def populate(kb: KB, with_run: bool = True) -> str | None:
    """Three papers (one with a hostile title), a note, and a run with a PNG plot."""
    put(
        kb,
        make_paper(key="ruder2017overview", topics=["surveys"]),
        make_paper(key="evil2020", title=EVIL, arxiv_id=None, year=2020, abstract=EVIL,
                   venue=EVIL, comment=EVIL, topics=["optimization/loss-weighting", "a<b>"],
                   authors=[Author(first="<b>Mal", last="Or\\y</b>")],
                   bibtex="@misc{evil2020,\n  title = {<script>alert(1)</script>}\n}"),
        make_paper(key="kendall2018multi", title="Multi-Task Learning Using Uncertainty to "
                   "Weigh Losses", arxiv_id="1705.07115", year=2018,
                   authors=[Author(first="Alex", last="Kendall"),
                            Author(first="Yarin", last="Gal")],
                   abstract="Numerous deep learning applications benefit from MTL.",
                   topics=["optimization/loss-weighting"]),
    )
    kb.notes_dir.mkdir(exist_ok=True)
    (kb.notes_dir / "kendall2018multi.md").write_text(NOTE, encoding="utf-8")
    if not with_run:
        return None
    run_id = "kendall-uncertainty-20240101T000000-s0-abc123"
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    run_dir = kb.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sigmas.png").write_bytes(png_bytes())
    row = {
        "id": run_id, "reproduction": "kendall-uncertainty", "status": "done",
        "scale": "smoke", "seed": 0, "device": "cpu",
        "metrics": '{"sigma": {"task1": 9.1, "task2": 0.97}}',
        "verdicts": '[{"claim": "sigma_1 within 25% of 10", "ours": 9.1, "paper": 10, '
                    '"tolerance": "25%", "passed": true, "kind": "sanity"}]',
        "artifacts": f'["runs/{run_id}/sigmas.png"]',
        # newer than any committed reference run, so it is the paper's latest run
        "started_at": now, "finished_at": now,
        "wall_s": 5.0, "reference": 0,
    }
    with kb.write() as db:
        db["runs"].insert(row, replace=True)
    return run_id


def front(text: str) -> dict:
    assert text.startswith("---\n")
    head = text.split("---\n", 2)[1]
    assert "\\" not in head  # Zensical rejects a backslash in front matter
    return yaml.safe_load(head)


# -- escaping ----------------------------------------------------------------------------
def test_text_escapes_markup_and_markdown():
    out = escape.text(EVIL)
    for bad in ("<", ">", "*", "_", "[", "]", "{", "}", "\\", "`", "=", "|", '"', "'"):
        assert bad not in out, bad
    assert "&" in out  # only as character references
    assert re.fullmatch(r"(?:[^&]|&#\d+;)*", out)


def test_yaml_str_round_trips_without_backslash():
    for value in (EVIL, "a'b", "x\ud800y", "tab\there\nnew", "é ü 中文"):
        s = escape.yaml_str(value)
        assert "\\" not in s
        parsed = yaml.safe_load(f"title: {s}")["title"]
        assert "<" not in parsed and "\n" not in parsed
        assert "\ud800" not in parsed


def test_url_only_http():
    assert escape.url("javascript:alert(1)") is None
    assert escape.url("https://arxiv.org/abs/1?a=1&b=2") == (
        "https&#58;//arxiv.org/abs/1?a&#61;1&#38;b&#61;2")


def test_fence_outgrows_backticks():
    assert escape.fence("a ```` b") == "`````"


# -- pages -------------------------------------------------------------------------------
@pytest.fixture
def site_kb(tmp_kb: KB) -> KB:
    populate(tmp_kb)
    return tmp_kb


def render(md_text: str) -> str:
    import markdown
    body = md_text.split("---\n", 2)[2]
    return markdown.markdown(body, extensions=[
        "attr_list", "tables", "toc", "pymdownx.superfences"])


def test_hostile_title_stays_text(site_kb: KB):
    stats = generate(site_kb)
    docs = stats.docs_dir
    page = (docs / "papers" / "evil2020.md").read_text(encoding="utf-8")
    meta = front(page)
    assert meta["title"].startswith("&lt;script&gt;")
    assert sorted(meta["tags"]) == ["a&lt;b&gt;", "optimization/loss-weighting"]
    html = render(page)
    # "<mark>" (==mark== rendered), not "<mark": the map slice's SVG arrowhead is a <marker>
    for bad in ("<script", "<img", "onerror=", "<em>star", "<em>under", "<strong>", '<a href="y"',
                "<mark>", "<b>Mal", "<code>tick", 'class="attr"'):
        assert bad not in html, bad
    assert "&lt;script&gt;" in html or "&#60;script&#62;" in html
    # listing pages too
    for rel in ("index.md", "papers.md", "authors.md", "topics.md", "map.md"):
        html = render((docs / rel).read_text(encoding="utf-8"))
        assert "<script" not in html and "<img" not in html and "<em>star" not in html, rel
    for path in docs.rglob("*.md"):
        front(path.read_text(encoding="utf-8"))  # every page's front matter is valid YAML


def test_note_renders_as_markdown(site_kb: KB):
    docs = generate(site_kb).docs_dir
    page = (docs / "papers" / "kendall2018multi.md").read_text(encoding="utf-8")
    assert "estimated_minutes" not in page  # the HTML-comment header is stripped
    html = render(page)
    assert f"<strong>{NOTE_WORD}</strong>" in html
    # one BibTeX (the page's, out of the search index): the note's citation block is not
    # repeated, nor its title heading or "Read on" block (the page shows them)
    assert "Bibtexonlyword" not in html
    assert "Read on:" not in html and "<h3>Multi-Task Learning Using Uncertainty</h3>" not in html
    # answered questions first, the unanswered ones collapsed
    start = html.index('<details class="mtlkb-unanswered"')
    assert html.index("What questions are the authors addressing?") < start
    details = html[start:html.index("</details>", start)]
    assert "What is the major finding" in details and "not answered yet" in details
    assert "Future reading" in page and "papers/ruder2017overview.html" in page
    back = (docs / "papers" / "ruder2017overview.md").read_text(encoding="utf-8")
    assert "Listed as future reading by" in back and "kendall2018multi.html" in back


def test_reproduction_and_plot_on_paper_page(site_kb: KB):
    docs = generate(site_kb).docs_dir
    page = (docs / "papers" / "kendall2018multi.md").read_text(encoding="utf-8")
    # summary, verdicts and plots, links, then the note; one "Abstract"
    order = [page.index(s) for s in ("## Abstract", "## Reproductions", "arxiv.org/abs/1705.07115",
                                      "## Reading note", "## BibTeX")]
    assert order == sorted(order)
    assert render(page).count(">Abstract<") == 1
    assert "## Reproductions" in page
    assert 'src="../runs/kendall-uncertainty-20240101T000000-s0-abc123/sigmas.png"' in page
    assert (docs / "runs/kendall-uncertainty-20240101T000000-s0-abc123/sigmas.png").is_file()
    assert "claims passed" in page and ">10<" in page and ">9.1<" in page
    repro = (docs / "reproductions" / "kendall-uncertainty.md").read_text(encoding="utf-8")
    assert "sigmas.png" in repro and "kendall2018multi" in repro


def test_second_generation_rewrites_nothing(site_kb: KB):
    first = generate(site_kb)
    assert first.written
    docs = first.docs_dir
    mtimes = {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}
    second = generate(site_kb)
    assert second.written == [] and second.removed == []
    assert {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()} == mtimes
    # a note edit rewrites that paper's page, not the others
    note = site_kb.notes_dir / "kendall2018multi.md"
    note.write_text(NOTE.replace(NOTE_WORD, "changedword"), encoding="utf-8")
    os.utime(note, ns=(note.stat().st_mtime_ns + 5_000_000_000,) * 2)
    third = generate(site_kb)
    assert "papers/kendall2018multi.md" in third.written
    assert "papers/evil2020.md" not in third.written
    assert "papers/ruder2017overview.md" not in third.written


def test_removed_paper_page_is_pruned(site_kb: KB):
    from kb.store.papers import delete_paper

    docs = generate(site_kb).docs_dir
    assert (docs / "papers" / "evil2020.md").is_file()
    with site_kb.write() as db:
        delete_paper(db, "evil2020")
    stats = generate(site_kb)
    assert "papers/evil2020.md" in stats.removed
    assert not (docs / "papers" / "evil2020.md").exists()


def test_research_map_svg(site_kb: KB):
    from kb.site.data import gather
    from kb.site.research_map import build_map

    data = gather(site_kb)
    svg, shown = build_map(data)
    assert shown == 3
    root = ET.fromstring(svg)
    hrefs = [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")]
    for key in ("ruder2017overview", "evil2020", "kendall2018multi"):
        assert f"papers/{key}.html" in hrefs
    assert any(h.startswith("topics/") for h in hrefs)
    assert "<script" not in svg
    assert build_map(gather(site_kb))[0] == svg  # deterministic


def test_notes_come_from_the_notes_index(tmp_kb: KB):
    from kbtest import make_paper, put

    from kb.notes.index import sync_notes as refresh_notes
    from kb.site.data import indexed_notes

    put(tmp_kb, make_paper(key="kendall2018", arxiv_id="1705.07115", title="Uncertainty"))
    (tmp_kb.notes_dir / "kendall2018.md").write_text(NOTE, encoding="utf-8")
    refresh_notes(tmp_kb)
    info = indexed_notes(tmp_kb)["kendall2018"]
    assert info.exists and info.answered == 1 and info.questions > 1
    assert info.minutes == 45 and info.read_on == "2024-01-02"
    assert "ruder2017overview" in info.future
    assert not info.body.lstrip().startswith("<!--") and NOTE_WORD in info.body


def test_default_mkdocs_yml(tmp_path: Path):
    kb = KB(tmp_path / "k")
    text = default_mkdocs_yml(kb)
    assert "\\" not in text
    cfg = yaml.safe_load(text)
    assert cfg["docs_dir"] == ".staging/docs" and cfg["site_dir"] == "site"
    assert cfg["theme"]["font"] is False
    assert any("iframe-worker" in p for p in cfg["extra"]["polyfills"])
    assert {next(iter(p)) for p in cfg["plugins"]} if isinstance(cfg["plugins"][0], dict) \
        else set(cfg["plugins"]) == {"search", "tags", "offline"}
    assert "hooks" not in cfg
    assert all("papers/" not in str(v) for item in cfg["nav"] for v in item.values())
    assert "/papers/" in cfg["not_in_nav"]


def test_init_writes_mkdocs_yml_once(tmp_path: Path):
    from kb.core.init import init_kb

    kb = KB(tmp_path / "k")
    init_kb(kb)
    assert kb.mkdocs_path.read_text(encoding="utf-8") == default_mkdocs_yml(kb)
    kb.mkdocs_path.write_text("site_name: mine\n", encoding="utf-8")
    init_kb(kb)
    assert kb.mkdocs_path.read_text(encoding="utf-8") == "site_name: mine\n"
    kb.close()


def test_long_note_keeps_search_text_under_budget(tmp_kb: KB):
    put(tmp_kb, make_paper(key="long2020", arxiv_id=None))
    tmp_kb.notes_dir.mkdir(exist_ok=True)
    para = "word " * 200 + "\n\n"
    (tmp_kb.notes_dir / "long2020.md").write_text("### Long\n\n" + para * 60, encoding="utf-8")
    page = (generate(tmp_kb).docs_dir / "papers" / "long2020.md").read_text(encoding="utf-8")
    cut = page.find("data-search-exclude>(continued)</h4>", page.find("## Reading note"))
    assert 0 < cut < 32_768, "the note's tail is excluded from search"
    assert page.count("word ") == 200 * 60  # all of it is still shown


def test_reproductions_overview_verdict_is_the_latest_run_here(site_kb: KB):
    """The Verdict column is the latest run here (its verdict, scale and date); the bundled
    reference run has its own column."""
    docs = generate(site_kb).docs_dir
    html = render((docs / "reproductions.md").read_text(encoding="utf-8"))
    row = re.search(r"<tr><td><a[^>]*>kendall-uncertainty</a>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    today = datetime.now(UTC).date().isoformat()
    assert "passed" in cells[3] and "smoke" in cells[3] and today in cells[3]
    from kb.repro.runs import reference_runs

    ref = next(r for r in reference_runs("kendall-uncertainty") if r.scale == "full")
    assert "full" in cells[4] and (ref.finished_at or "")[:10] in cells[4]
    assert today not in cells[4]
    # a reproduction never run here says so, whatever its reference says
    other = re.search(r"<tr><td><a[^>]*>toy-pareto</a>.*?</tr>", html, re.S).group(0)
    assert "not run here yet" in re.findall(r"<td>(.*?)</td>", other, re.S)[3]
