"""Site builds with MkDocs + Material (and Zensical when importable) from the staging folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from kbtest import run_cli, zensical_exe
from test_site_generate import NOTE_WORD, populate

from kb.config import KB

REMOTE = re.compile(r"^(?:https?:)?//", re.I)


class RefCollector(HTMLParser):
    """Every URL a page loads scripts, styles, fonts or images from."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.nav_links: list[str] = []
        self._nav_depth = 0
        self._style = False
        self.style_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(("script", a["src"]))
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "preconnect", "icon", "font")):
                self.refs.append((f"link {rel}", a["href"]))
        if tag in ("img", "iframe", "source") and a.get("src"):
            self.refs.append((tag, a["src"]))
        if tag == "style":
            self._style = True
        if tag == "nav" and "md-nav--primary" in (a.get("class") or ""):
            self._nav_depth = 1
        elif tag == "nav" and self._nav_depth:
            self._nav_depth += 1
        if tag == "a" and self._nav_depth and a.get("href"):
            self.nav_links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "style":
            self._style = False
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1

    def handle_data(self, data):
        if self._style:
            self.style_text += data


def assert_offline(site: Path) -> None:
    """No page loads a script, style, font or image from a remote URL; CSS imports nothing."""
    pages = list(site.rglob("*.html"))
    assert pages
    for page in pages:
        col = RefCollector()
        col.feed(page.read_text(encoding="utf-8"))
        remote = [(k, u) for k, u in col.refs if REMOTE.match(u.strip())]
        assert not remote, f"{page.relative_to(site)}: {remote}"
        assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", col.style_text), page
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"@import\s+url\(\s*['\"]?(?:https?:)?//", text), css
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), css
    # (The theme's bundle names unpkg.com for polyfills it loads only when a browser lacks
    # ResizeObserver or a page has a Mermaid diagram; the browser test checks that a real
    # visit makes no remote request.)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> KB:
    from kb.core.init import init_kb
    from kb.site.build import build_site

    kb = KB(tmp_path_factory.mktemp("site") / "kb")
    init_kb(kb)
    populate(kb)
    build_site(kb)
    yield kb
    kb.close()


def test_site_has_pages_and_offline_search(built: KB):
    site = built.root / "site"
    for rel in ("index.html", "papers.html", "topics.html", "authors.html", "map.html",
                "collections.html", "reproductions.html", "tags.html",
                "papers/kendall2018multi.html", "papers/evil2020.html",
                "reproductions/kendall-uncertainty.html", "search/search_index.js",
                "assets/iframe-worker/shim.js"):
        assert (site / rel).is_file(), rel
    assert (site / "runs/kendall-uncertainty-20240101T000000-s0-abc123/sigmas.png").is_file()
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "assets/iframe-worker/shim.js" in html and "unpkg.com" not in html


def test_no_remote_scripts_styles_or_fonts(built: KB):
    assert_offline(built.root / "site")


def test_paper_pages_stay_out_of_the_nav(built: KB):
    col = RefCollector()
    col.feed((built.root / "site" / "papers" / "kendall2018multi.html").read_text("utf-8"))
    assert col.nav_links
    assert not [h for h in col.nav_links if "papers/" in h or "authors/" in h]


def test_search_index_holds_notes_not_bibtex(built: KB):
    from kb.site.search_index import read_docs

    docs = read_docs(built.root / "site")
    text = json.dumps(docs)
    assert NOTE_WORD in text
    assert "Bibtexonlyword" not in text  # the note's citation block is excluded
    assert "@misc{kendall2018multi" not in text and "archivePrefix" not in text
    locations = {d["location"].split("#")[0] for d in docs}
    assert "papers.html" not in locations and "authors.html" not in locations  # long indexes
    assert "papers/kendall2018multi.html" in locations
    hits = [d for d in docs if NOTE_WORD in d["text"]]
    assert {d["location"].split("#")[0] for d in hits} == {"papers/kendall2018multi.html"}


def test_hostile_title_in_built_page(built: KB):
    html = (built.root / "site/papers/evil2020.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html and "<img src=\"x\"" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_second_build_rewrites_no_page(built: KB):
    from kb.site.build import build_site

    docs = built.root / ".staging/docs"
    mtimes = {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}
    result = build_site(built)
    assert result.gen.written == [] and result.gen.removed == []
    assert {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()} == mtimes


def test_cli_build_without_mkdocs_yml(tmp_kb: KB):
    populate(tmp_kb, with_run=False)
    tmp_kb.mkdocs_path.unlink()
    proc = run_cli(tmp_kb, "site", "build")
    assert proc.returncode == 0, proc.stderr
    assert str(tmp_kb.root / "site") in proc.stdout
    assert (tmp_kb.root / "site" / "index.html").is_file()
    assert not tmp_kb.mkdocs_path.exists()  # the default is used, not written
    proc = run_cli(tmp_kb, "site", "build", "--json")
    data = json.loads(proc.stdout)
    assert data["pages_written"] == 0 and data["papers"] == 3


def test_cli_build_keeps_user_mkdocs_yml(tmp_kb: KB):
    populate(tmp_kb, with_run=False)
    text = tmp_kb.mkdocs_path.read_text(encoding="utf-8").replace(
        "site_name: ", "site_name: 'My KB' # ", 1)
    tmp_kb.mkdocs_path.write_text(text, encoding="utf-8")
    proc = run_cli(tmp_kb, "site", "build")
    assert proc.returncode == 0, proc.stderr
    assert tmp_kb.mkdocs_path.read_text(encoding="utf-8") == text
    assert "My KB" in (tmp_kb.root / "site/index.html").read_text(encoding="utf-8")


def test_zensical_builds_the_same_folder(tmp_kb: KB):
    """Zensical (Material's successor) reads the same mkdocs.yml and staging folder."""
    from kb.site.generate import generate

    populate(tmp_kb)
    generate(tmp_kb)
    proc = subprocess.run([zensical_exe(), "build"], cwd=tmp_kb.root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = tmp_kb.root / "site"
    for rel in ("index.html", "papers.html", "papers/kendall2018multi.html",
                "papers/evil2020.html", "map.html", "assets/iframe-worker/shim.js"):
        assert (site / rel).is_file(), rel
    assert_offline(site)
    evil = (site / "papers/evil2020.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in evil
    index = next((p for p in (site / "search.json", site / "search/search_index.json")
                  if p.is_file()), None)
    if index is not None:
        text = index.read_text(encoding="utf-8")
        assert NOTE_WORD in text and "@misc{kendall2018multi" not in text


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
            return resp.read().decode("utf-8")
    except OSError:
        return None


def test_serve_rebuilds_when_a_note_changes(tmp_kb: KB):
    import os
    import time

    populate(tmp_kb, with_run=False)
    port = _free_port()
    env = dict(os.environ, MTLKB_HOME=str(tmp_kb.root), NO_PROXY="127.0.0.1",
               no_proxy="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-m", "kb", "site", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/papers/kendall2018multi.html"
    try:
        deadline = time.monotonic() + 40
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            page = _get(url)
            if page:
                break
            time.sleep(0.3)
        assert page and NOTE_WORD in page, proc.stdout.read() if proc.poll() is not None else ""
        note = tmp_kb.notes_dir / "kendall2018multi.md"
        note.write_text(note.read_text(encoding="utf-8") + "\nfreshlyaddedword\n", "utf-8")
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            page = _get(url)
            if page and "freshlyaddedword" in page:
                break
            time.sleep(0.3)
        assert page and "freshlyaddedword" in page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
