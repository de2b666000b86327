"""``mtlkb export``: the store as BibTeX or JSON, re-importable by ``mtlkb import``.

BibTeX: a paper imported from BibTeX is written as its original entry text, with the key
rewritten to the stored key when it changed, and with what the store learnt since (a DOI or
arXiv id from a merged record, a year, authors, the stored topics as ``keywords``) set in
that text; other fields and formatting stay as they were. A paper without original text
(arXiv, JSON) gets an entry generated from its fields, with TeX specials escaped.

JSON: an array of paper objects (``Paper.public_dict()`` plus ``month``, ``source``,
``authors_full``, ``bibtex`` and ``fields``: every Paper field, so a re-import is exact),
or ``{"papers": [...], "social": {...}}`` when the store has a social module
(``kb.core.social.export_social``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.config import KB, KBError
from kb.core.social import export_social
from kb.files import write_atomic
from kb.latex import escape
from kb.models import Author, Paper
from kb.store.papers import iter_papers, list_papers

FORMATS = ("bibtex", "json")
_VERBATIM = frozenset({"pdf", "file", "isbn", "issn"})
# Stored extras that must not become fields of an entry that lacks them.
_NOT_FROM_FIELDS = frozenset({"year", "month", "crossref"})


# -- BibTeX ------------------------------------------------------------------------------
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
    return " and ".join(_name(a) for a in authors if a.name)


def _keywords(topics: list[str]) -> str:
    return ", ".join(escape(t) for t in topics)


def generate_bibtex(paper: Paper) -> str:
    """An entry generated from a paper's fields (no original text)."""
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
        venue_field = "booktitle" if entry_type in ("inproceedings", "conference") else "journal"
        if entry_type == "misc":
            venue_field = "howpublished"
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
        fields.append(("keywords", _keywords(paper.topics)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{paper.key},\n{body}\n}}"


def paper_bibtex(paper: Paper) -> str:
    """The entry for ``paper``: its own text brought up to date, else a generated one."""
    if not paper.bibtex:
        return generate_bibtex(paper)
    from kb.sources.bibtex_source import entry_spans, parse_bibtex, set_field, set_key

    raw = paper.bibtex.strip()
    if entry_spans(raw) is None:
        return generate_bibtex(paper)
    parsed = parse_bibtex(raw, "<stored>")
    if not parsed.records:
        return generate_bibtex(paper)
    old = parsed.records[0].paper
    text = raw
    if old.key != paper.key and paper.key:
        text = set_key(text, paper.key)
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
        text = set_field(text, "keywords", _keywords(paper.topics))
    return text


def to_bibtex(papers: list[Paper]) -> str:
    return "".join(paper_bibtex(p) + "\n\n" for p in papers)


# -- JSON --------------------------------------------------------------------------------
def paper_json(paper: Paper) -> dict:
    d = paper.public_dict()
    d["month"] = paper.month
    d["source"] = paper.source
    d["authors_full"] = [{"first": a.first, "last": a.last} for a in paper.authors]
    d["bibtex"] = paper.bibtex
    d["fields"] = paper.fields
    return d


def to_json(kb: KB, papers: Iterable[Paper]) -> str:
    return "".join(json_chunks(kb, papers))


def _indented(obj: object, level: int) -> str:
    """``obj`` as ``json.dumps(..., indent=2)`` writes it ``level`` indents deep."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * level)


def json_chunks(kb: KB, papers: Iterable[Paper]) -> Iterator[str]:
    """The JSON export, a paper at a time: the same text as ``json.dumps`` of the whole
    ``{"papers": [...], "social": {...}}`` with ``indent=2``, never all of it in memory."""
    yield '{\n  "papers": ['
    sep = "\n    "
    for paper in papers:
        yield sep + _indented(paper_json(paper), 2)
        sep = ",\n    "
    yield ("\n  ]" if sep != "\n    " else "]") + ',\n  "social": '
    yield _indented(export_social(kb), 1) + "\n}\n"


# -- the command's core ------------------------------------------------------------------
def export_chunks(kb: KB, fmt: str) -> Iterator[str]:
    """The export as pieces of text (JSON streams a paper at a time)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected {' or '.join(FORMATS)})")
    if fmt == "json":
        return json_chunks(kb, iter_papers(kb.db, sort="key"))
    return iter([to_bibtex(list_papers(kb.db, sort="key"))])


def export_text(kb: KB, fmt: str) -> str:
    return "".join(export_chunks(kb, fmt))


def export(kb: KB, fmt: str, output: Path | None = None, *, replace: bool = False
           ) -> str | None:
    """The export as text (``output`` None), or written to ``output`` atomically; an
    existing ``output`` is replaced only with ``replace``."""
    if output is not None and not replace and Path(output).exists():
        raise KBError(f"{output} exists (pass --force to replace it)")
    if output is None:
        return export_text(kb, fmt)
    write_atomic(output, export_chunks(kb, fmt))
    return None
