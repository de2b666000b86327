"""The sources mtlkb knows, in the order they are asked, and the two ways they are used:
``mtlkb add REF...`` (:func:`match_refs`) and ``mtlkb import FILE...`` (:func:`read_files`).

Adding a source is one module with a class that has ``name``, ``match`` and ``fetch``
(:mod:`kb.sources.base`) and one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from kb.config import KBError
from kb.sources.base import FileSource, Source
from kb.sources.records import Problem, Records


def reference_sources() -> list[Source]:
    """Online sources, asked in this order (an arXiv DOI goes to arXiv, not Crossref)."""
    from kb.sources.arxiv_source import ArxivSource
    from kb.sources.crossref_source import CrossrefSource

    return [ArxivSource(), CrossrefSource()]


def file_sources() -> list[FileSource]:
    """File formats, asked in this order: the first whose ``match`` says yes reads the file.
    BibTeX, which has no signature, comes last and takes the rest."""
    from kb.sources.bibtex_source import BibtexFiles
    from kb.sources.csl_json import CslJsonFiles
    from kb.sources.mtlkb_json import MtlkbJsonFiles

    return [CslJsonFiles(), MtlkbJsonFiles(), BibtexFiles()]


def match_refs(refs: Sequence[str], sources: Sequence[Source] | None = None
               ) -> list[tuple[Source, str]]:
    """``(source, id)`` for every reference, deduplicated, in order. Raises :class:`KBError`
    naming every reference no source matches (before anything is fetched)."""
    sources = list(sources) if sources is not None else reference_sources()
    out: list[tuple[Source, str]] = []
    seen: set[tuple[str, str]] = set()
    bad: list[str] = []
    for ref in refs:
        for source in sources:
            ident = source.match(ref)
            if ident is not None:
                if (source.name, ident) not in seen:
                    seen.add((source.name, ident))
                    out.append((source, ident))
                break
        else:
            bad.append(ref)
    if bad:
        named = ", ".join(repr(b) for b in bad)
        raise KBError(
            f"not an arXiv id or DOI: {named} (expected e.g. 2009.09796, hep-th/9901001, an "
            f"arxiv.org URL, 10.1109/CVPR.2018.00781 or a doi.org URL); nothing was fetched"
        )
    if not out:
        raise KBError("no arXiv id or DOI given")
    return out


def read_files(
    files: Sequence[tuple[str, str]],
    sources: Sequence[FileSource] | None = None,
    on_read: Callable[[str], None] | None = None,
) -> Records:
    """The records of every ``(name, decoded text)`` file of one import.

    Each file goes to the first source that matches it; the files of one source are read
    together (one BibTeX namespace), the sources in the order their first file came.
    """
    sources = list(sources) if sources is not None else file_sources()
    groups: dict[int, list[tuple[str, str]]] = {}
    for name, text in files:
        for i, source in enumerate(sources):
            if source.match(name, text):
                groups.setdefault(i, []).append((name, text))
                break
        else:  # pragma: no cover - the BibTeX source takes every file
            raise KBError(f"{name}: no source reads this file")
    out = Records()
    for i, group in groups.items():
        if on_read:
            for name, _ in group:
                on_read(name)
        out.extend(sources[i].fetch(group))
    return out


def read_paths(paths: Sequence[Path | str], on_read: Callable[[str], None] | None = None
               ) -> tuple[Records, list[str]]:
    """:func:`read_files` on paths: each decoded as BibTeX tools do; an unreadable file is a
    problem. Returns the records and the file names, in order."""
    from kb.sources.bibtex_source import read_text

    names: list[str] = []
    texts: list[tuple[str, str]] = []
    unreadable = Records()
    for f in paths:
        name = str(f)
        names.append(name)
        try:
            texts.append((name, read_text(Path(f))))
        except OSError as exc:
            unreadable.problems.append(Problem(name, 0, f"cannot read ({exc.strerror or exc})"))
    out = read_files(texts, on_read=on_read)
    out.problems[:0] = unreadable.problems
    return out, names
