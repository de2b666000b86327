"""Write the site's Markdown pages (and assets, run plots) into the staging docs folder.

Every file is compared with what is on disk before writing: a page whose inputs did not
change is not rewritten (its mtime stays), and files no longer produced are removed. Paper,
topic and author-letter pages and the whole map are not even generated when a digest of what
they read is the last build's and their staged file is as that build left it
(:mod:`kb.site.page_cache`, :mod:`kb.site.page_inputs`).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from kb.config import KB
from kb.site import pages
from kb.site.data import SiteData, all_related
from kb.site.escape import slug
from kb.site.mkdocs_config import EXTRA_CSS, EXTRA_JS, SHIM_PATH
from kb.site.note_cache import NoteCache
from kb.site.page_cache import PageCache
from kb.site.page_cache import digest as page_digest
from kb.site.page_inputs import author_group_inputs, map_inputs, paper_inputs, topic_inputs
from kb.site.paper_page import paper_page
from kb.site.paper_record import institution_pages
from kb.site.pieces import Artifacts
from kb.site.results_page import results_page

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
# Packaged file -> where it goes in the docs. The shim's URL must contain "iframe-worker":
# Material's offline plugin adds https://unpkg.com/iframe-worker/shim unless a polyfill does.
ASSETS = {
    "iframe_worker_shim.js": SHIM_PATH,
    "mtlkb.css": EXTRA_CSS,
    "mtlkb.js": EXTRA_JS,
}


NOTE_CACHE = "notes_html.json"
PAGE_CACHE = "pages_inputs.json"
RELATED_CACHE = "related.json"
PAGES_MANIFEST = "pages_manifest.json"


@dataclass
class GenStats:
    docs_dir: Path
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    papers: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.written) + self.unchanged


class Staging:
    """The staging docs folder: write-if-changed, copy-if-changed, prune the rest."""

    def __init__(self, docs: Path, stats: GenStats, manifest: Path | None = None) -> None:
        self.docs = docs
        self.stats = stats
        self.expected: set[str] = set()
        # rel -> [size, mtime_ns, sha1] of what the last generation left: a page whose file
        # is as it was left and whose new text hashes the same is not read back
        self.manifest = manifest
        self.known: dict[str, list] = {}
        self.now: dict[str, list] = {}
        if manifest is not None:
            try:
                self.known = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.known = {}

    def write(self, rel: str, content: str) -> None:
        self.write_bytes(rel, content.encode("utf-8"))

    def write_bytes(self, rel: str, data: bytes) -> None:
        if rel in self.expected:
            raise ValueError(f"two generated files at {rel}")
        self.expected.add(rel)
        path = self.docs / rel
        digest = hashlib.sha1(data).hexdigest()
        try:
            st = path.stat()
            sig = [st.st_size, st.st_mtime_ns, digest]
            if self.known.get(rel) == sig or (
                    st.st_size == len(data) and path.read_bytes() == data):
                self.stats.unchanged += 1
                self.now[rel] = sig
                return
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.stats.written.append(rel)
        st = path.stat()
        self.now[rel] = [st.st_size, st.st_mtime_ns, digest]

    def keep(self, rel: str, sha1: str) -> bool:
        """Count ``rel`` as generated and unchanged without its text, when its file is as
        the last generation left it (size and mtime in the manifest) and holds the text
        hashing to ``sha1`` (what was there when its inputs were recorded: another writer
        of the staging folder, an older mtlkb say, may have left other bytes); else False."""
        known = self.known.get(rel)
        if known is None or known[2] != sha1 or rel in self.expected:
            return False
        try:
            st = os.stat(self.docs / rel)
        except OSError:
            return False
        if [st.st_size, st.st_mtime_ns] != known[:2]:
            return False
        self.expected.add(rel)
        self.stats.unchanged += 1
        self.now[rel] = known
        return True

    def save_manifest(self) -> None:
        if self.manifest is not None:
            self.manifest.write_text(json.dumps(self.now, separators=(",", ":")),
                                     encoding="utf-8")

    def copy(self, rel: str, src: Path) -> None:
        try:
            data = src.read_bytes()
        except OSError:
            return
        self.write_bytes(rel, data)

    def prune(self) -> None:
        if not self.docs.is_dir():
            return
        for dirpath, _dirnames, filenames in os.walk(self.docs, topdown=False):
            prefix = os.path.relpath(dirpath, self.docs).replace(os.sep, "/")
            prefix = "" if prefix == "." else prefix + "/"
            for name in filenames:
                rel = prefix + name
                if rel not in self.expected:
                    os.unlink(os.path.join(dirpath, name))
                    self.stats.removed.append(rel)
            if Path(dirpath) != self.docs:
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass


def staging_docs(kb: KB) -> Path:
    from kb.site.mkdocs_config import DOCS_DIR

    return kb.root / DOCS_DIR


def generate(kb: KB, docs_dir: Path | None = None, *, site_name: str | None = None) -> GenStats:
    """Write every page for ``kb`` into ``docs_dir`` (default ``KB/.staging/docs``)."""
    from kb.site.data import gather
    from kb.site.research_map import build_map

    t0 = time.perf_counter()
    docs = Path(docs_dir) if docs_dir else staging_docs(kb)
    docs.mkdir(parents=True, exist_ok=True)
    stats = GenStats(docs_dir=docs)
    st = Staging(docs, stats, docs.parent / PAGES_MANIFEST if docs_dir is None else None)
    data = gather(kb)
    data.note_cache = NoteCache(docs.parent / NOTE_CACHE if docs_dir is None else None)
    cache = PageCache(docs.parent / PAGE_CACHE if docs_dir is None else None)
    data.related_file = docs.parent / RELATED_CACHE if docs_dir is None else None
    stats.papers = len(data.papers)
    artifacts = Artifacts(kb.root)

    for name, target in ASSETS.items():
        st.copy(target, ASSETS_DIR / name)

    st.write("index.md", pages.home_page(data, site_name or "MTL knowledge base"))
    st.write("papers.md", pages.papers_page(data))
    st.write("topics.md", pages.topics_page(data))
    st.write("authors.md", pages.authors_page(data))
    st.write("collections.md", pages.collections_page(data))
    st.write("reproductions.md", pages.reproductions_page(data))
    st.write("results.md", results_page(data))
    st.write("tags.md", pages.tags_page())
    cached_write(st, cache, "map.md", map_inputs(data),
                 lambda: pages.map_page(*build_map(data), len(data.papers)))

    paper_pages(data, st, cache, artifacts)
    for rel, page in institution_pages(data):  # issue 16
        st.write(rel, page)
    alias_redirects(kb, st, set(data.by_key))
    for group, names in pages.author_groups(data).items():
        cached_write(st, cache, f"authors/{group}.md", author_group_inputs(data, group, names),
                     lambda g=group, ns=names: pages.author_group_page(data, g, ns))
    for t, s in data.topic_slug.items():
        cached_write(st, cache, f"topics/{s}.md", topic_inputs(data, t),
                     lambda t=t: pages.topic_page(data, t))
    seen: set[str] = set()
    for c in data.collections:
        s = slug(c["name"])
        if s in seen:
            continue
        seen.add(s)
        st.write(f"collections/{s}.md", pages.collection_page(data, c))
    for r in data.reproductions:
        st.write(f"reproductions/{r.id}.md", pages.reproduction_page(data, r, artifacts))
    for rel, src in sorted(artifacts.files.items()):
        st.copy(rel, src)
    st.prune()
    st.save_manifest()
    data.note_cache.save()
    cache.save()
    stats.seconds = time.perf_counter() - t0
    return stats


def cached_write(st: Staging, cache: PageCache, rel: str, inputs: object,
                 make: Callable[[], str]) -> None:
    """Write ``make()`` at ``rel``, unless the page's inputs and staged file are those the
    last build left (then the page is kept without being generated)."""
    digest = page_digest(inputs)
    entry = cache.recorded(rel, digest)
    if entry is None or not st.keep(rel, entry[2]):
        st.write(rel, make())
    cache.record(rel, digest, st.now[rel][2])


def paper_pages(data: SiteData, st: Staging, cache: PageCache, artifacts: Artifacts) -> None:
    """One page per paper; a page whose inputs are those of the last build and whose staged
    file is as that build left it is kept as it is (not generated)."""
    related = all_related(data)
    for p in data.papers:
        key = p.key or ""
        rel = f"papers/{key}.md"
        if data.repros.get(key):  # runs and their plots: generated every time
            st.write(rel, paper_page(data, p, artifacts))
            continue
        digest = page_digest(paper_inputs(data, p, related.get(key, [])))
        entry = cache.recorded(rel, digest)
        if entry is not None and st.keep(rel, entry[2]):
            data.note_cache.keep(entry[1])
            cache.record(rel, digest, entry[2], entry[1])
            continue
        data.note_cache.last = None
        st.write(rel, paper_page(data, p, artifacts))
        cache.record(rel, digest, st.now[rel][2], data.note_cache.last)


def redirect_html(key: str) -> str:
    """A static page sending the browser on to ``papers/{key}.html`` (a sibling file).

    A script, not ``<meta http-equiv="refresh">``, which no page of the site carries
    (tests/test_site_security.py); the link is there without scripts."""
    target = quote(f"{key}.html")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<link rel="canonical" href="{html.escape(target, quote=True)}">\n'
        "<title>Redirecting…</title>\n"
        f"<script>location.replace({json.dumps(target)} + location.hash)</script></head>\n"
        f'<body><p>Merged into <a href="{html.escape(target, quote=True)}">'
        f"{html.escape(key)}</a>.</p></body></html>\n"
    )


def alias_redirects(kb: KB, st: Staging, keys: set[str]) -> None:
    """``papers/ALIAS.html`` -> the paper's page, for every key merged into a paper (issue
    15), so that links to a merged-away key keep working. MkDocs copies them as they are."""
    from kb.keys import is_safe_key
    from kb.store.versions import all_aliases

    for key, aliases in sorted(all_aliases(kb.conn).items()):
        if key not in keys:
            continue
        for alias in aliases:
            if is_safe_key(alias) and alias not in keys:
                st.write(f"papers/{alias}.html", redirect_html(key))
