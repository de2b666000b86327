"""The one BibTeX writer: ``mtlkb export``, a note's ``citation:`` block and a paper's site
page all show the entry :func:`entry` writes, always under the paper's stored key.

- A paper with its own entry text (an imported .bib, arXiv's export form) is written as that
  text, with the key set to the stored key and what the store learnt since (a DOI or arXiv id
  from a merged record, a year, authors, fields a merge brought, the topics as ``keywords``)
  set in it; the rest of the text stays as it was.
- A paper without text (Crossref, CSL-JSON, mtlkb JSON) gets an entry generated from its
  fields (:func:`generate`), TeX specials escaped.

Callers may pass ``extra`` fields (an ``ids`` alias line, say) to set in the entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kb.latex import escape
from kb.models import Author, Paper

_VERBATIM = frozenset({"pdf", "file", "isbn", "issn"})
# Stored extras that must not become fields of an entry that lacks them.
_NOT_FROM_FIELDS = frozenset({"year", "month", "crossref"})
_ENTRY_HEAD = re.compile(r"@\s*\w+\s*[{(]\s*[^,\s]*\s*,")
_HAS_ABSTRACT = re.compile(r"(?:^|[,{\s])abstract\s*=", re.I)


# -- pieces ------------------------------------------------------------------------------------
def _name(author: Author) -> str:
    last, first = escape(author.last), escape(author.first)
    if not first:
        # A corporate or one-word name: braced when it has spaces/commas/"and".
        if any(c in author.last for c in " ,") or not author.last:
            return "{" + last + "}"
        return last
    if "," in author.last:
        last = "{" + last + "}"
    if "," in author.first:
        first = "{" + first + "}"
    if " " in author.last and author.last.split()[0][:1].isupper():
        # "De la Cruz" as a last name: keep it one unit (no von/last split surprises).
        last = "{" + last + "}"
    return f"{last}, {first}"


def authors_field(authors: list[Author]) -> str:
    """``Last, First and ...`` with corporate names braced."""
    return " and ".join(_name(a) for a in authors if a.name)


def keywords_field(topics: list[str]) -> str:
    return ", ".join(escape(t) for t in topics)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def balance_braces(text: str) -> str:
    """``text`` with unbalanced braces escaped, so that it cannot end a BibTeX value early."""
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        text = re.sub(r"(?<!\\)([{}])", r"\\\1", text)
    return text


# -- generated entries ---------------------------------------------------------------------------
def generate(paper: Paper, key: str | None = None) -> str:
    """An entry generated from a paper's fields (no original text)."""
    key = key or paper.key or "paper"
    entry_type = paper.entry_type or ("misc" if paper.arxiv_id or not paper.venue else "article")
    fields: list[tuple[str, str]] = [("title", escape(paper.title))]
    if paper.authors:
        fields.append(("author", authors_field(paper.authors)))
    if paper.year:
        fields.append(("year", str(paper.year)))
    if paper.month:
        fields.append(("month", str(paper.month)))
    extra = dict(paper.fields)
    if paper.venue and not any(k in extra for k in ("journal", "booktitle", "howpublished")):
        venue_field = "booktitle" if entry_type in ("inproceedings", "conference",
                                                    "incollection") else "journal"
        if entry_type in ("misc", "techreport", "book", "phdthesis", "mastersthesis",
                          "unpublished", "proceedings"):
            venue_field = {"techreport": "institution", "phdthesis": "school",
                           "mastersthesis": "school", "book": "series",
                           "proceedings": "series"}.get(entry_type, "howpublished")
        if venue_field not in extra:
            fields.append((venue_field, escape(paper.venue)))
    if paper.doi:
        fields.append(("doi", paper.doi))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.url:
        fields.append(("url", paper.url))
    for name, value in extra.items():
        if name in ("title", "author", "year", "month", "doi", "url", "eprint", "keywords"):
            continue
        if name in ("archiveprefix", "primaryclass") and paper.arxiv_id:
            continue
        fields.append((name, value if name in _VERBATIM else escape(value)))
    if paper.abstract:
        fields.append(("abstract", escape(paper.abstract)))
    if paper.topics:
        fields.append(("keywords", keywords_field(paper.topics)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}"


_BIB_SPECIALS = re.compile(r"(?<!\\)([&%#])")


def _arxiv_value(text: str) -> str:
    return balance_braces(_BIB_SPECIALS.sub(r"\\\1", _one_line(text)))


def arxiv_entry(paper: Paper, key: str) -> str:
    """BibTeX like arXiv's "Export BibTeX citation": ``@misc`` with eprint and archivePrefix.

    The year is that of the latest version (``updated``), as arXiv's export gives it. This is
    the entry text ``mtlkb add`` keeps for a paper from arXiv; :func:`entry` shows it.
    """
    year = paper.updated[:4] if paper.updated else (str(paper.year) if paper.year else None)
    fields: list[tuple[str, str | None]] = [
        ("title", paper.title),
        ("author", " and ".join(a.name for a in paper.authors) or None),
        ("year", year),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("doi", paper.doi),
        ("url", f"https://arxiv.org/abs/{paper.arxiv_id}"),
    ]
    body = ",\n".join(f"  {name} = {{{_arxiv_value(value)}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


# -- the entry of a stored paper -------------------------------------------------------------------
def _updated_text(paper: Paper, key: str) -> str | None:
    """The paper's own entry text brought up to date, or ``None`` when it has none usable."""
    if not paper.bibtex or not paper.bibtex.strip():
        return None
    from kb.sources.bibtex_source import entry_spans, parse_bibtex, set_field, set_key

    raw = paper.bibtex.strip()
    if entry_spans(raw) is None:
        return None
    parsed = parse_bibtex(raw, "<stored>")
    if not parsed.records:
        return None
    old = parsed.records[0].paper
    text = raw
    if old.key != key:
        text = set_key(text, key)
    if paper.doi and not old.doi:
        text = set_field(text, "doi", paper.doi)
    if paper.arxiv_id and old.arxiv_id != paper.arxiv_id:
        have = {name for name, *_ in entry_spans(text).fields}
        if "eprint" not in have:
            text = set_field(text, "eprint", paper.arxiv_id)
            text = set_field(text, "archivePrefix", "arXiv")
        elif "url" not in have:
            text = set_field(text, "url", f"https://arxiv.org/abs/{paper.arxiv_id}")
    if paper.year and not old.year:
        text = set_field(text, "year", str(paper.year))
    if paper.authors and not old.authors:
        text = set_field(text, "author", authors_field(paper.authors))
    # Fields a merged record brought (a booktitle, pages...): added, never replaced.
    have = {name for name, *_ in entry_spans(text).fields}
    for name, value in paper.fields.items():
        if name not in have and value and name not in _NOT_FROM_FIELDS:
            text = set_field(text, name, value if name in _VERBATIM else escape(value))
    if sorted(paper.topics) != sorted(old.topics) and (paper.topics or old.topics):
        text = set_field(text, "keywords", keywords_field(paper.topics))
    return text


def entry(paper: Paper, key: str | None = None, extra: Mapping[str, str] | None = None) -> str:
    """The BibTeX entry of ``paper`` under ``key`` (default: its stored key), no trailing
    newline: its own text brought up to date, else one generated from its fields; ``extra``
    fields (raw BibTeX values) set in it."""
    key = key or paper.key or "paper"
    text = _updated_text(paper, key)
    if text is None:
        text = generate(paper, key)
    if extra:
        from kb.sources.bibtex_source import set_field

        for name, value in extra.items():
            text = set_field(text, name, value)
    return text.strip()


def with_abstract(text: str, abstract: str | None) -> str:
    """An entry with an ``abstract`` field added first when it has none (a note's citation
    holds the abstract, as the seed template does)."""
    text = text.strip("\n")
    if not abstract or _HAS_ABSTRACT.search(text):
        return text
    m = _ENTRY_HEAD.search(text)
    if not m:
        return text
    value = balance_braces(_one_line(abstract))
    return f"{text[: m.end()]}\nabstract = {{{value}}},{text[m.end():]}"
