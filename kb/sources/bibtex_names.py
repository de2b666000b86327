"""BibTeX name lists -> :class:`~kb.models.Author` records.

Names are split on the raw LaTeX *before* any decoding (``and`` and ``,`` count only outside
braces, so ``{Google Research}`` stays one name), with BibTeX's First/von/Last/Jr rules;
each part is then decoded to Unicode (:mod:`kb.latex`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.latex import decode
from kb.models import Author

__all__ = ["split_names"]

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_WORDS = re.compile(r"\S+")
_BRACE = re.compile(r"(?<!\\)[{}]")


def _mask(s: str) -> str:
    """``s`` with everything inside braces replaced by ``_`` (same length), braces kept."""
    if "{" not in s:
        return s
    out, depth, last = [], 0, 0
    for m in _BRACE.finditer(s):
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
    """Authors from a raw (undecoded) BibTeX name list.

    A closing ``and others`` (BibTeX's "et al.") is kept as the author ``others`` (no first
    name), which BibTeX writers turn back into ``and others``; alone it means nothing."""
    value = value.strip()
    if not value:
        return []
    names = _split_top(value, _AND)
    out = []
    last = len(names) - 1
    for i, raw in enumerate(names):
        raw = raw.strip()
        if not raw:
            continue
        if raw.lower() == "others":
            if i == last and out:
                out.append(Author(first="", last="others"))
            continue
        parsed = _parse_name(raw)
        if parsed is not None and (parsed[0] or parsed[1]):
            out.append(Author(first=parsed[0], last=parsed[1]))
    return out
