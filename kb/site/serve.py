"""``mtlkb site serve``: a live preview on 127.0.0.1 that rebuilds when a note changes.

A background thread polls ``notes/``, ``runs/`` and the store (cheap ``stat`` calls) and
regenerates the staging pages when something changed; only pages whose text changed are
rewritten, and MkDocs' livereload server, which watches the staging folder and
``mkdocs.yml``, rebuilds and reloads the browser.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from kb.config import KB
from kb.site.build import _Quiet, load_mkdocs_config
from kb.site.generate import generate, staging_docs

log = logging.getLogger("mtlkb.site")


def _fingerprint(kb: KB) -> tuple:
    """Sizes and mtimes of what the pages are made of."""
    items: list[tuple[str, int, int]] = []
    for name in (kb.db_path.name, kb.db_path.name + "-wal"):
        try:
            st = (kb.root / name).stat()
            items.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            pass
    for folder in (kb.notes_dir, kb.runs_dir):
        if not folder.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(folder):
            for f in files:
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                items.append((p, st.st_mtime_ns, st.st_size))
    return tuple(sorted(items))


class Watcher(threading.Thread):
    """Regenerates the staging pages whenever the KB's inputs change."""

    def __init__(self, root: Path, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="mtlkb-site-watcher")
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.regenerations = 0

    def run(self) -> None:
        kb = KB(self.root)  # its own SQLite connection, in this thread
        last = _fingerprint(kb)
        while not self.stop.wait(self.interval):
            now = _fingerprint(kb)
            if now == last:
                continue
            last = now
            try:
                stats = generate(kb)
                self.regenerations += 1
                if stats.written or stats.removed:
                    log.warning("regenerated %d page(s)", len(stats.written) + len(stats.removed))
            except Exception as exc:  # noqa: BLE001 - keep serving; show the problem
                log.warning("page generation failed: %s", exc)
        kb.close()


def serve_site(kb: KB, host: str = "127.0.0.1", port: int = 8000, *,
               open_in_browser: bool = False, verbose: bool = False) -> None:
    """Generate, build, serve with live reload until interrupted."""
    from mkdocs.commands.build import build
    from mkdocs.livereload import LiveReloadServer, _serve_url

    generate(kb)
    site_dir = tempfile.mkdtemp(prefix="mtlkb-site-")
    serve_url = _serve_url(host, port, "/")

    def get_config():
        cfg = load_mkdocs_config(kb, Path(site_dir), dev_addr=f"{host}:{port}")
        cfg.site_url = serve_url
        return cfg

    def builder(config=None):
        with _Quiet(verbose):
            build(config or get_config(), serve_url=serve_url)

    server = LiveReloadServer(builder=builder, host=host, port=port, root=site_dir,
                              mount_path="/")
    watcher = Watcher(kb.root)
    try:
        builder()
        server.watch(str(staging_docs(kb)))
        if kb.mkdocs_path.is_file():
            server.watch(str(kb.mkdocs_path))
        watcher.start()
        print(f"serving {kb.root} at {serve_url} (Ctrl-C to stop)", flush=True)
        try:
            server.serve(open_in_browser=open_in_browser)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    finally:
        watcher.stop.set()
        shutil.rmtree(site_dir, ignore_errors=True)
