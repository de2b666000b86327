"""Institutions of a paper: arXiv's ``arxiv:affiliation`` of its authors, what open APIs
said (``mtlkb enrich``), and BibTeX ``institution`` / ``school`` / ``organization``."""

from __future__ import annotations

from typing import Any

from kb.config import KB
from kb.models import Paper
from kb.models.record import Institution
from kb.store import institutions as store

BIBTEX_FIELDS = ("institution", "school", "organization")


def clean_name(name: Any) -> str:
    """One line, trimmed of spaces and trailing commas/semicolons; '' if nothing is left."""
    return " ".join(str(name or "").split()).strip(" ,;")[:300]


def record_affiliations(db: Any, key: str, affiliations: dict[str, list[str]],
                        source: str) -> int:
    """Replace what ``source`` said about a paper's institutions with ``affiliations``
    (author -> institution names); returns how many were stored."""
    store.clear_source(db, key, source)
    n = 0
    for author, names in affiliations.items():
        for name in names:
            name = clean_name(name)
            if name:
                n += store.put_affiliation(db, key, name, clean_name(author), source)
    return n


def bibtex_institutions(paper: Paper) -> list[str]:
    names = []
    for field_name in BIBTEX_FIELDS:
        name = clean_name(paper.fields.get(field_name))
        if name and name not in names:
            names.append(name)
    return names


def merge(rows: list[tuple[str, str, str]], paper: Paper) -> list[Institution]:
    """``(institution, author, source)`` rows plus the paper's BibTeX fields, one entry per
    institution, in the order first named."""
    out: dict[str, Institution] = {}
    for name, author, source in rows:
        item = out.setdefault(name, Institution(name=name))
        if author and author not in item.authors:
            item.authors.append(author)
        if source not in item.sources:
            item.sources.append(source)
    for name in bibtex_institutions(paper):
        item = out.setdefault(name, Institution(name=name))
        if "bibtex" not in item.sources:
            item.sources.append("bibtex")
    return list(out.values())


def institutions_of(kb: KB, paper: Paper) -> list[Institution]:
    rows = store.affiliations_of(kb.conn, paper.key or "") if kb.has_store else []
    return merge(rows, paper)


def all_institutions(kb: KB, papers: list[Paper]) -> dict[str, dict[str, list[str]]]:
    """Institution -> ``{"papers": [keys], "authors": [names]}`` over ``papers``."""
    rows: dict[str, list[tuple[str, str, str]]] = {}
    if kb.has_store:
        for key, name, author, source in store.all_affiliations(kb.conn):
            rows.setdefault(key, []).append((name, author, source))
    out: dict[str, dict[str, list[str]]] = {}
    for p in papers:
        for inst in merge(rows.get(p.key or "", []), p):
            entry = out.setdefault(inst.name, {"papers": [], "authors": []})
            if p.key not in entry["papers"]:
                entry["papers"].append(p.key or "")
            for a in inst.authors:
                if a not in entry["authors"]:
                    entry["authors"].append(a)
    return out
