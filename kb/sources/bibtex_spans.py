"""One entry's BibTeX text: where its key and each field's value are, and edits by span.

Used to keep an entry's own text with its ``@string`` macros substituted (so it stands
alone), and by ``mtlkb export`` to set the key and fields of a stored entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["EntrySpans", "entry_spans", "set_field", "set_key", "substitute_macros"]


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


def substitute_macros(raw: str, resolved: dict[str, tuple[str, str]]) -> str:
    """The entry's text with macro-using values replaced by their braced expansion.

    ``resolved`` maps a field name to (its value as written, its expansion). The common
    case (``booktitle = icml``) is found with one cached regex; anything else goes through
    :func:`entry_spans`.
    """
    out = raw
    rest: dict[str, str] = {}
    for fname, (written, expansion) in resolved.items():
        found = list(_macro_use(fname, written).finditer(out))
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



@lru_cache(maxsize=1024)
def _macro_use(fname: str, written: str) -> re.Pattern[str]:
    """``fname = written`` as a field of an entry (group 1: the value as written)."""
    return re.compile(
        r"(?:^|(?<=[\s,{(]))" + re.escape(fname) + r"\s*=\s*(" + re.escape(written) + ")",
        re.IGNORECASE,
    )


def edit_fields(raw: str, add: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """``raw`` with the fields of ``drop`` removed and those of ``add`` appended (braced),
    in one pass over the entry."""
    spans = entry_spans(raw)
    if spans is None:
        return raw
    out, last = [], 0
    ends = spans.key_span[1]
    for i, (fname, _nstart, _vstart, vend) in enumerate(spans.fields):
        if fname in drop:
            # from the end of the previous field (its comma included) to this value's end
            start = spans.fields[i - 1][3] if i else spans.key_span[1]
            if start < last:
                start = last
            out.append(raw[last:start])
            last = vend
        else:
            ends = vend
    out.append(raw[last:ends] if ends > last else "")
    tail_from = max(ends, last)
    extra = "".join(f",\n  {name} = {{{value}}}" for name, value in add.items())
    out.append(extra)
    out.append(raw[tail_from:])
    return "".join(out)
