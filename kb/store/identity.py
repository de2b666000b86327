"""Identity evidence (issue 15): whether two records that share an identifier or a title are
one paper. Pure functions over :class:`Paper`; :class:`kb.store.papers.PaperWriter` finds the
candidates and asks these.

A shared arXiv id or DOI is doubted only when the titles have nothing in common (a wrong
link in a ``pdf`` field). A shared title and year is not enough when the title is generic,
the titles differ in a symbol ("BC" and "BC+"), or type, pages, chapter, volume, venue
(a workshop and the main conference) or the author lists disagree; a preprint and its
published version differ in type, venue and pages by nature, so those are not compared for
them. Records are never merged on a doubt: it is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from kb.keys import normalize_title
from kb.models import Author, Paper
from kb.store.versions import version_kind

# The columns of ``papers`` the checks compare.
EVIDENCE_COLUMNS = ("title", "year", "entry_type", "venue", "fields", "authors_text", "doi",
                    "arxiv_id", "source")


def evidence_paper(row: dict[str, Any]) -> Paper:
    """A paper holding what the checks compare of a stored row (:data:`EVIDENCE_COLUMNS`)."""
    names = (row["authors_text"] or "").split("; ")
    return Paper(
        title=row["title"], year=row["year"], entry_type=row["entry_type"],
        venue=row["venue"], fields=json.loads(row["fields"]) if row["fields"] else {},
        authors=[Author.from_display(n) for n in names if n.strip()], doi=row["doi"],
        arxiv_id=row["arxiv_id"], source=row["source"])


def disagreement(stored: Paper, paper: Paper, why: str) -> str | None:
    """Why ``paper`` is not certainly ``stored`` although they share ``why`` (None: it is)."""
    if not why.startswith("same title"):
        if _word_overlap(normalize_title(stored.title), normalize_title(paper.title)) < 0.3:
            return f"{why}, but the titles differ"
        return None
    tnorm = normalize_title(paper.title)
    if tnorm in GENERIC_TITLES or len(tnorm) < 4:
        return f"same title and year, but {paper.title!r} is a generic title"
    if _strict_title(stored.title) != _strict_title(paper.title):
        return "same words of the title, but the titles differ"
    if {version_kind(stored), version_kind(paper)} != {"preprint", "published"}:
        why_not = _publication_differs(stored, paper)
        if why_not:
            return f"same title and year, but {why_not}"
    if not _same_authors(stored, paper, required=False):
        return "same title and year, but different authors"
    return None


def other_version(stored: Paper, paper: Paper) -> str | None:
    """Why ``stored`` and ``paper`` (the same title words, other years) are a preprint and
    its published version, or None: one of each kind, the same title to the symbol, the
    published one at most two years after, the same authors."""
    if stored.year is None or paper.year is None:
        return None
    kinds = {version_kind(stored): stored.year, version_kind(paper): paper.year}
    if set(kinds) != {"preprint", "published"}:
        return None
    if not 0 <= kinds["published"] - kinds["preprint"] <= 2:
        return None
    if _strict_title(stored.title) != _strict_title(paper.title):
        return None
    if not _same_authors(stored, paper, required=True):
        return None
    return (f"a preprint of {kinds['preprint']} and its published version of "
            f"{kinds['published']}: same title and authors")


def _publication_differs(a: Paper, b: Paper) -> str | None:
    """What shows ``a`` and ``b`` to be two publications: type, a part's number, venue."""
    same_venue = bool(a.venue and b.venue) and _venue_words(a.venue) == _venue_words(b.venue)
    ga, gb = _type_group(a.entry_type), _type_group(b.entry_type)
    if ga and gb and ga != gb and not same_venue:
        return f"@{a.entry_type} and @{b.entry_type}"  # (one venue, two types: one paper)
    for name in ("chapter", "pages", "volume", "number"):
        x, y = a.fields.get(name), b.fields.get(name)
        if x and y and _compact(x) != _compact(y):
            return f"{name} {x} and {y}"
    if a.venue and b.venue and not same_venue:
        va, vb = _venue_words(a.venue), _venue_words(b.venue)
        if ("workshop" in va) != ("workshop" in vb) or _word_overlap(va, vb) < 0.5:
            return f"venues {a.venue!r} and {b.venue!r}"
    return None


def _same_authors(a: Paper, b: Paper, *, required: bool) -> bool:
    """At least half of the shorter author list in the other (by last name); without an
    author list on either side: ``not required``."""
    na, nb = _last_names(x.name for x in a.authors), _last_names(x.name for x in b.authors)
    if not na or not nb:
        return not required
    return len(na & nb) >= max(1, 0.5 * min(len(na), len(nb)))


# Titles that name a part of a volume, not a paper: never an identity on their own.
GENERIC_TITLES = frozenset({
    "preface", "foreword", "editorial", "introduction", "front matter", "frontmatter",
    "back matter", "contents", "table of contents", "index", "author index", "subject index",
    "erratum", "errata", "corrigendum", "addendum", "correction", "keynote", "invited talk",
    "panel", "panel discussion", "tutorial", "abstracts", "proceedings", "program committee",
    "organization", "committees", "reviewers", "acknowledgments", "acknowledgements",
    "title page", "copyright", "welcome", "message from the chairs", "conclusion",
    "conclusions", "summary", "overview", "discussion", "appendix", "references", "news",
    "book review", "review", "obituary", "in memoriam", "guest editorial", "letter",
    "editor s note", "editors note", "untitled",
})
_TYPE_GROUPS = {
    "article": "article", "inproceedings": "proceedings-paper", "conference": "proceedings-paper",
    "book": "book", "mvbook": "book", "proceedings": "volume", "mvproceedings": "volume",
    "collection": "volume", "inbook": "part", "incollection": "part", "bookinbook": "part",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "techreport": "report", "report": "report", "manual": "manual", "patent": "patent",
}
_VENUE_STOP = frozenset({
    "proc", "proceedings", "of", "the", "on", "in", "and", "for", "conference", "international",
    "annual", "intl", "int", "conf", "symposium", "symp", "ieee", "acm", "th", "st", "nd", "rd",
})
_STRICT_DROP = re.compile(r"[\s.,:;!?'\"`{}()\[\]\-–—‐]+")


def _last_names(names: Iterable[str]) -> set[str]:
    """Lowercased last words of display names ("others", BibTeX's et al., left out)."""
    out = {n.split()[-1].lower() for n in names if n.split()}
    out.discard("others")
    return out


def _type_group(entry_type: str | None) -> str | None:
    """The kind of publication, or None for types that fit any (misc, unpublished...)."""
    return _TYPE_GROUPS.get((entry_type or "").lower())


def _compact(value: str) -> str:
    return re.sub(r"[\s\-–—]+", "-", value.strip().lower())


def _strict_title(title: str) -> str:
    """The title without spaces and common punctuation, other symbols kept (BC vs BC+)."""
    return _STRICT_DROP.sub("", title.lower())


def _venue_words(venue: str) -> frozenset[str]:
    return frozenset(w for w in normalize_title(venue).split()
                     if w not in _VENUE_STOP and not w.isdigit())


def _word_overlap(a: str | Iterable[str], b: str | Iterable[str]) -> float:
    a = set(a.split()) if isinstance(a, str) else set(a)
    b = set(b.split()) if isinstance(b, str) else set(b)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
