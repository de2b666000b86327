"""``mtlkb export``: the store as BibTeX or JSON, re-importable by ``mtlkb import``.

BibTeX: each paper's entry as :func:`kb.sources.bibtex_writer.entry` writes it (the one
writer behind export, notes and the site): its own entry text under the stored key with what
the store learnt since, else an entry generated from its fields.

JSON: an array of paper objects (``Paper.public_dict()`` plus ``month``, ``source``,
``authors_full``, ``bibtex`` and ``fields``: every Paper field, so a re-import is exact),
or ``{"papers": [...], "social": {...}, "record": {...}}``: the social record
(``kb.core.social.export_social``) and the paper record of issue 16 -- comments, code and
dataset links, citations, institutions, summaries, cached enrichment
(``kb.core.record_io.export_record``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.config import KB, KBError
from kb.core.record_io import export_record
from kb.core.social import export_social
from kb.files import write_atomic
from kb.models import Paper, PaperVersion
from kb.sources import bibtex_writer
from kb.store.papers import iter_papers, list_papers
from kb.store.versions import all_aliases, all_versions, preprints

FORMATS = ("bibtex", "json")


# -- BibTeX (kb.sources.bibtex_writer, the writer notes and the site use too) -------------
def generate_bibtex(paper: Paper) -> str:
    """An entry generated from a paper's fields (no original text)."""
    return bibtex_writer.generate(paper)


def paper_bibtex(paper: Paper) -> str:
    """The entry for ``paper`` under its stored key: its own text brought up to date, else a
    generated one."""
    return bibtex_writer.entry(paper)


def with_identity(text: str, paper: Paper, aliases: list[str], preprint: bool) -> str:
    """``text`` (``paper``'s entry) with biblatex's ``ids`` line naming the keys merged into
    the paper, so that every ``\\cite`` of them still resolves (issue 15), and, for a paper
    cited as its published version with a preprint among its versions, the preprint's
    ``eprint`` kept."""
    from kb.sources.bibtex_source import entry_spans, set_field

    spans = entry_spans(text)
    have = {name: text[a:b].strip("{}\" ") for name, _, a, b in spans.fields} if spans else {}
    if aliases:
        written = [k.strip() for k in have.get("ids", "").split(",") if k.strip()]
        text = set_field(text, "ids", ",".join(dict.fromkeys([*written, *aliases])))
    if preprint and paper.arxiv_id:
        if "eprint" not in have:
            text = set_field(text, "eprint", paper.arxiv_id)
            text = set_field(text, "archivePrefix", "arXiv")
    return text


def to_bibtex(papers: list[Paper], aliases: dict[str, list[str]] | None = None,
              preprints: set[str] | frozenset[str] = frozenset()) -> str:
    """Every paper's entry; ``aliases`` (key -> merged keys) and ``preprints`` (keys of
    papers with a preprint version) go through :func:`with_identity`."""
    aliases = aliases or {}
    return "".join(
        with_identity(paper_bibtex(p), p, aliases.get(p.key or "", []), p.key in preprints)
        + "\n\n" for p in papers)


# -- JSON --------------------------------------------------------------------------------
def paper_json(paper: Paper) -> dict:
    d = paper.public_dict()
    d["month"] = paper.month
    d["source"] = paper.source
    d["authors_full"] = [{"first": a.first, "last": a.last} for a in paper.authors]
    d["bibtex"] = paper.bibtex
    d["fields"] = paper.fields
    return d


def identity_json(obj: dict, aliases: list[str], versions: list[PaperVersion]) -> dict:
    """A paper object with the keys merged into it and its versions (issue 15), so that
    ``mtlkb import`` of the export keeps both (absent when the paper has none)."""
    if aliases:
        obj["aliases"] = aliases
    if versions:
        obj["versions"] = [{"key": v.key, "kind": v.kind, "why": v.why,
                            "added_at": v.added_at,
                            "record": v.record.model_dump(mode="json", exclude={"added_at"})}
                           for v in versions]
    return obj


def to_json(kb: KB, papers: Iterable[Paper]) -> str:
    return "".join(json_chunks(kb, papers))


def _indented(obj: object, level: int) -> str:
    """``obj`` as ``json.dumps(..., indent=2)`` writes it ``level`` indents deep."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * level)


def json_chunks(kb: KB, papers: Iterable[Paper]) -> Iterator[str]:
    """The JSON export, a paper at a time: the same text as ``json.dumps`` of the whole
    ``{"papers": [...], "social": {...}, "record": {...}}`` with ``indent=2``, never all the
    papers in memory."""
    aliases, versions = all_aliases(kb.db), all_versions(kb.db)
    yield '{\n  "papers": ['
    sep = "\n    "
    for paper in papers:
        obj = identity_json(paper_json(paper), aliases.get(paper.key or "", []),
                            versions.get(paper.key or "", []))
        yield sep + _indented(obj, 2)
        sep = ",\n    "
    yield ("\n  ]" if sep != "\n    " else "]") + ',\n  "social": '
    yield _indented(export_social(kb), 1) + ',\n  "record": '
    yield _indented(export_record(kb), 1) + "\n}\n"


# -- the command's core ------------------------------------------------------------------
def export_chunks(kb: KB, fmt: str) -> Iterator[str]:
    """The export as pieces of text (JSON streams a paper at a time)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected {' or '.join(FORMATS)})")
    if fmt == "json":
        return json_chunks(kb, iter_papers(kb.db, sort="key"))
    return iter([to_bibtex(list_papers(kb.db, sort="key"), all_aliases(kb.db),
                           preprints(kb.db))])


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
