"""BibTeX files -> :class:`~kb.models.Paper` records, plus every problem met on the way.

bibtexparser v2 splits the file into blocks (with an empty parse stack: we get the raw field
values); this module walks the blocks in file order, keeps the ``@string`` macros as BibTeX
reads them (case-insensitive, defined before use) and turns each entry into a paper
(:mod:`kb.sources.bibtex_entries`; values in :mod:`kb.sources.bibtex_values`, names in
:mod:`kb.sources.bibtex_names`, the entry's text in :mod:`kb.sources.bibtex_spans`).

Unparsable blocks, duplicate keys, duplicate fields and entries without a title become
:class:`Problem` records with the file and the 1-based line; nothing is dropped silently.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kb.models import Paper
from kb.sources.bibtex_entries import entry_to_paper
from kb.sources.bibtex_names import split_names
from kb.sources.bibtex_spans import entry_spans, set_field, set_key
from kb.sources.bibtex_values import MacroResolver, clean_doi

__all__ = [
    "BibParse",
    "BibRecord",
    "Problem",
    "clean_doi",
    "entry_spans",
    "gc_paused",
    "parse_bibtex",
    "parse_file",
    "read_text",
    "set_field",
    "set_key",
    "split_names",
]

_LOOKS_LIKE_ENTRY = re.compile(r"^\s*[A-Za-z]+\s*\{[^,\s]*,", re.MULTILINE)


@dataclass
class Problem:
    """Something in a file that could not be imported as it is."""

    file: str
    line: int  # 1-based
    message: str
    key: str | None = None
    kind: str = "error"  # "error" (counts as a failure) or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.kind}: {self.message}"


@dataclass
class BibRecord:
    paper: Paper
    file: str
    line: int  # 1-based line of the entry's "@" (0 when not from a BibTeX file)
    item: int | None = None  # position in a JSON export

    @property
    def loc(self) -> str:
        if self.item is not None:
            return f"{self.file}: item {self.item}"
        return f"{self.file}:{self.line}"


@dataclass
class BibParse:
    records: list[BibRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    strings: int = 0  # number of @string definitions

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "error"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk build of acyclic objects.

    Parsing allocates millions of small objects that all survive; with the collector on,
    its generation-2 passes rescan the whole growing heap again and again (about 40% of
    the parse time for 20,000 entries). Nothing built here forms reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_bibtex(text: str, file: str = "<string>") -> BibParse:
    """Parse BibTeX ``text``; ``file`` names it in :class:`Problem` records."""
    with gc_paused():
        return _parse_bibtex(text, file)


def _parse_bibtex(text: str, file: str) -> BibParse:
    import bibtexparser
    from bibtexparser import model

    splitter_log = logging.getLogger("bibtexparser.splitter")
    old_level = splitter_log.level
    splitter_log.setLevel(logging.CRITICAL)  # its failures become our Problems
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    finally:
        splitter_log.setLevel(old_level)

    result = BibParse()
    resolver = MacroResolver()
    first_line: dict[str, int] = {}
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, model.Entry):
            first_line.setdefault(block.key, line)
            paper, unknown, why = entry_to_paper(block, resolver)
            for name in dict.fromkeys(unknown):
                result.problems.append(Problem(
                    file, line, f"entry {block.key!r}: undefined macro {name!r} (kept as text)",
                    block.key, "warning",
                ))
            if paper is None:
                result.problems.append(
                    Problem(file, line, f"entry {block.key!r} {why}; not imported", block.key)
                )
            else:
                result.records.append(BibRecord(paper, file, line))
        elif isinstance(block, model.String):
            result.strings += 1
            resolver.unknown = []
            resolver.strings[block.key.lower()] = resolver.value(block.value)
            for name in dict.fromkeys(resolver.unknown):
                result.problems.append(Problem(
                    file, line, f"@string {block.key!r}: undefined macro {name!r} (kept as text)",
                    None, "warning",
                ))
        elif isinstance(block, model.DuplicateBlockKeyBlock):
            key = block.key
            first = first_line.get(key)
            where = f" (first defined at line {first})" if first else ""
            result.problems.append(Problem(
                file, line, f"duplicate key {key!r}{where}; this entry was not imported", key,
            ))
        elif isinstance(block, model.DuplicateFieldKeyBlock):
            inner = block.ignore_error_block
            key = getattr(inner, "key", None)
            if key:
                first_line.setdefault(key, line)
            dups = ", ".join(sorted(block.duplicate_keys))
            result.problems.append(Problem(
                file, line, f"entry {key!r} repeats field(s) {dups}; not imported", key,
            ))
        elif isinstance(block, model.ImplicitComment):
            body = block.comment or ""
            if "{" in body and "=" in body and _LOOKS_LIKE_ENTRY.search(body):
                result.problems.append(Problem(
                    file, line, "text outside any entry ignored (an entry without its '@'?)",
                    None, "warning",
                ))
        elif isinstance(block, model.ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax"
            reason = " ".join(str(reason).split())
            head = (block.raw or "").strip().splitlines()[0][:60] if block.raw else ""
            result.problems.append(Problem(
                file, line, f"could not parse {head!r}: {reason}; not imported",
            ))
    return result


def read_text(path: Path) -> str:
    """A .bib file's text: UTF-8 (with or without BOM), else Latin-1."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_file(path: Path | str, display: str | None = None) -> BibParse:
    path = Path(path)
    return parse_bibtex(read_text(path), display or str(path))
