"""Author names as the site shows them."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.models import Author

# Han, kana, Hangul: names written family name first, with no space (王小明, not 小明 王).
_EAST_ASIAN = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def display_name(a: Author) -> str:
    """``First Last``, or ``LastFirst`` for a name written in Han, kana or Hangul."""
    return _display(a.first, a.last)


@lru_cache(maxsize=1 << 16)
def _display(first: str, last: str) -> str:
    if _EAST_ASIAN.search(first + last):
        return f"{last.strip()}{first.strip()}"
    return f"{first} {last}".strip()  # Author.name
