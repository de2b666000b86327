"""The site's search index, prebuilt at build time for ``assets/search_worker.js``.

Material's search plugin collects one entry per page section (location, title, text, tags,
boost) and its worker builds a lunr index from them on every page load. Here the entries of
every page are kept in a cache beside the staging docs (so a build that re-renders only the
changed pages still ships a complete index), and the inverted index is computed once, in
Python: the browser only parses it. Terms are folded exactly as the worker folds a query
(NFKD without combining marks, lower case; words are runs of letters and digits; Han, kana
and Hangul runs as single characters and character pairs).

Shipped as ``search/search_index.json`` (served sites) and ``search/search_index.js``
(``var __index = ...``, read from file://), in Material's shape plus ``config.mtlkb``: a
JSON string holding ``{"docs": [[location, title, text, tags, boost], ...], "terms": [...],
"title": [...], "text": [...]}`` where each posting list is the doc ids of that term,
delta-encoded in decimal and joined by ``.``. ``docs`` stays empty, so Material's own
(lunr) worker would find nothing rather than build for seconds.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

Entry = dict[str, Any]

CACHE_NAME = "search_entries.json"
_CJK_CLASS = ("\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3190-\u31ff"
              "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff")
_CJK = re.compile(f"[{_CJK_CLASS}]")
_CJK_SPLIT = re.compile(f"([{_CJK_CLASS}]+)")
_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")


_MARKS: list[re.Pattern[str]] = []


def _marks() -> re.Pattern[str]:
    """A character class of every combining mark (Unicode category M*), built once."""
    if not _MARKS:
        ranges, start, prev = [], None, None
        # no mark lies in 0x20000-0xE00FF; the variation selectors E0100-E01EF are marks
        for cp in [*range(0x20000), *range(0xE0100, 0xE01F0), 0x110000]:
            if cp < 0x110000 and unicodedata.category(chr(cp)).startswith("M"):
                if start is None:
                    start = cp
                prev = cp
            elif start is not None:
                ranges.append((start, prev))
                start = None
        cls = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" if a != b else re.escape(chr(a))
                      for a, b in ranges)
        _MARKS.append(re.compile(f"[{cls}]+"))
    return _MARKS[0]


def fold(s: str) -> str:
    """NFKD, combining marks removed, lower case: the worker's ``fold``."""
    if s.isascii():
        return s.lower()
    return _marks().sub("", unicodedata.normalize("NFKD", s)).lower()


def strip(markup: str) -> str:
    """Tags removed, entities decoded (the worker's ``strip``)."""
    return html.unescape(_TAG.sub(" ", markup))


def words(folded: str) -> list[str]:
    """Index terms of folded text; CJK runs as characters and character pairs."""
    if folded.isascii():
        return _WORD.findall(folded)
    out: list[str] = []
    for w in _WORD.findall(folded):
        if not _CJK.search(w):
            out.append(w)
            continue
        for run in _CJK_SPLIT.split(w):
            if not run:
                continue
            if not _CJK.match(run):
                out.append(run)
                continue
            for k, c in enumerate(run):
                out.append(c)
                if k + 1 < len(run):
                    out.append(c + run[k + 1])
    return out


def _encode(ids: list[int]) -> str:
    """Ascending doc ids as their differences in decimal, joined by ``.``."""
    if not ids:
        return ""
    return ".".join(map(str, [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))]))


def _utf16_key(term: str) -> bytes:
    # The worker compares terms with JavaScript's `<` (UTF-16 code units).
    return term.encode("utf-16-be", "surrogatepass")


def pack(entries: list[Entry]) -> dict[str, Any]:
    """The inverted index over ``entries`` (in order: a doc's id is its position)."""
    title_post: dict[str, list[int]] = {}
    text_post: dict[str, list[int]] = {}
    docs = []
    for doc_id, e in enumerate(entries):
        title, text = str(e.get("title") or ""), str(e.get("text") or "")
        tags = [str(t) for t in (e.get("tags") or [])]
        docs.append([e["location"], title, text, tags, e.get("boost") or 0])
        title_words = words(fold(strip(title)))
        for t in tags:
            title_words += words(fold(t))
        for w in set(title_words):
            title_post.setdefault(w, []).append(doc_id)
        for w in set(words(fold(strip(text)))):
            text_post.setdefault(w, []).append(doc_id)
    terms = sorted(set(title_post) | set(text_post), key=_utf16_key)
    return {
        "docs": docs,
        "terms": terms,
        "title": [_encode(title_post.get(t, [])) for t in terms],
        "text": [_encode(text_post.get(t, [])) for t in terms],
    }


def index_json(config: dict[str, Any], entries: list[Entry]) -> str:
    """``search_index.json``'s text: Material's shape, the prebuilt index in ``mtlkb``."""
    packed = json.dumps(pack(entries), ensure_ascii=False, separators=(",", ":"))
    # Material's page script passes on only `config` and `docs` to the worker
    return json.dumps({"config": {**config, "mtlkb": packed}, "docs": []},
                      ensure_ascii=False, separators=(",", ":"))


class EntryCache:
    """Search entries by page URL, kept in the staging folder across builds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pages: dict[str, list[Entry]] = {}
        self.config: dict[str, Any] = {}

    def load(self) -> EntryCache:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.pages, self.config = dict(raw["pages"]), dict(raw["config"])
        except (OSError, ValueError, KeyError, TypeError):
            self.pages, self.config = {}, {}
        return self

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"config": self.config, "pages": self.pages},
                                  ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(self.path)

    def entries(self) -> list[Entry]:
        return [e for url in sorted(self.pages) for e in self.pages[url]]


def write_index(site_dir: Path, cache: EntryCache) -> None:
    """Write ``search/search_index.json`` and ``.js`` into ``site_dir``."""
    text = index_json(cache.config, cache.entries())
    folder = site_dir / "search"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "search_index.json").write_text(text, encoding="utf-8")
    (folder / "search_index.js").write_text(f"var __index = {text}", encoding="utf-8")


def read_docs(site_dir: Path) -> list[Entry]:
    """The entries of a built site's index, as Material's search plugin wrote them."""
    raw = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))
    packed = (raw.get("config") or {}).get("mtlkb")
    if not isinstance(packed, str):
        return list(raw.get("docs") or [])
    out = []
    for loc, title, text, tags, boost in json.loads(packed)["docs"]:
        e: Entry = {"location": loc, "title": title, "text": text}
        if tags:
            e["tags"] = tags
        if boost:
            e["boost"] = boost
        out.append(e)
    return out


SEARCH_WORKER_PATH = Path(__file__).resolve().parent / "assets" / "search_worker.js"
