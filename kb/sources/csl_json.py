"""CSL-JSON files (Zotero's and Better BibTeX's "CSL JSON" export) -> papers.

CSL-JSON is an array of items, each with a ``type`` and an ``id`` (Zotero: an item URL;
Better BibTeX: the citation key, also in ``citation-key``), names as ``family``/``given``
(with particles) or ``literal``, dates as ``{"date-parts": [[year, month, day]]}`` where
Zotero writes the year as a string. The file is told apart from mtlkb's own JSON by its
items: a CSL item has a ``type`` and none of mtlkb's ``key``/``entry_type``/``authors_full``.

Problems name the file, the line where the item starts, its position and its id.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.ids import arxiv_id_from_doi, find_arxiv_id, normalize_doi
from kb.keys import is_safe_key
from kb.models import Author, Paper
from kb.sources.mtlkb_json import looks_like_json
from kb.sources.records import BibRecord, Problem, Records

# CSL item types -> BibTeX entry types (as Better BibTeX and citeproc's BibTeX style map them).
TYPES = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "review": "article",
    "review-book": "article",
    "paper-conference": "inproceedings",
    "chapter": "incollection",
    "entry-encyclopedia": "incollection",
    "entry-dictionary": "incollection",
    "book": "book",
    "report": "techreport",
    "thesis": "phdthesis",
    "manuscript": "unpublished",
    "article": "misc",  # Zotero's preprints
}
_MTLKB_MARKERS = ("key", "entry_type", "authors_full", "arxiv_id")
_CITATION_KEY_IN_NOTE = re.compile(r"^\s*Citation Key:\s*(\S+)\s*$", re.I | re.M)
_SPLIT_KEYWORDS = re.compile(r"[,;]")


class CslError(ValueError):
    """A CSL item that cannot be imported (the message says why)."""


def is_csl(data: Any) -> bool:
    """Whether parsed JSON is CSL-JSON: an array (or one object) of items with a ``type``."""
    items = data if isinstance(data, list) else [data]
    first = next((i for i in items if isinstance(i, dict)), None)
    if first is None:
        return False
    return isinstance(first.get("type"), str) and not any(m in first for m in _MTLKB_MARKERS)


def _item_lines(text: str) -> list[int] | None:
    """The 1-based line where each element of a top-level JSON array starts (None when the
    text is not an array that ``json`` reads)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    pos = ws.match(text, 0).end()
    if text[pos:pos + 1] != "[":
        return None
    pos = ws.match(text, pos + 1).end()
    lines: list[int] = []
    line, counted = 1, 0
    if text[pos:pos + 1] == "]":
        return lines
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
        pos = ws.match(text, pos).end()
        if text[pos:pos + 1] == ",":
            pos = ws.match(text, pos + 1).end()
            continue
        return lines if text[pos:pos + 1] == "]" else None


# -- one item --------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    """A CSL string field ('' and non-strings as None; lists, as some exports give, joined)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _name(obj: Any) -> Author | None:
    if isinstance(obj, str):
        return Author(last=" ".join(obj.split())) if obj.strip() else None
    if not isinstance(obj, dict):
        raise CslError(f"a name is not an object ({obj!r:.40})")
    literal = _text(obj.get("literal"))
    family = _text(obj.get("family"))
    given = _text(obj.get("given"))
    if literal and not family:
        return Author(last=literal)
    if not family and given:
        return Author(last=given)  # a one-part name (e.g. an organisation) put in "given"
    if not family:
        return None
    particle = " ".join(p for p in (_text(obj.get("dropping-particle")),
                                    _text(obj.get("non-dropping-particle"))) if p)
    last = f"{particle} {family}" if particle else family
    suffix = _text(obj.get("suffix"))
    first = f"{given}, {suffix}" if given and suffix else (given or "")
    return Author(first=first, last=last)


def _names(value: Any, what: str) -> list[Author]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CslError(f"{what} is not a list of names")
    return [a for a in (_name(v) for v in value) if a is not None]


def _date(value: Any) -> tuple[int | None, int | None]:
    """(year, month) of a CSL date: ``date-parts`` (numbers or numeric strings), else the
    year in ``raw`` or ``literal``. Raises :class:`CslError` when it is not a date."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise CslError(f"issued is not a CSL date object ({value!r:.40})")
    parts = value.get("date-parts")
    if parts:
        if not (isinstance(parts, list) and isinstance(parts[0], list)):
            raise CslError(f"issued date-parts {parts!r:.40} is not [[year, month, day]]")
        first = parts[0]
        try:
            year = int(str(first[0]).strip()) if first and first[0] not in (None, "") else None
            month = int(str(first[1]).strip()) if len(first) > 1 and first[1] else None
        except ValueError:
            raise CslError(f"issued date-parts {parts!r:.40} is not a date") from None
        if month is not None and not 1 <= month <= 12:
            month = None  # CSL seasons are 13-16
        return year, month
    for name in ("raw", "literal"):
        text = _text(value.get(name))
        if text:
            m = re.search(r"\b(\d{4})\b", text)
            if m:
                return int(m.group(1)), None
    return None, None


def _key(item: dict) -> str | None:
    for name in ("citation-key", "citationKey"):
        key = _text(item.get(name))
        if key and is_safe_key(key):
            return key
    note = item.get("note")
    if isinstance(note, str):
        m = _CITATION_KEY_IN_NOTE.search(note)
        if m and is_safe_key(m.group(1)):
            return m.group(1)
    item_id = _text(item.get("id"))
    if item_id and is_safe_key(item_id) and not re.match(r"^[a-z]+://", item_id, re.I):
        return item_id
    return None


def _arxiv_id(item: dict, doi: str | None) -> str | None:
    from_doi = arxiv_id_from_doi(doi)
    if from_doi:
        return from_doi
    for name in ("number", "note", "URL", "archive_location", "container-title", "extra"):
        text = _text(item.get(name)) if name != "note" else item.get(name)
        if isinstance(text, str) and "arxiv" in text.lower():
            found = find_arxiv_id(text)
            if found:
                return found
    return None


def _fields(item: dict, entry_type: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    page = _text(item.get("page"))
    if page:
        fields["pages"] = re.sub(r"\s*[-\u2013\u2014]+\s*", "\u2013", page)
    for csl, bib in (("volume", "volume"), ("issue", "number"), ("publisher", "publisher"),
                     ("publisher-place", "address"), ("edition", "edition"),
                     ("ISBN", "isbn"), ("ISSN", "issn"), ("collection-title", "series")):
        value = _text(item.get(csl))
        if value:
            fields[bib] = value
    if entry_type == "techreport" and _text(item.get("number")) and "number" not in fields:
        fields["number"] = _text(item.get("number"))  # a report's number
    editors = _names(item.get("editor"), "editor")
    if editors:
        fields["editor"] = " and ".join(
            f"{a.last}, {a.first}" if a.first else a.last for a in editors
        )
    return fields


def item_to_paper(item: Any) -> Paper:
    """One CSL item -> Paper; raises :class:`CslError` naming what is wrong."""
    if not isinstance(item, dict):
        raise CslError("not an object")
    csl_type = item.get("type")
    if not isinstance(csl_type, str):
        raise CslError("no type")
    title = _text(item.get("title"))
    if not title:
        raise CslError("no title")
    entry_type = TYPES.get(csl_type, "misc")
    if csl_type == "thesis" and "master" in (_text(item.get("genre")) or "").lower():
        entry_type = "mastersthesis"
    year, month = _date(item.get("issued"))
    authors = _names(item.get("author"), "author")
    doi = normalize_doi(_text(item.get("DOI")))
    venue = _text(item.get("container-title"))
    if entry_type == "techreport" and not venue:
        venue = _text(item.get("publisher"))
    keywords = _text(item.get("keyword")) or ""
    return Paper(
        key=_key(item),
        title=title,
        authors=authors,
        year=year,
        month=month,
        venue=venue,
        entry_type=entry_type,
        abstract=_text(item.get("abstract")),
        arxiv_id=_arxiv_id(item, doi),
        doi=doi,
        url=_text(item.get("URL")),
        topics=[t.strip() for t in _SPLIT_KEYWORDS.split(keywords) if t.strip()],
        fields=_fields(item, entry_type),
        source="csl-json",
    )


# -- files -------------------------------------------------------------------------------------
def parse_csl(data: Any, text: str, file: str) -> Records:
    """The records of one parsed CSL-JSON document (``text`` gives each item's line)."""
    items = data if isinstance(data, list) else [data]
    lines = _item_lines(text) if isinstance(data, list) else [1]
    result = Records()
    for i, item in enumerate(items, 1):
        line = lines[i - 1] if lines and len(lines) >= i else 0
        try:
            paper = item_to_paper(item)
        except CslError as exc:
            ident = _text(item.get("id")) if isinstance(item, dict) else None
            named = f" ({ident!r})" if ident else ""
            result.problems.append(Problem(
                file, line, f"item {i}{named}: {exc}; not imported", ident,
            ))
            continue
        result.records.append(BibRecord(paper, file, line, item=i))
    return result


class CslJsonFiles:
    """The CSL-JSON file source (asked before mtlkb JSON: both are JSON)."""

    name = "CSL-JSON"

    def __init__(self) -> None:
        self._parsed: dict[str, Any] = {}  # file name -> parsed JSON, kept from match to fetch

    def match(self, name: str, text: str) -> bool:
        if not looks_like_json(name, text):
            return False
        try:
            data = json.loads(text.lstrip("\ufeff"))
        except json.JSONDecodeError:
            return False  # mtlkb JSON reports the syntax error with its line
        if not is_csl(data):
            return False
        self._parsed[name] = data
        return True

    def fetch(self, files: list[tuple[str, str]]) -> Records:
        out = Records()
        for name, text in files:
            data = self._parsed.pop(name, None)
            if data is None:
                data = json.loads(text.lstrip("\ufeff"))
            out.extend(parse_csl(data, text.lstrip("\ufeff"), name))
        return out
