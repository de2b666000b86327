"""``mtlkb site build``: generate the pages, then run MkDocs (imported here only).

The KB's ``mkdocs.yml`` configures the build; when it is absent the default from
:func:`kb.site.mkdocs_config.default_mkdocs_yml` is used (and not written: ``mtlkb init``
writes it). The staging docs folder and the site folder are always the KB's own, whatever
the file says, and the local iframe-worker shim is always among ``extra.polyfills``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.config import KB, KBError
from kb.site.generate import GenStats, generate, staging_docs
from kb.site.mkdocs_config import SHIM_PATH, SITE_DIR, STAGING_DIR, default_mkdocs_yml


@dataclass
class BuildResult:
    site_dir: Path
    gen: GenStats
    generate_s: float
    mkdocs_s: float
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


def run_mkdocs(kb: KB, site_dir: Path | None = None, *, verbose: bool = False) -> float:
    """Build ``site_dir`` from the staging docs; returns the seconds taken."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    t0 = time.perf_counter()
    target = Path(site_dir or site_dir_of(kb, _raw_config(config_text(kb)[0])))
    scratch = kb.root / STAGING_DIR / "site"
    with _Quiet(verbose):
        try:
            cfg = load_mkdocs_config(kb, scratch)
            build(cfg)
        except MkDocsException as exc:
            raise KBError(f"MkDocs build failed: {exc}") from None
    write_worker_sources(scratch)
    sync_tree(scratch, target)
    return time.perf_counter() - t0


def sync_tree(src: Path, dst: Path) -> SyncStats:
    """Make ``dst`` hold exactly ``src``'s files, writing only those whose bytes differ.

    MkDocs rewrites every file of its output on each build; it builds into the staging
    folder and this copies what changed, so a rebuild with no change writes nothing in
    ``site/`` and one changed note rewrites only the pages whose HTML changed (its page, the
    pages listing it, the search index).
    """
    stats = SyncStats()
    seen: set[str] = set()
    for dirpath, _dirs, files in os.walk(src):
        for name in files:
            s = Path(dirpath) / name
            rel = s.relative_to(src).as_posix()
            seen.add(rel)
            d = dst / rel
            try:
                st_s, st_d = s.stat(), d.stat()
                same = st_s.st_size == st_d.st_size and s.read_bytes() == d.read_bytes()
            except OSError:
                same = False
            if same:
                stats.unchanged += 1
                continue
            d.parent.mkdir(parents=True, exist_ok=True)
            tmp = d.with_name(f".{d.name}.mtlkb-tmp")
            shutil.copyfile(s, tmp)
            os.replace(tmp, d)
            stats.written.append(rel)
    if dst.is_dir():
        for dirpath, _dirs, files in os.walk(dst, topdown=False):
            for name in files:
                d = Path(dirpath) / name
                rel = d.relative_to(dst).as_posix()
                if rel not in seen:
                    d.unlink()
                    stats.removed.append(rel)
            if Path(dirpath) != dst:
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
    LAST_SYNC.clear()
    LAST_SYNC.append(stats)
    return stats


@dataclass
class SyncStats:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


LAST_SYNC: list[SyncStats] = []


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
    mk = run_mkdocs(kb, target, verbose=verbose)
    sync = LAST_SYNC[0] if LAST_SYNC else SyncStats()
    return BuildResult(site_dir=target, gen=gen, generate_s=gen.seconds, mkdocs_s=mk,
                       site_written=sync.written, site_removed=sync.removed)
