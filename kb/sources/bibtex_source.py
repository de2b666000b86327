"""BibTeX files -> :class:`~kb.models.Paper` records, plus every problem met on the way.

bibtexparser v2 splits the file into blocks (with an empty parse stack: we get the raw field
values); this module does the rest, in one pass over the blocks in file order:

- ``@string`` macros (case-insensitive, defined before use, as BibTeX reads them), ``#``
  concatenation (which bibtexparser leaves unresolved) and the month macros ``jan``..``dec``;
- names split on raw LaTeX *before* any decoding, so ``{Google Research}`` stays one name;
- LaTeX decoded to Unicode (:mod:`kb.latex`) only for what is shown and searched;
- arXiv ids from ``eprint``/``archivePrefix``, arXiv URLs, ``journal = {arXiv preprint
  arXiv:...}`` (and DBLP's ``CoRR abs/...``), and ``10.48550/arXiv.`` DOIs; DOIs normalised;
- the entry's own text kept in ``Paper.bibtex`` (with ``@string`` macros substituted, so the
  text stands alone), the fields without a Paper attribute in ``Paper.fields``.

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
from functools import lru_cache
from pathlib import Path

from kb.ids import BadId, arxiv_id_from_doi, find_arxiv_id, normalize_doi, parse_arxiv_id
from kb.latex import decode
from kb.models import Author, Paper

__all__ = [
    "BibParse",
    "BibRecord",
    "Problem",
    "clean_doi",
    "entry_spans",
    "parse_bibtex",
    "parse_file",
    "set_field",
    "set_key",
    "split_names",
]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
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
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_WORDS = re.compile(r"\S+")
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Za-z]{2})?/\d{7}"
    r"(?:v\d+)?)",
    re.IGNORECASE,
)
_DOI_URL = re.compile(r"^\s*(?:https?://)?(?:(?:dx|www)\.)?doi\.org/", re.IGNORECASE)
_LOOKS_LIKE_ENTRY = re.compile(r"^\s*[A-Za-z]+\s*\{[^,\s]*,", re.MULTILINE)
_VERBATIM_UNESCAPE = re.compile(r"\\([_%&#$])")


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


# -- values ------------------------------------------------------------------------------
def _split_concat(raw: str) -> list[str]:
    """The pieces of ``a # {b} # "c"`` (``#`` outside braces and quotes)."""
    pieces, depth, quoted, start = [], 0, False, 0
    prev = ""
    for i, c in enumerate(raw):
        if c == "{" and prev != "\\":
            depth += 1
        elif c == "}" and prev != "\\":
            depth -= 1
        elif c == '"' and depth == 0 and prev != "\\":
            quoted = not quoted
        elif c == "#" and depth == 0 and not quoted:
            pieces.append(raw[start:i].strip())
            start = i + 1
        prev = c
    pieces.append(raw[start:].strip())
    return pieces


class _Resolver:
    """Resolves raw values against the ``@string`` macros defined so far."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {m: n for m, n in zip(MONTHS, _MONTH_NAMES, strict=True)}
        self.unknown: list[str] = []
        self.used_macro = False

    def piece(self, p: str) -> str:
        if len(p) >= 2 and ((p[0] == "{" and p[-1] == "}") or (p[0] == '"' and p[-1] == '"')):
            return p[1:-1]
        if p.isdigit():
            return p
        value = self.strings.get(p.lower())
        if value is None:
            self.unknown.append(p)
            return p
        if p.lower() not in MONTHS:
            self.used_macro = True
        return value

    def value(self, raw: str) -> str:
        raw = raw.strip()
        if "#" in raw:
            pieces = _split_concat(raw)
            if len(pieces) > 1:
                return "".join(self.piece(p) for p in pieces)
        return self.piece(raw)


def _month(value: str) -> int | None:
    v = value.strip().strip("{}").strip().lower()
    if v.isdigit():
        n = int(v)
        return n if 1 <= n <= 12 else None
    if len(v) >= 3 and v[:3] in MONTHS:
        return MONTHS.index(v[:3]) + 1
    return None


def _verbatim(value: str) -> str:
    """Identifiers and URLs: no LaTeX decoding, only braces and ``\\_``-style escapes go."""
    if "{" in value or "}" in value:
        value = value.replace("{", "").replace("}", "")
    if "\\" in value:
        value = _VERBATIM_UNESCAPE.sub(r"\1", value)
        if value.startswith("\\url"):
            value = value[4:]
    return value.strip()


def clean_doi(value: str | None) -> str | None:
    """A DOI from a field value or a doi.org URL, in the normal form (lowercase, bare)."""
    if not value:
        return None
    value = _DOI_URL.sub("", _verbatim(value))
    return normalize_doi(value)


# -- names -------------------------------------------------------------------------------
def _mask(s: str) -> str:
    """``s`` with everything inside braces replaced by ``_`` (same length), braces kept."""
    if "{" not in s:
        return s
    out, depth, last = [], 0, 0
    for m in re.finditer(r"(?<!\\)[{}]", s):
        i = m.start()
        if depth == 0:
            out.append(s[last:i])
        else:
            out.append("_" * (i - last))
        out.append(m.group())
        depth = depth + 1 if m.group() == "{" else max(depth - 1, 0)
        last = i + 1
    out.append(s[last:] if depth == 0 else "_" * (len(s) - last))
    return "".join(out)


def _split_top(s: str, pattern: re.Pattern[str]) -> list[str]:
    """Split ``s`` on ``pattern`` matched outside braces."""
    masked = _mask(s)
    if masked is s:
        return pattern.split(s)
    out, last = [], 0
    for m in pattern.finditer(masked):
        out.append(s[last : m.start()])
        last = m.end()
    out.append(s[last:])
    return out


def _words(s: str) -> list[str]:
    if "{" not in s:
        return s.split()
    masked = _mask(s)
    return [s[m.start() : m.end()] for m in _WORDS.finditer(masked)]


_CASE_STRIP = re.compile(r"\\[A-Za-z]+|\\.|[{}]")


def _is_von(word: str) -> bool:
    """BibTeX's rule: a word is part of "von" when its first letter is lowercase."""
    if word[0] == "{" and not word.startswith("{\\"):
        return False  # a braced word counts as upper case
    if "\\" in word or "{" in word:
        word = _CASE_STRIP.sub("", word)
    for c in word:
        if c.isalpha():
            return c.islower()
    return False


_COMMA = re.compile(",")


@lru_cache(maxsize=65536)
def _parse_name(raw: str) -> tuple[str, str] | None:
    """``(first, last)`` of one raw BibTeX name, decoded; cached (names repeat a lot)."""
    parts = [p.strip() for p in _split_top(raw, _COMMA)]
    jr: list[str] = []
    if len(parts) == 1:
        words = _words(parts[0])
        if not words:
            return None
        if len(words) == 1:
            first, von, last = [], [], words
        else:
            vons = [i for i, w in enumerate(words[:-1]) if _is_von(w)]
            if vons:
                first, von, last = words[: vons[0]], words[vons[0] : vons[-1] + 1], words[
                    vons[-1] + 1 :
                ]
            else:
                first, von, last = words[:-1], [], words[-1:]
    else:
        vonlast = _words(parts[0])
        first = _words(parts[-1])
        if len(parts) >= 3:
            jr = _words(", ".join(parts[1:-1]))
        if not vonlast:
            vonlast, first = first, []
        if not vonlast:
            return None
        n = 0
        while n < len(vonlast) - 1 and _is_von(vonlast[n]):
            n += 1
        von, last = vonlast[:n], vonlast[n:]
    last_text = " ".join(von + last + jr)
    return decode(" ".join(first)), decode(last_text)


def split_names(value: str) -> list[Author]:
    """Authors from a raw (undecoded) BibTeX name list; ``and others`` is dropped."""
    value = value.strip()
    if not value:
        return []
    names = _split_top(value, _AND)
    out = []
    for raw in names:
        raw = raw.strip()
        if not raw or raw.lower() == "others":
            continue
        parsed = _parse_name(raw)
        if parsed is not None and (parsed[0] or parsed[1]):
            out.append(Author(first=parsed[0], last=parsed[1]))
    return out


# -- entry text: field spans (for macro substitution and export) -----------------------
@dataclass
class EntrySpans:
    entry_type: str
    key_span: tuple[int, int]
    fields: list[tuple[str, int, int, int]]  # (lowercase name, name start, value start, end)
    close: int  # index of the closing delimiter


_KEY_SPAN = {"}": re.compile(r"\s*([^,\n}]*?)\s*(?=[,\n}]|$)"),
             ")": re.compile(r"\s*([^,\n)]*?)\s*(?=[,\n)]|$)")}
_SEPARATORS = re.compile(r"[\s,]*")
_ENTRY_HEAD = re.compile(r"\s*@\s*([A-Za-z_][\w-]*)\s*([{(])")
_FIELD_NAME = re.compile(r"\s*([^\s=,{}()\"#]+)\s*=\s*")


_VALUE_MARKS = {
    "}": re.compile(r'\\.|[{}",]', re.DOTALL),
    ")": re.compile(r'\\.|[{}",)]', re.DOTALL),
}


def _value_end(raw: str, start: int, close_char: str) -> int:
    """Index of the ``,`` or closing delimiter that ends the value starting at ``start``."""
    depth, quoted = 0, False
    for m in _VALUE_MARKS[close_char].finditer(raw, start):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return m.start()
            depth -= 1
        elif c == '"':
            if depth == 0:
                quoted = not quoted
        elif len(c) == 1 and depth == 0 and not quoted:  # "," or ")"
            return m.start()
    return len(raw)


def entry_spans(raw: str) -> EntrySpans | None:
    """Locate the key and each field's value in one entry's text (``None`` if unreadable)."""
    m = _ENTRY_HEAD.match(raw)
    if not m:
        return None
    close_char = "}" if m.group(2) == "{" else ")"
    km = _KEY_SPAN[close_char].match(raw, m.end())
    key_start, key_end = km.span(1)
    fields: list[tuple[str, int, int, int]] = []
    pos = km.end()
    n = len(raw)
    while pos < n:
        pos = _SEPARATORS.match(raw, pos).end()
        if pos >= n or raw[pos] == close_char:
            return EntrySpans(m.group(1).lower(), (key_start, key_end), fields, pos)
        fm = _FIELD_NAME.match(raw, pos)
        if not fm:
            return None
        vstart = fm.end()
        j = _value_end(raw, vstart, close_char)
        vend = j
        while vend > vstart and raw[vend - 1].isspace():
            vend -= 1
        fields.append((fm.group(1).lower(), pos, vstart, vend))
        pos = j
    return None


def set_key(raw: str, key: str) -> str:
    spans = entry_spans(raw)
    if spans is None:
        return raw
    a, b = spans.key_span
    return raw[:a] + key + raw[b:]


def set_field(raw: str, name: str, value: str) -> str:
    """``raw`` with field ``name`` set to the braced ``value`` (replaced or appended)."""
    spans = entry_spans(raw)
    if spans is None:
        return raw
    braced = "{" + value + "}"
    for fname, _, vstart, vend in spans.fields:
        if fname == name.lower():
            return raw[:vstart] + braced + raw[vend:]
    if spans.fields:
        at = spans.fields[-1][3]
    else:
        at = spans.key_span[1]
    return raw[:at] + f",\n  {name} = {braced}" + raw[at:]


def _substitute_macros(raw: str, resolved: dict[str, tuple[str, str]]) -> str:
    """The entry's text with macro-using values replaced by their braced expansion.

    ``resolved`` maps a field name to (its value as written, its expansion). The common
    case (``booktitle = icml``) is found with one cached regex; anything else goes through
    :func:`entry_spans`.
    """
    out = raw
    rest: dict[str, str] = {}
    for fname, (written, expansion) in resolved.items():
        pattern = re.compile(
            r"(?:^|(?<=[\s,{(]))" + re.escape(fname) + r"\s*=\s*(" + re.escape(written) + ")",
            re.IGNORECASE,
        )
        found = list(pattern.finditer(out))
        if len(found) == 1:
            a, b = found[0].span(1)
            out = out[:a] + "{" + expansion + "}" + out[b:]
        else:
            rest[fname] = expansion
    if not rest:
        return out
    spans = entry_spans(out)
    if spans is None:
        return out
    parts, last = [], 0
    for fname, _, vstart, vend in spans.fields:
        if fname in rest:
            parts.append(out[last:vstart])
            parts.append("{" + rest[fname] + "}")
            last = vend
    parts.append(out[last:])
    return "".join(parts)


# -- entries -> papers -------------------------------------------------------------------
def _arxiv(values: dict[str, str], doi: str | None) -> tuple[str | None, int | None]:
    eprint = values.get("eprint")
    prefix = (values.get("archiveprefix") or values.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("", "arxiv"):
        try:
            return parse_arxiv_id(_verbatim(eprint))
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
        found = find_arxiv_id(_verbatim(v) if name == "url" else v)
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


def _entry_to_paper(entry, resolver: _Resolver) -> tuple[Paper | None, list[str], str | None]:
    """(paper or None, unknown macros, why it is None)."""
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
    unknown = list(resolver.unknown)

    title = decode(values.get("title", ""))
    if not title:
        return None, unknown, "has no title"
    extra: dict[str, str] = {}
    for name, value in values.items():
        if name in _MAPPED:
            continue
        extra[name] = _verbatim(value) if name in _VERBATIM else decode(value)

    year = None
    if "year" in values:
        m = _YEAR.search(values["year"])
        if m:
            year = int(m.group())
        else:
            extra["year"] = decode(values["year"])
    month = None
    if "month" in values:
        month = _month(values["month"])
        if month is None:
            extra["month"] = decode(values["month"])
    venue = None
    for name in _VENUE_FIELDS:
        if extra.get(name):
            venue = extra[name]
            break
    doi = clean_doi(values.get("doi"))
    url = _verbatim(values["url"]) if values.get("url") else None
    if doi is None and url and _DOI_URL.match(url):
        doi = clean_doi(url)
    arxiv_id, arxiv_version = _arxiv(values, doi)
    raw_authors = values.get("author") or values.get("editor") or ""
    bibtex = entry.raw
    if macro_fields and bibtex:
        bibtex = _substitute_macros(bibtex, macro_fields)
    paper = Paper(
        key=entry.key,
        title=title,
        authors=split_names(raw_authors),
        year=year,
        month=month,
        venue=venue,
        entry_type=entry.entry_type.lower(),
        abstract=decode(values["abstract"]) if values.get("abstract") else None,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
        doi=doi,
        url=url,
        primary_category=_verbatim(values["primaryclass"]) if values.get("primaryclass") else None,
        topics=_topics(values["keywords"]) if values.get("keywords") else [],
        bibtex=bibtex,
        fields=extra,
        source="bibtex",
    )
    return paper, unknown, None


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
    resolver = _Resolver()
    first_line: dict[str, int] = {}
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, model.Entry):
            first_line.setdefault(block.key, line)
            paper, unknown, why = _entry_to_paper(block, resolver)
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
