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
from dataclasses import dataclass
from pathlib import Path

from kb.sources.bibtex_entries import entry_values, values_to_paper
from kb.sources.bibtex_names import split_names
from kb.sources.bibtex_spans import entry_spans, set_field, set_key
from kb.sources.bibtex_values import MacroResolver, clean_doi
from kb.sources.records import BibParse, BibRecord, Problem

__all__ = [
    "BibParse",
    "BibReader",
    "BibtexFiles",
    "decode_bytes",
    "BibRecord",
    "Problem",
    "clean_doi",
    "entry_spans",
    "gc_paused",
    "parse_bibtex",
    "parse_file",
    "parse_files",
    "read_text",
    "set_field",
    "set_key",
    "split_names",
]

_LOOKS_LIKE_ENTRY = re.compile(r"^\s*[A-Za-z]+\s*\{[^,\s]*,", re.MULTILINE)


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
    reader = BibReader()
    reader.add(text, file)
    return reader.finish()


# Entry fields a ``crossref`` child never inherits: identifiers of the parent itself and
# biber's non-inherited fields.
_NOT_INHERITED = frozenset({
    "crossref", "xref", "ids", "key", "label", "doi", "url", "eprint", "eprinttype",
    "archiveprefix", "primaryclass", "pdf", "file", "abstract", "keywords", "shorthand",
    "sortkey", "presort", "options", "related", "entryset", "execute", "biburl", "bibsource",
    "timestamp", "urldate", "note", "annote",
})
# Parent types whose title is the child's booktitle (BibTeX styles and biber).
_VOLUME_TYPES = frozenset({
    "proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection",
    "reference", "mvreference", "periodical",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RIS = re.compile(r"^TY  - ", re.MULTILINE)


@dataclass
class _Pending:
    key: str
    entry_type: str
    raw: str | None
    values: dict[str, str]
    macro_fields: dict[str, tuple[str, str]]
    file: str
    line: int
    slot: int  # its position among the records


class BibReader:
    """One import's BibTeX namespace, as BibTeX has it over all the files of one run:
    ``@string`` macros defined in one file serve the files read after it, and ``crossref``
    finds its parent in any file of the run (resolved in :meth:`finish`).

    ``add`` each file's text in order, then ``finish`` once.
    """

    def __init__(self) -> None:
        self.resolver = MacroResolver()
        self.result = BibParse()
        self._slots: list[BibRecord | _Pending | None] = []
        self._values: dict[str, tuple[str, dict[str, str]]] = {}  # lower key -> (type, values)
        self._pending: list[_Pending] = []
        self._first_line: dict[str, tuple[str, int]] = {}

    def add(self, text: str, file: str) -> None:
        with gc_paused():
            self._add(text, file)

    def finish(self) -> BibParse:
        with gc_paused():
            for p in self._pending:
                self._resolve(p)
        self.result.records = [r for r in self._slots if isinstance(r, BibRecord)]
        self._slots, self._pending = [], []
        return self.result

    # -- crossref ------------------------------------------------------------------------
    def _resolve(self, p: _Pending) -> None:
        ref = p.values.get("crossref", "").strip().strip("{}").strip()
        parent = self._values.get(ref.lower())
        added: dict[str, str] = {}
        values = p.values
        if parent is None:
            self.result.problems.append(Problem(
                p.file, p.line, f"entry {p.key!r}: crossref {ref!r} is not in the imported "
                "file(s) (its fields are not inherited)", p.key, "warning",
            ))
        else:
            ptype, pvalues = parent
            if "crossref" in pvalues:  # a parent with a parent of its own (one level more)
                grand = self._values.get(pvalues["crossref"].strip().strip("{}").lower())
                if grand is not None and grand[1] is not pvalues:
                    pvalues = {**{k: v for k, v in grand[1].items()
                                  if k not in _NOT_INHERITED}, **pvalues}
            values = dict(values)
            for name, value in pvalues.items():
                if name not in values and name not in _NOT_INHERITED and name != "title":
                    values[name] = added[name] = value
            if ptype in _VOLUME_TYPES and "booktitle" not in values and pvalues.get("title"):
                values["booktitle"] = added["booktitle"] = pvalues["title"]
        paper, why = values_to_paper(
            p.key, p.entry_type, p.raw, values, p.macro_fields, added if parent else None
        )
        if paper is None:
            self.result.problems.append(
                Problem(p.file, p.line, f"entry {p.key!r} {why}; not imported", p.key)
            )
            self._slots[p.slot] = None
        else:
            self._slots[p.slot] = BibRecord(paper, p.file, p.line)

    # -- one file ------------------------------------------------------------------------
    def _add(self, text: str, file: str) -> None:
        result = self.result
        if "\x00" in text:
            result.problems.append(Problem(
                file, 0, "not a text file (binary data); not BibTeX, nothing imported"
            ))
            return
        if not text.strip():
            result.problems.append(Problem(file, 0, "empty file; nothing imported"))
            return
        if _CONTROL.search(text):
            text = self._strip_control(text, file)
        n_entries, n_strings = len(self._slots), result.strings
        self._parse(text, file)
        if len(self._slots) == n_entries and result.strings == n_strings:
            if not any(p.file == file and p.kind == "error" for p in result.problems):
                what = ("a RIS file, not BibTeX" if _RIS.search(text)
                        else "no BibTeX entries found (not a BibTeX file?)")
                result.problems.append(Problem(file, 0, f"{what}; nothing imported"))

    def _strip_control(self, text: str, file: str) -> str:
        lines = {}
        for m in _CONTROL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            lines.setdefault(line, set()).add(f"U+{ord(m.group()):04X}")
        for line, chars in lines.items():
            self.result.problems.append(Problem(
                file, line, f"control character(s) {', '.join(sorted(chars))} removed",
                None, "warning",
            ))
        return _CONTROL.sub(" ", text)

    def _parse(self, text: str, file: str) -> None:
        import bibtexparser
        from bibtexparser import model

        splitter_log = logging.getLogger("bibtexparser.splitter")
        old_level = splitter_log.level
        splitter_log.setLevel(logging.CRITICAL)  # its failures become our Problems
        try:
            library = bibtexparser.parse_string(text, parse_stack=[])
        finally:
            splitter_log.setLevel(old_level)

        result = self.result
        resolver = self.resolver
        first_line = self._first_line
        for block in library.blocks:
            line = (block.start_line or 0) + 1
            if isinstance(block, model.Entry):
                first = first_line.setdefault(block.key, (file, line))
                if first[0] != file:  # bibtexparser sees one file at a time
                    result.problems.append(Problem(
                        file, line, f"duplicate key {block.key!r} (first defined in "
                        f"{first[0]}:{first[1]}); this entry was not imported", block.key,
                    ))
                    continue
                values, macro_fields, unknown = entry_values(block, resolver)
                for name in dict.fromkeys(unknown):
                    result.problems.append(Problem(
                        file, line,
                        f"entry {block.key!r}: undefined macro {name!r} (kept as text)",
                        block.key, "warning",
                    ))
                etype = block.entry_type.lower()
                self._values.setdefault(block.key.lower(), (etype, values))
                if "crossref" in values:
                    pending = _Pending(block.key, etype, block.raw, values, macro_fields,
                                       file, line, len(self._slots))
                    self._pending.append(pending)
                    self._slots.append(pending)
                    continue
                paper, why = values_to_paper(
                    block.key, etype, block.raw, values, macro_fields
                )
                if paper is None:
                    result.problems.append(Problem(
                        file, line, f"entry {block.key!r} {why}; not imported", block.key
                    ))
                    self._slots.append(None)
                else:
                    self._slots.append(BibRecord(paper, file, line))
            elif isinstance(block, model.String):
                result.strings += 1
                resolver.unknown = []
                resolver.strings[block.key.lower()] = resolver.value(block.value)
                for name in dict.fromkeys(resolver.unknown):
                    result.problems.append(Problem(
                        file, line,
                        f"@string {block.key!r}: undefined macro {name!r} (kept as text)",
                        None, "warning",
                    ))
            elif isinstance(block, model.Preamble):
                self._slots.append(None)  # a file of preambles is still BibTeX
            elif isinstance(block, model.DuplicateBlockKeyBlock):
                key = block.key
                first = first_line.get(key)
                where = ""
                if first:
                    where = (f" (first defined at line {first[1]})" if first[0] == file
                             else f" (first defined in {first[0]}:{first[1]})")
                result.problems.append(Problem(
                    file, line, f"duplicate key {key!r}{where}; this entry was not imported",
                    key,
                ))
            elif isinstance(block, model.DuplicateFieldKeyBlock):
                inner = block.ignore_error_block
                key = getattr(inner, "key", None)
                if key:
                    first_line.setdefault(key, (file, line))
                dups = ", ".join(sorted(block.duplicate_keys))
                result.problems.append(Problem(
                    file, line, f"entry {key!r} repeats field(s) {dups}; not imported", key,
                ))
            elif isinstance(block, model.ImplicitComment):
                body = block.comment or ""
                if "{" in body and "=" in body and _LOOKS_LIKE_ENTRY.search(body):
                    result.problems.append(Problem(
                        file, line,
                        "text outside any entry ignored (an entry without its '@'?)",
                        None, "warning",
                    ))
            elif isinstance(block, model.ParsingFailedBlock):
                reason = (getattr(block.error, "abort_reason", None) or str(block.error)
                          or "syntax")
                reason = " ".join(str(reason).split())
                head = (block.raw or "").strip().splitlines()[0][:60] if block.raw else ""
                result.problems.append(Problem(
                    file, line, f"could not parse {head!r}: {reason}; not imported",
                ))


def read_text(path: Path) -> str:
    """A .bib file's text, decoded as BibTeX tools read it: UTF-8 (with or without BOM),
    UTF-16 (with a BOM, or without one when every other byte is NUL), else Latin-1 (Windows
    1252 where it differs). A binary file comes back with its NULs (:class:`BibReader`
    refuses it)."""
    return decode_bytes(path.read_bytes())


def decode_bytes(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    head = data[:4096]
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        for zeros, enc in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if zeros.count(0) >= 0.9 * len(zeros) and len(data) % 2 == 0:
                try:
                    return data.decode(enc)
                except UnicodeDecodeError:
                    break
        return data.decode("latin-1")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_file(path: Path | str, display: str | None = None) -> BibParse:
    path = Path(path)
    return parse_bibtex(read_text(path), display or str(path))


def parse_files(paths, displays=None) -> BibParse:
    """Several files as one import: one macro namespace, crossref across them."""
    reader = BibReader()
    for i, path in enumerate(paths):
        path = Path(path)
        reader.add(read_text(path), displays[i] if displays else str(path))
    return reader.finish()


class BibtexFiles:
    """The BibTeX file source: every file not claimed by another format (BibTeX has no
    signature to test; :class:`BibReader` refuses binary, empty and RIS files itself)."""

    name = "BibTeX"

    def match(self, name: str, text: str) -> bool:
        return True

    def fetch(self, files: list[tuple[str, str]]) -> BibParse:
        reader = BibReader()
        for name, text in files:
            reader.add(text, name)
        return reader.finish()
