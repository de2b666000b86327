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
    """note input digest -> rendered HTML, in one JSON file of the staging folder."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = _code_version()
        self.entries: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.last: str | None = None  # the digest of the latest render
        if path is not None:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                if raw.get("version") == self.version:
                    self.entries = dict(raw.get("notes") or {})
            except (OSError, ValueError, AttributeError):
                self.entries = {}

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
        """Write the entries used by this build (a deleted note's entry goes)."""
        if self.path is None or (self.used == self.entries):
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"version": self.version, "notes": self.used},
                                  ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(self.path)
