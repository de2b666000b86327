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

import bisect
import hashlib
import html
import json
import re
import unicodedata
from itertools import accumulate
from operator import sub
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
    return ".".join(map(str, [ids[0], *map(sub, ids[1:], ids[:-1])]))


def _utf16_key(term: str) -> bytes:
    # The worker compares terms with JavaScript's `<` (UTF-16 code units).
    return term.encode("utf-16-be", "surrogatepass")


def _doc_words(e: Entry) -> tuple[set[str], set[str]]:
    """The terms of an entry's title (and tags) and of its text."""
    title_words = words(fold(strip(str(e.get("title") or ""))))
    for t in e.get("tags") or []:
        title_words += words(fold(str(t)))
    return set(title_words), set(words(fold(strip(str(e.get("text") or "")))))


def _docs(entries: list[Entry]) -> list[list[Any]]:
    return [[e["location"], str(e.get("title") or ""), str(e.get("text") or ""),
             [str(t) for t in (e.get("tags") or [])], e.get("boost") or 0] for e in entries]


def pack(entries: list[Entry]) -> dict[str, Any]:
    """The inverted index over ``entries`` (in order: a doc's id is its position)."""
    title_post: dict[str, list[int]] = {}
    text_post: dict[str, list[int]] = {}
    for doc_id, e in enumerate(entries):
        title_words, text_words = _doc_words(e)
        for w in title_words:
            title_post.setdefault(w, []).append(doc_id)
        for w in text_words:
            text_post.setdefault(w, []).append(doc_id)
    terms = sorted(set(title_post) | set(text_post), key=_utf16_key)
    return {
        "docs": _docs(entries),
        "terms": terms,
        "title": [_encode(title_post.get(t, [])) for t in terms],
        "text": [_encode(text_post.get(t, [])) for t in terms],
    }


def _decode(s: str) -> list[int]:
    return list(accumulate(map(int, s.split(".")))) if s else []


def repack(old: dict[str, Any], before: dict[str, list[Entry]], pages: dict[str, list[Entry]]
           ) -> dict[str, Any] | None:
    """:func:`pack` of ``pages``' entries from ``old``, the packed index (``terms``,
    ``title``, ``text`` and ``layout``: [url, entries] in order) of ``before``: only the
    postings of the terms of the changed pages' entries are decoded and changed. None when
    the pages or their numbers of entries changed (doc ids would move): pack them all."""
    layout = [[url, len(pages[url])] for url in sorted(pages)]
    if old.get("layout") != layout or set(before) != set(pages):
        return None
    terms: list[str] = old["terms"]
    posts = {"title": dict(zip(terms, old["title"], strict=True)),
             "text": dict(zip(terms, old["text"], strict=True))}
    start = 0
    decoded: dict[tuple[str, str], list[int]] = {}
    for url, n in layout:
        first, start = start, start + n
        was, now = before[url], pages[url]
        if was is now or was == now:
            continue
        for i in range(n):
            for field, old_words, new_words in zip(("title", "text"), _doc_words(was[i]),
                                                   _doc_words(now[i]), strict=True):
                for w in old_words ^ new_words:
                    ids = decoded.get((field, w))
                    if ids is None:
                        ids = decoded[(field, w)] = _decode(posts[field].get(w, ""))
                    if w in new_words:
                        bisect.insort(ids, first + i)
                    else:
                        ids.remove(first + i)
    for (field, w), ids in decoded.items():
        posts[field][w] = _encode(ids)
    title, text = posts["title"], posts["text"]
    new_terms = sorted((t for t in title.keys() | text.keys() if title.get(t) or text.get(t)),
                       key=_utf16_key)
    return {
        "docs": _docs([e for url, _n in layout for e in pages[url]]),
        "terms": new_terms,
        "title": [title.get(t, "") for t in new_terms],
        "text": [text.get(t, "") for t in new_terms],
    }


def index_json(config: dict[str, Any], entries: list[Entry],
               packed_index: dict[str, Any] | None = None) -> str:
    """``search_index.json``'s text: Material's shape, the prebuilt index in ``mtlkb``."""
    if packed_index is None:
        packed_index = pack(entries)
    packed = json.dumps(packed_index, ensure_ascii=False, separators=(",", ":"))
    # Material's page script passes on only `config` and `docs` to the worker
    return json.dumps({"config": {**config, "mtlkb": packed}, "docs": []},
                      ensure_ascii=False, separators=(",", ":"))


class EntryCache:
    """Search entries by page URL, kept in the staging folder across builds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pages: dict[str, list[Entry]] = {}
        self.config: dict[str, Any] = {}
        self.digest: str | None = None  # of the file as loaded, then as saved

    def load(self) -> EntryCache:
        try:
            data = self.path.read_bytes()
            raw = json.loads(data)
            self.pages, self.config = dict(raw["pages"]), dict(raw["config"])
            self.digest = _digest(data)
        except (OSError, ValueError, KeyError, TypeError):
            self.pages, self.config, self.digest = {}, {}, None
        return self

    def save(self) -> None:
        data = json.dumps({"config": self.config, "pages": self.pages},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.path)
        self.digest = _digest(data)

    def entries(self) -> list[Entry]:
        return [e for url in sorted(self.pages) for e in self.pages[url]]


PACKED_NAME = "search_packed.json"


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_index(site_dir: Path, cache: EntryCache, packed_state: Path | None = None,
                before: dict[str, list[Entry]] | None = None) -> None:
    """Write ``search/search_index.json`` and ``.js`` into ``site_dir``, then save the cache.

    With ``packed_state`` (the last build's postings) and ``before`` (the cache's pages as
    that build left them) only the changed pages' terms are re-indexed (:func:`repack`).
    """
    packed = None
    if packed_state is not None:
        if before is not None and cache.digest is not None:
            try:
                old = json.loads(packed_state.read_text(encoding="utf-8"))
                # the postings of exactly the entries loaded (another writer of the
                # entry cache, an older mtlkb say, leaves them out of step)
                if old.get("entries") == cache.digest:
                    packed = repack(old, before, cache.pages)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                packed = None
        packed_state.unlink(missing_ok=True)  # written again once the cache is saved
    if packed is None:
        packed = pack(cache.entries())
    text = index_json(cache.config, [], packed)
    folder = site_dir / "search"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "search_index.json").write_text(text, encoding="utf-8")
    (folder / "search_index.js").write_text(f"var __index = {text}", encoding="utf-8")
    cache.save()
    if packed_state is not None:
        state = {"entries": cache.digest,
                 "layout": [[url, len(cache.pages[url])] for url in sorted(cache.pages)],
                 "terms": packed["terms"], "title": packed["title"], "text": packed["text"]}
        tmp = packed_state.with_name(packed_state.name + ".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False, separators=(",", ":")),
                       encoding="utf-8")
        tmp.replace(packed_state)


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
