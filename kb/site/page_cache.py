"""Pages not generated again when what they read did not change.

Each cached page is keyed by a digest of exactly the inputs its generator reads (see
:mod:`kb.site.page_inputs`) and of the generator's code. When a page's digest is the one
recorded at the last build and its staged file is as that build left it (size and mtime in
the staging manifest), the page is neither generated nor read: at 5,000 papers, generating
every paper page again was most of a one-note rebuild. The digests live in one small JSON
file of the staging folder, beside the manifest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path

# What a cached page's bytes depend on besides its inputs: every module of the site
# generator, the BibTeX writer and the models (the page shows their fields), the Markdown
# renderers' versions (the note is rendered into the page).
_CODE = ("kb/site/*.py", "kb/sources/bibtex_writer.py", "kb/latex.py", "kb/models/*.py")
_DISTS = ("markdown", "latex2mathml")


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent.parent
    h = hashlib.sha256()
    for pattern in _CODE:
        for path in sorted(root.glob(pattern)):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    h.update(sys.version.encode())  # escaping and slugs use the Unicode database
    for dist in _DISTS:
        try:
            h.update(version(dist).encode())
        except Exception:  # noqa: BLE001 - an unknown version only costs a regeneration
            h.update(b"?")
    return h.hexdigest()[:16]


def digest(inputs: object) -> str:
    """A page's key: a hash of the ``repr`` of its inputs (plain tuples, lists, dicts of
    strings and numbers: their repr is exact and deterministic)."""
    return hashlib.blake2b(repr(inputs).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


class PageCache:
    """docs-relative path -> [input digest, note-cache digest or None, sha1 of the page's
    text], kept across builds."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = code_version()
        self.known: dict[str, list] = {}
        self.now: dict[str, list] = {}
        if path is not None:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                if raw.get("version") == self.version:
                    self.known = dict(raw.get("pages") or {})
            except (OSError, ValueError, AttributeError):
                self.known = {}

    def recorded(self, rel: str, key: str) -> list | None:
        """``[key, note digest, sha1 of the page's text]`` recorded for ``rel`` when its
        inputs had the digest ``key``, or None."""
        entry = self.known.get(rel)
        return entry if entry and len(entry) == 3 and entry[0] == key else None

    def record(self, rel: str, key: str, sha1: str, note: str | None = None) -> None:
        self.now[rel] = [key, note, sha1]

    def save(self) -> None:
        if self.path is None or self.now == self.known:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"version": self.version, "pages": self.now},
                                  separators=(",", ":")), encoding="utf-8")
        tmp.replace(self.path)
