"""Rendered notes kept between builds: a note's HTML is only rebuilt when its text, the
titles of the papers it links with ``[[key]]``, or the renderer's code changed.

Rendering (Python-Markdown, MathML, sanitizing) is most of the page generation's time:
~20 ms a note, 100 s at 5,000 notes on a loaded machine, for pages that did not change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

SAVE_FRESH = 16  # notes rendered anew that do not make the cache be written again

_RENDERERS = ("note_html.py", "math.py", "sanitize.py", "note_cache.py")


def _code_version() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _RENDERERS:
        h.update((here / name).read_bytes())
    try:
        from importlib.metadata import version

        for dist in ("markdown", "latex2mathml"):
            h.update(version(dist).encode())
    except Exception:  # noqa: BLE001 - an unknown version only costs a re-render
        h.update(b"?")
    return h.hexdigest()[:16]


class NoteCache:
    """note input digest -> rendered HTML, in one JSON file of the staging folder, plus a
    small one (``<name>.add.json``) with the notes rendered since that file was written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = _code_version()
        self.entries: dict[str, str] = {}
        self.added: dict[str, str] = {}  # the entries of the small file
        self.used: dict[str, str] = {}
        self.last: str | None = None  # the digest of the latest render
        if path is not None:
            self.entries = self._read(path)
            self.added = self._read(self._added_path())
            self.entries.update(self.added)

    def _added_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.stem + ".add.json")

    def _read(self, path: Path) -> dict[str, str]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") == self.version:
                return dict(raw.get("notes") or {})
        except (OSError, ValueError, AttributeError):
            pass
        return {}

    def _write(self, path: Path, notes: dict[str, str]) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"version": self.version, "notes": notes},
                                  ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)

    def render(self, inputs: str, fn: Callable[[], str]) -> str:
        digest = hashlib.sha256(inputs.encode("utf-8", "surrogatepass")).hexdigest()
        html = self.entries.get(digest)
        if html is None:
            html = fn()
        self.used[digest] = html
        self.last = digest
        return html

    def keep(self, digest: str | None) -> None:
        """Keep the entry of a page that was not generated again (its note unchanged)."""
        if digest is not None and digest in self.entries:
            self.used[digest] = self.entries[digest]

    def save(self) -> None:
        """Keep the entries used by this build for the next one.

        A few notes rendered anew go to the small file: rewriting every note's HTML
        (megabytes at thousands of notes) for one edited note cost more than the edit's
        page. The big file is written again (with only the entries used: a deleted or
        edited note's old entry goes) when the small one holds over SAVE_FRESH notes or a
        tenth of the entries went unused.
        """
        if self.path is None or self.used == self.entries:
            return
        fresh = {k: v for k, v in self.used.items() if k not in self.entries}
        added = {k: v for k, v in self.added.items() if k in self.used} | fresh
        stale = len(self.entries.keys() - self.used.keys())
        if len(added) <= SAVE_FRESH and stale <= max(SAVE_FRESH, len(self.entries) // 10):
            if fresh:
                self._write(self._added_path(), added)
            return
        self._added_path().unlink(missing_ok=True)
        self._write(self.path, self.used)
