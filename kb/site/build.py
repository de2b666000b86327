"""``mtlkb site build``: generate the pages, then run MkDocs (imported here only).

The KB's ``mkdocs.yml`` configures the build; when it is absent the default from
:func:`kb.site.mkdocs_config.default_mkdocs_yml` is used (and not written: ``mtlkb init``
writes it). The staging docs folder and the site folder are always the KB's own, whatever
the file says, and the local iframe-worker shim is always among ``extra.polyfills``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.config import KB, KBError
from kb.site.front_cache import NAME as FRONT_CACHE
from kb.site.front_cache import FrontCache
from kb.site.generate import GenStats, generate, staging_docs
from kb.site.mkdocs_config import SHIM_PATH, SITE_DIR, STAGING_DIR, default_mkdocs_yml
from kb.site.search_index import CACHE_NAME, PACKED_NAME, EntryCache, write_index


@dataclass
class BuildResult:
    site_dir: Path
    gen: GenStats
    generate_s: float
    mkdocs_s: float
    mkdocs_mode: str = "full"
    site_written: list[str] = field(default_factory=list)
    site_removed: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.site_dir / "index.html"

    # A result stands for its index.html where a path is expected (``str(result)``).
    def __fspath__(self) -> str:
        return str(self.index)

    def __str__(self) -> str:
        return str(self.index)


def config_text(kb: KB) -> tuple[str, Path | None]:
    """The mkdocs.yml text in effect and its path (None when the default is used)."""
    if kb.mkdocs_path.is_file():
        return kb.mkdocs_path.read_text(encoding="utf-8"), kb.mkdocs_path
    return default_mkdocs_yml(kb), None


def site_dir_of(kb: KB, raw: dict[str, Any] | None = None) -> Path:
    value = (raw or {}).get("site_dir") or SITE_DIR
    path = Path(value)
    return path if path.is_absolute() else kb.root / path


def _raw_config(text: str) -> dict[str, Any]:
    from mkdocs.utils.yaml import yaml_load

    try:
        raw = yaml_load(io.StringIO(text)) or {}
    except Exception as exc:  # noqa: BLE001 - any YAML error is the user's file
        raise KBError(f"mkdocs.yml is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise KBError("mkdocs.yml must be a mapping")
    return raw


def overrides(kb: KB, raw: dict[str, Any], site_dir: Path | None = None) -> dict[str, Any]:
    """Settings forced on top of the file: our folders and the local Worker shim."""
    extra = dict(raw.get("extra") or {})
    polyfills = list(extra.get("polyfills") or [])
    if not any("iframe-worker" in str(p) for p in polyfills):
        polyfills.append(SHIM_PATH)
    extra["polyfills"] = polyfills
    return {
        "docs_dir": str(staging_docs(kb)),
        "site_dir": str(site_dir or site_dir_of(kb, raw)),
        "extra": extra,
    }


def load_mkdocs_config(kb: KB, site_dir: Path | None = None, **more: Any):
    from mkdocs.config import load_config

    text, path = config_text(kb)
    raw = _raw_config(text)
    stream = io.StringIO(text)
    stream.name = str(path or kb.mkdocs_path)
    cfg = load_config(config_file=stream, **overrides(kb, raw, site_dir), **more)
    return cfg


class _NoDirtyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


@contextmanager
def _no_dirty_warning() -> Iterator[None]:
    """MkDocs warns that a dirty build may leave stale navigation: ours are only run when
    the navigation and front matter are unchanged (see :func:`_plan`)."""
    logger = logging.getLogger("mkdocs.commands.build")
    flt = _NoDirtyWarning()
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)


class _Quiet:
    """Keep MkDocs' INFO chatter off the terminal; warnings still show."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose

    def __enter__(self) -> None:
        self.logger = logging.getLogger("mkdocs")
        self.level = self.logger.level
        if not self.verbose:
            self.logger.setLevel(logging.WARNING)
        if not self.logger.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
            self.logger.addHandler(handler)
            self.handler = handler
        else:
            self.handler = None

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)
        if self.handler is not None:
            self.logger.removeHandler(self.handler)


STATE_NAME = "build_state.json"


def _fingerprint(kb: KB) -> str:
    """What every page's HTML depends on besides its own Markdown: the config in effect,
    the MkDocs / Material versions and mtlkb's search worker."""
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(config_text(kb)[0].encode("utf-8"))
    for dist in ("mkdocs", "mkdocs-material"):
        try:
            h.update(version(dist).encode())
        except Exception:  # noqa: BLE001 - an unknown version just forces full builds
            h.update(b"?")
    h.update(SEARCH_WORKER.read_bytes())
    h.update(STATE_VERSION.encode())
    return h.hexdigest()


STATE_VERSION = "1"
_FRONT = re.compile(rb"\A---\n.*?\n---\n", re.S)


def _front_hash(path: Path) -> str:
    """Hash of a page's front matter (title, tags, search settings): other pages read it."""
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return ""
    m = _FRONT.match(head)
    return hashlib.sha1(m.group(0) if m else b"").hexdigest()[:16]


def _docs_files(docs: Path) -> set[str]:
    return {rel for rel, _path in _files_under(str(docs))}


@dataclass
class MkdocsRun:
    """How the staging site was brought up to date: ``skipped`` (no page changed),
    ``dirty`` (only the changed pages rendered) or ``full``."""

    mode: str
    seconds: float
    rendered: list[str] = field(default_factory=list)
    sync: SyncStats = field(default_factory=lambda: SyncStats())


def _plan(kb: KB, gen: GenStats | None, scratch: Path, state: dict[str, Any],
          fingerprint: str) -> tuple[str, dict[str, str]]:
    """``skipped``, ``dirty`` or ``full``, and the front-matter hashes of the docs now."""
    docs = staging_docs(kb)
    files = _docs_files(docs)
    old: dict[str, str] = state.get("files") or {}
    changed = set(gen.written) if gen is not None else None
    can_reuse = (
        changed is not None and state.get("fingerprint") == fingerprint and _dirty_safe(kb)
        and (scratch / "index.html").is_file() and set(old) == files
        and not (gen.removed if gen is not None else True)
    )
    if not can_reuse:
        fronts = {rel: _front_hash(docs / rel) if rel.endswith(".md") else "" for rel in files}
        return "full", fronts
    fronts = dict(old)
    for rel in changed or ():
        if rel.endswith(".md"):
            fronts[rel] = _front_hash(docs / rel)
    if not changed:
        return "skipped", fronts
    if any(fronts[rel] != old.get(rel) for rel in changed):
        return "full", fronts  # a title or tag changed: pages listing it read it
    return "dirty", fronts


def run_mkdocs(kb: KB, site_dir: Path | None = None, *, verbose: bool = False,
               gen: GenStats | None = None) -> MkdocsRun:
    """Bring ``site_dir`` up to date with the staging docs.

    MkDocs builds into ``.staging/site``; only files whose bytes changed are then copied to
    ``site_dir``. With ``gen`` (what the generator just wrote) the build is incremental:
    no changed page skips MkDocs, changed pages whose front matter did not change are
    rendered alone (MkDocs' dirty build; the search index is rebuilt from every page's
    cached entries), anything else (config, versions, pages added or removed, a title or
    tag changed) is a full build.
    """
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    t0 = time.perf_counter()
    target = Path(site_dir or site_dir_of(kb, _raw_config(config_text(kb)[0])))
    staging = kb.root / STAGING_DIR
    scratch = staging / "site"
    state_path = staging / STATE_NAME
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    fingerprint = _fingerprint(kb)
    mode, fronts = _plan(kb, gen, scratch, state, fingerprint)
    cache = EntryCache(staging / CACHE_NAME)
    rendered: list[str] = []
    collector = None
    if mode != "skipped":
        state_path.unlink(missing_ok=True)  # a failed build leaves the next one full
        before = None
        if mode == "dirty":
            before = dict(cache.load().pages)  # the collector replaces the rendered pages'
            _touch_listings(staging_docs(kb))
        front_cache = FrontCache(staging / FRONT_CACHE)
        with _Quiet(verbose):
            try:
                cfg = load_mkdocs_config(kb, scratch)
                collector = _attach_collector(cfg, cache, rendered, full=mode == "full",
                                              front_cache=front_cache)
                with _no_dirty_warning():
                    build(cfg, dirty=mode == "dirty")
            except MkDocsException as exc:
                raise KBError(f"MkDocs build failed: {exc}") from None
        if collector is not None:
            write_index(scratch, cache, staging / PACKED_NAME, before)
            front_cache.save()
        write_worker_sources(scratch)
        relative_404(scratch, _raw_config(config_text(kb)[0]))
        state_path.write_text(json.dumps({"fingerprint": fingerprint, "files": fronts}),
                              encoding="utf-8")
    sync = sync_tree(scratch, target, staging / SYNC_NAME)
    return MkdocsRun(mode=mode, seconds=time.perf_counter() - t0, rendered=rendered, sync=sync)


class _Collector:
    """An MkDocs plugin, added after the search plugin: records each rendered page's search
    entries (what the search plugin just appended) in the entry cache."""

    def __init__(self, search: Any, cache: EntryCache, rendered: list[str]) -> None:
        self.search, self.cache, self.rendered = search, cache, rendered

    def on_page_context(self, context: Any, *, page: Any, config: Any, nav: Any) -> Any:
        entries = self.search.search_index.entries
        start = self.search._mtlkb_seen  # noqa: SLF001 - our own mark on the plugin
        self.cache.pages[page.url] = [dict(e) for e in entries[start:]]
        self.search._mtlkb_seen = len(entries)  # noqa: SLF001
        self.rendered.append(page.file.src_uri)
        return context

    def on_post_build(self, *, config: Any) -> None:
        idx = self.search.search_index
        self.cache.config = {k: idx.config[k] for k in ("lang", "separator", "pipeline", "fields")}


# Plugins whose output a dirty build keeps whole: search through the entry cache, tags
# through :meth:`_Collector.on_env`; with any other plugin every build is full.
DIRTY_SAFE_PLUGINS = {"search", "tags", "offline"}


def _attach_collector(cfg: Any, cache: EntryCache, rendered: list[str], *, full: bool,
                      front_cache: FrontCache):
    from mkdocs.plugins import BasePlugin, event_priority

    search = next((p for name, p in cfg.plugins.items()
                   if name.endswith("search") and hasattr(p, "on_page_context")), None)
    tags = next((p for name, p in cfg.plugins.items()
                 if name.endswith("tags") and hasattr(p, "mappings")), None)
    if search is None:
        return None
    if full:
        cache.pages = {}
    search._mtlkb_seen = 0  # noqa: SLF001

    class Plugin(_Collector, BasePlugin):  # type: ignore[misc]
        @event_priority(200)  # before the tags plugin's (100) fills its listings
        def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
            if tags is not None and not full:
                _feed_tags(tags, files, config, front_cache)
            return env

        @event_priority(200)  # the front matter as read, before any plugin changes it
        def on_page_markdown(self, markdown: str, *, page: Any, config: Any,
                             files: Any) -> str:
            front_cache.put(page.file.src_uri, page.file.abs_src_path, page.meta)
            return markdown

    plugin = Plugin(search, cache, rendered)
    cfg.plugins["mtlkb/search-entries"] = plugin
    return plugin


def _feed_tags(tags: Any, files: Any, config: Any, front_cache: FrontCache) -> None:
    """Give Material's tags plugin the tags of the pages a dirty build did not read.

    Tag links and the tags page come from every page's front matter; a dirty build only
    reads the changed pages, so the others' front matter is given here: as parsed at an
    earlier build while the file is unchanged (``front_cache``; the page's Markdown is then
    left empty: only rendered pages need it), else read from the file. No Markdown is
    rendered. Pages holding a tags listing are rendered anew by :func:`_touch_listings`.
    """
    for file in files.documentation_pages():
        page = file.page
        if page is None or page.markdown is not None or not tags.filter(file):
            continue
        meta = front_cache.get(file.src_uri, file.abs_src_path)
        if meta is None:
            page.read_source(config)
            front_cache.put(file.src_uri, file.abs_src_path, page.meta)
        else:
            page.markdown, page.meta = "", meta
        tags.mappings.add(page, page.markdown)
    # in the order a full build adds them (its tags.json lists them so)
    order = {f.page.url: i for i, f in enumerate(files.documentation_pages()) if f.page}
    data = tags.mappings.data
    tags.mappings.data = dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))


def _touch_listings(docs: Path) -> None:
    """Mark the top-level pages holding a tags listing as modified, so a dirty build renders
    them (the tags plugin fills a listing only on a page it renders; unchanged HTML is not
    copied to the site)."""
    for page in docs.glob("*.md"):
        if "<!-- material/tags" in page.read_text(encoding="utf-8", errors="replace"):
            os.utime(page, None)


def _dirty_safe(kb: KB) -> bool:
    raw = _raw_config(config_text(kb)[0])
    names = []
    for item in raw.get("plugins") or []:
        names += list(item) if isinstance(item, dict) else [str(item)]
    return all(n.split("/")[-1] in DIRTY_SAFE_PLUGINS for n in names)


_ROOT_ABS = re.compile(r'(\b(?:href|src)=")/(?!/)')


def relative_404(site_dir: Path, raw: dict[str, Any]) -> bool:
    """Make ``404.html``'s links relative when no ``site_url`` is set.

    MkDocs renders the 404 page with root-absolute links (``/assets/...``): from file://
    they point at the file system's root, so the page showed unstyled and its links led
    nowhere. It sits at the site's root, so the same paths without the slash are right
    from file://; a server that answers a deeper missing path with this page needs
    ``site_url`` set (then MkDocs' absolute links are kept).
    """
    page = site_dir / "404.html"
    if raw.get("site_url") or not page.is_file():
        return False
    html = page.read_text(encoding="utf-8")
    fixed = _ROOT_ABS.sub(r"\1", html).replace('"base": "/"', '"base": "."')
    if fixed != html:
        page.write_text(fixed, encoding="utf-8")
    return fixed != html


SYNC_NAME = "sync_state.json"


def sync_tree(src: Path, dst: Path, manifest: Path | None = None) -> SyncStats:
    """Make ``dst`` hold exactly ``src``'s files, writing only those whose bytes differ.

    MkDocs rewrites every file of its output on a full build; it builds into the staging
    folder and this copies what changed, so a rebuild with no change writes nothing in
    ``site/`` and one changed note rewrites only the pages whose HTML changed (its page, the
    pages listing it, the search index). ``manifest`` records each file's (size, mtime) on
    both sides after a sync, so files untouched on both sides since are not read again.
    """
    stats = SyncStats()
    seen: set[str] = set()
    try:
        known = json.loads(manifest.read_text(encoding="utf-8")) if manifest else {}
    except (OSError, ValueError):
        known = {}
    if manifest is not None:
        manifest.unlink(missing_ok=True)
    now: dict[str, list[int]] = {}
    # plain strings and os.stat: Path objects for 2 x 5,000 files cost more than the stats
    for rel, s in _files_under(str(src)):
        seen.add(rel)
        d = os.path.join(dst, rel)
        try:
            st_s = os.stat(s)
            st_d = os.stat(d)
            sig = [st_s.st_size, st_s.st_mtime_ns, st_d.st_size, st_d.st_mtime_ns]
            same = known.get(rel) == sig or (
                st_s.st_size == st_d.st_size and _same_bytes(s, d))
        except OSError:
            same = False
        if same:
            stats.unchanged += 1
            now[rel] = sig
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        tmp = os.path.join(os.path.dirname(d), f".{os.path.basename(d)}.mtlkb-tmp")
        shutil.copyfile(s, tmp)
        os.replace(tmp, d)
        stats.written.append(rel)
        st_d = os.stat(d)
        now[rel] = [st_s.st_size, st_s.st_mtime_ns, st_d.st_size, st_d.st_mtime_ns]
    if dst.is_dir():
        for dirpath, _dirs, files in os.walk(dst, topdown=False):
            prefix = os.path.relpath(dirpath, dst).replace(os.sep, "/")
            prefix = "" if prefix == "." else prefix + "/"
            for name in files:
                rel = prefix + name
                if rel not in seen:
                    os.unlink(os.path.join(dirpath, name))
                    stats.removed.append(rel)
            if Path(dirpath) != dst:
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
    if manifest is not None:
        manifest.write_text(json.dumps(now, separators=(",", ":")), encoding="utf-8")
    return stats


def _files_under(root: str) -> Iterator[tuple[str, str]]:
    """(``/``-separated path relative to ``root``, full path) of every file, in os.walk order."""
    for dirpath, _dirs, files in os.walk(root):
        prefix = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in files:
            yield prefix + name, os.path.join(dirpath, name)


def _same_bytes(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


@dataclass
class SyncStats:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


SEARCH_WORKER = Path(__file__).resolve().parent / "assets" / "search_worker.js"


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.write_bytes(data)
    return True


def write_worker_sources(site_dir: Path) -> list[Path]:
    """Replace Material's search worker with mtlkb's, and write ``<name>.src.js`` beside it.

    Material's worker builds a lunr index with token positions on every page load (seconds
    and hundreds of MB at thousands of papers); ``assets/search_worker.js`` answers the same
    messages from a plain inverted index. From file:// a page may not start
    ``new Worker(url)``, but it may load a script and start a Worker from a blob: URL; the
    local shim does that with the ``.src.js`` file, so the index is built off the main thread.
    Files are only rewritten when their content changes.
    """
    written = []
    folder = site_dir / "assets" / "javascripts" / "workers"
    if not folder.is_dir():
        return written
    ours = SEARCH_WORKER.read_text(encoding="utf-8")
    for js in sorted(folder.glob("*.js")):
        if js.name.endswith(".src.js"):
            continue
        if js.name.startswith("search."):
            source = ours
            if _write_if_changed(js, ours):
                written.append(js)
            js.with_name(js.name + ".map").unlink(missing_ok=True)
        else:
            source = js.read_text(encoding="utf-8")
            source = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", source)
        target = js.with_name(js.name + ".src.js")
        wrapped = ("(self.__mtlkbWorkerSrc = self.__mtlkbWorkerSrc || {})"
                   f"[{json.dumps(js.name)}] = {json.dumps(source, ensure_ascii=True)};\n")
        if _write_if_changed(target, wrapped):
            written.append(target)
    return written


def build_site(kb: KB, site_dir: Path | None = None, *, verbose: bool = False) -> BuildResult:
    """Generate the pages into the staging folder, then build the site with MkDocs."""
    try:
        import material  # noqa: F401
        import mkdocs  # noqa: F401
    except ModuleNotFoundError as exc:
        raise KBError(
            f"{exc.name} is not installed (pip install 'mtlkb[site]' for mkdocs and "
            "mkdocs-material)") from None
    text, _ = config_text(kb)
    raw = _raw_config(text)
    site_name = raw.get("site_name")
    gen = generate(kb, site_name=str(site_name) if site_name else None)
    target = site_dir or site_dir_of(kb, raw)
    mk = run_mkdocs(kb, target, verbose=verbose, gen=gen)
    return BuildResult(site_dir=target, gen=gen, generate_s=gen.seconds, mkdocs_s=mk.seconds,
                       mkdocs_mode=mk.mode, site_written=mk.sync.written,
                       site_removed=mk.sync.removed)
