"""Front matter of the staging pages kept between builds, for MkDocs' dirty builds.

A dirty build gives Material's tags plugin every page's front matter (title and tags feed
the tags page and each page's tag links): reading and YAML-parsing 5,000 pages cost about
a second of every one-note rebuild. A page's parsed front matter is kept here with the size
and mtime of its file, and used while the file is as it was when it was parsed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

NAME = "front_matter.json"


class FrontCache:
    """docs-relative path -> [size, mtime_ns, front matter as MkDocs parsed it]."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[str, list] = {}
        self.now: dict[str, list] = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            self.known = raw if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            self.known = {}

    @staticmethod
    def _sig(src: str) -> list[int] | None:
        try:
            st = os.stat(src)
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]

    def get(self, rel: str, src: str) -> dict[str, Any] | None:
        """The front matter parsed from ``src`` when it was as it is now, else None."""
        entry = self.known.get(rel)
        if entry is None or self._sig(src) != entry[:2]:
            return None
        self.now[rel] = entry
        return json.loads(json.dumps(entry[2]))  # a copy: plugins may change a page's meta

    def put(self, rel: str, src: str, meta: dict[str, Any]) -> None:
        """Record ``meta`` as just parsed from ``src`` (skipped if it is not plain JSON)."""
        sig = self._sig(src)
        if sig is None:
            return
        try:
            self.now[rel] = [*sig, json.loads(json.dumps(meta))]
        except (TypeError, ValueError):
            pass

    def save(self) -> None:
        if self.now == self.known:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.now, ensure_ascii=False, separators=(",", ":")),
                       encoding="utf-8")
        tmp.replace(self.path)
