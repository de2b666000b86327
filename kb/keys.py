"""Citation keys and normalised titles (the identity of a paper without ids)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_STOPWORDS = frozenset(
    "a an the on of in for to towards toward and with at by from is are".split()
)
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+\-]*")


def ascii_fold(text: str) -> str:
    """Strip accents and drop what is not ASCII ("Søgaard" -> "Sogaard")."""
    text = text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss").replace("æ", "ae")
    text = text.replace("ł", "l").replace("Ł", "L").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def normalize_title(title: str) -> str:
    """Lowercase ASCII words separated by single spaces: the title part of identity."""
    folded = ascii_fold(title).lower()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def is_safe_key(key: str) -> bool:
    """A key usable as a file name: no ``/``, ``..``, spaces or control characters."""
    return bool(_SAFE_KEY.fullmatch(key)) and ".." not in key and len(key) <= 120


def key_stem(last_name: str | None, year: int | None, title: str) -> str:
    """``{lastname}{year}{firsttitleword}`` in lowercase ASCII (``ruder2017overview``)."""
    last = re.sub(r"[^a-z]", "", ascii_fold(last_name or "").lower()) or "anon"
    words = [w for w in re.findall(r"[a-z]+", ascii_fold(title).lower()) if w not in _STOPWORDS]
    first_word = words[0] if words else "untitled"
    return f"{last}{year if year else ''}{first_word}"


def unique_key(stem: str, taken: Callable[[str], bool]) -> str:
    """``stem``, else ``stem`` + a, b, ... z, aa, ab ... whichever is free first."""
    if not taken(stem):
        return stem
    n = 0
    while True:
        suffix = ""
        i = n
        while True:
            suffix = chr(ord("a") + i % 26) + suffix
            i = i // 26 - 1
            if i < 0:
                break
        candidate = stem + suffix
        if not taken(candidate):
            return candidate
        n += 1
