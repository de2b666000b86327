"""One parsed BibTeX entry -> a :class:`~kb.models.Paper`.

- values resolved against the ``@string`` macros so far (:mod:`kb.sources.bibtex_values`);
- names split on raw LaTeX (:mod:`kb.sources.bibtex_names`); LaTeX decoded to Unicode
  (:mod:`kb.latex`) only for what is shown and searched;
- arXiv ids from ``eprint``/``archivePrefix``, arXiv URLs, ``journal = {arXiv preprint
  arXiv:...}`` (and DBLP's ``CoRR abs/...``), and ``10.48550/arXiv.`` DOIs; DOIs normalised;
- the entry's own text kept in ``Paper.bibtex`` (with ``@string`` macros substituted), the
  fields without a Paper attribute in ``Paper.fields``.
"""

from __future__ import annotations

import re

from kb.ids import BadId, arxiv_id_from_doi, find_arxiv_id, parse_arxiv_id
from kb.latex import decode
from kb.models import Paper
from kb.sources.bibtex_names import split_names
from kb.sources.bibtex_spans import edit_fields, substitute_macros
from kb.sources.bibtex_values import DOI_URL, MacroResolver, clean_doi, month_number, verbatim

__all__ = ["entry_to_paper", "entry_values", "values_to_paper"]

# Fields with a Paper attribute of their own (everything else goes to Paper.fields).
_MAPPED = frozenset(
    {"title", "author", "year", "month", "abstract", "doi", "url", "keywords", "eprint",
     "archiveprefix", "primaryclass"}
)
_VENUE_FIELDS = (
    "journal", "journaltitle", "booktitle", "series", "publisher", "school", "institution",
    "organization", "howpublished",
)
# Values shown verbatim (identifiers, addresses): only braces and \_-style escapes removed.
_VERBATIM = frozenset({"url", "doi", "eprint", "pdf", "file", "isbn", "issn", "archiveprefix"})

_YEAR = re.compile(r"\d{4}")
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Za-z]{2})?/\d{7}"
    r"(?:v\d+)?)",
    re.IGNORECASE,
)


def _arxiv(values: dict[str, str], doi: str | None) -> tuple[str | None, int | None]:
    eprint = values.get("eprint")
    prefix = (values.get("archiveprefix") or values.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("", "arxiv"):
        try:
            return parse_arxiv_id(verbatim(eprint))
        except BadId:
            pass
    for name in ("url", "pdf", "howpublished", "note", "journal", "eprint"):
        v = values.get(name)
        if not v or "arxiv" not in v.lower():
            continue
        m = _ARXIV_URL.search(v)
        if m:
            try:
                return parse_arxiv_id(m.group("id"))
            except BadId:
                pass
        found = find_arxiv_id(verbatim(v) if name == "url" else v)
        if found:
            return found, None
    journal = values.get("journal", "").strip().lower()
    volume = values.get("volume", "").strip()
    if journal == "corr" and volume.lower().startswith("abs/"):
        try:
            return parse_arxiv_id(volume[4:])
        except BadId:
            pass
    if doi and doi.startswith("10.48550/"):
        doi_id = arxiv_id_from_doi(doi)
        if doi_id:
            return doi_id, None
    return None, None


_TOPIC_SEP = re.compile(r"[,;]")


def _topics(value: str) -> list[str]:
    return [t for t in (decode(p) for p in _TOPIC_SEP.split(value)) if t]


def entry_to_paper(entry, resolver: MacroResolver) -> tuple[Paper | None, list[str], str | None]:
    """(paper or None, unknown macros, why it is None)."""
    values, macro_fields, unknown = entry_values(entry, resolver)
    paper, why = values_to_paper(entry.key, entry.entry_type, entry.raw, values, macro_fields)
    return paper, unknown, why


def entry_values(
    entry, resolver: MacroResolver
) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[str]]:
    """The entry's raw values (macros resolved), the macro-using fields, unknown macros."""
    resolver.unknown = []
    resolver.used_macro = False
    values: dict[str, str] = {}
    macro_fields: dict[str, tuple[str, str]] = {}
    for f in entry.fields:
        name = f.key.lower()
        raw = f.value if isinstance(f.value, str) else str(f.value)
        # Fast path: a value wholly in braces or quotes, no concatenation.
        if "#" not in raw and len(raw) >= 2 and (
            (raw[0] == "{" and raw[-1] == "}") or (raw[0] == '"' and raw[-1] == '"')
        ):
            values[name] = raw[1:-1]
            continue
        before = resolver.used_macro
        resolver.used_macro = False
        values[name] = resolver.value(raw)
        if resolver.used_macro:
            macro_fields[name] = (raw.strip(), values[name])
        resolver.used_macro = before or resolver.used_macro
    return values, macro_fields, list(resolver.unknown)


def values_to_paper(
    key: str, entry_type: str, raw: str | None, values: dict[str, str],
    macro_fields: dict[str, tuple[str, str]], added: dict[str, str] | None = None,
) -> tuple[Paper | None, str | None]:
    """A paper from resolved raw values; ``added`` (fields inherited through ``crossref``)
    are written into the kept BibTeX text, whose ``crossref`` field is then dropped."""
    title = decode(values.get("title", ""))
    if not title:
        return None, "has no title"
    extra: dict[str, str] = {}
    for name, value in values.items():
        if name in _MAPPED:
            continue
        extra[name] = verbatim(value) if name in _VERBATIM else decode(value)

    year = None
    if "year" in values:
        m = _YEAR.search(values["year"])
        if m:
            year = int(m.group())
        else:
            extra["year"] = decode(values["year"])
    month = None
    if "month" in values:
        month = month_number(values["month"])
        if month is None:
            extra["month"] = decode(values["month"])
    venue = None
    for name in _VENUE_FIELDS:
        if extra.get(name):
            venue = extra[name]
            break
    doi = clean_doi(values.get("doi"))
    url = verbatim(values["url"]) if values.get("url") else None
    if doi is None and url and DOI_URL.match(url):
        doi = clean_doi(url)
    arxiv_id, arxiv_version = _arxiv(values, doi)
    raw_authors = values.get("author") or values.get("editor") or ""
    bibtex = raw
    if macro_fields and bibtex:
        bibtex = substitute_macros(bibtex, macro_fields)
    if added is not None and bibtex:
        bibtex = edit_fields(bibtex, added, drop=("crossref",))
    paper = Paper(
        key=key,
        title=title,
        authors=split_names(raw_authors),
        year=year,
        month=month,
        venue=venue,
        entry_type=entry_type.lower(),
        abstract=decode(values["abstract"]) if values.get("abstract") else None,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
        doi=doi,
        url=url,
        primary_category=verbatim(values["primaryclass"]) if values.get("primaryclass") else None,
        topics=_topics(values["keywords"]) if values.get("keywords") else [],
        bibtex=bibtex,
        fields=extra,
        source="bibtex",
    )
    return paper, None
