"""BibTeX field values: ``@string`` macros, ``#`` concatenation, months, verbatim fields.

Raw values (as bibtexparser leaves them, delimiters included) resolve against the macros
defined so far (:class:`MacroResolver`); identifiers and URLs are cleaned without LaTeX
decoding (:func:`verbatim`, :func:`clean_doi`).
"""

from __future__ import annotations

import re

from kb.ids import normalize_doi

__all__ = [
    "DOI_URL", "MONTHS", "MacroResolver", "clean_doi", "month_number", "split_concat", "verbatim",
]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
DOI_URL = re.compile(r"^\s*(?:https?://)?(?:(?:dx|www)\.)?doi\.org/", re.IGNORECASE)
_VERBATIM_UNESCAPE = re.compile(r"\\([_%&#$])")


def split_concat(raw: str) -> list[str]:
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


class MacroResolver:
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
            pieces = split_concat(raw)
            if len(pieces) > 1:
                return "".join(self.piece(p) for p in pieces)
        return self.piece(raw)


def month_number(value: str) -> int | None:
    v = value.strip().strip("{}").strip().lower()
    if v.isdigit():
        n = int(v)
        return n if 1 <= n <= 12 else None
    if len(v) >= 3 and v[:3] in MONTHS:
        return MONTHS.index(v[:3]) + 1
    return None


def verbatim(value: str) -> str:
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
    value = DOI_URL.sub("", verbatim(value))
    return normalize_doi(value)
