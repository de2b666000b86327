"""Escaping for generated pages: outside text (titles, abstracts, names, BibTeX) stays text.

Pages are Markdown files holding mostly raw HTML. Text from outside the KB goes through
:func:`text`, which HTML-escapes it and turns every Markdown / attr_list metacharacter into a
numeric character reference, so neither the browser nor Python-Markdown (nor Zensical's
Markdown) can read it as markup. Front-matter values go through :func:`yaml_str`, which
produces a single-quoted YAML scalar with no backslash and no surrogate (Zensical rejects
both), holding HTML-escaped text, quotes included (MkDocs' templates print ``page.title`` and
``page.meta.description`` unescaped, the latter inside an attribute).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters Markdown, attr_list, md_in_html, tables or MkDocs could read as syntax.
_MD_META = "\\`*_{}[]#!|<>&\"'~^=:$"
_ENTITY = {ord(c): f"&#{ord(c)};" for c in _MD_META}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(value: object) -> str:
    """A string with control characters and lone surrogates removed (None -> '')."""
    if value is None:
        return ""
    s = str(value)
    return _CONTROL.sub("", s)


def text(value: object) -> str:
    """``value`` as inert inline text inside Markdown or HTML (attribute values included)."""
    if isinstance(value, str) and len(value) < 400:
        return _short_text(value)  # names, titles, keys: the same few thousand, again and again
    return clean(value).translate(_ENTITY)


@lru_cache(maxsize=1 << 16)
def _short_text(value: str) -> str:
    return _CONTROL.sub("", value).translate(_ENTITY)


def oneline(value: object) -> str:
    """:func:`text` of ``value`` with all whitespace runs collapsed to one space."""
    return text(" ".join(clean(value).split()))


def attr(value: object) -> str:
    """A value for an HTML attribute in double quotes (e.g. ``data-sort``)."""
    return text(" ".join(clean(value).split()))


_SAFE_SCHEMES = ("http://", "https://")


def url(value: object) -> str | None:
    """An escaped http(s) URL for ``href``, or None when it is not one (no ``javascript:``)."""
    s = "".join(clean(value).split())
    if not s.lower().startswith(_SAFE_SCHEMES):
        return None
    return text(s)


def yaml_str(value: object) -> str:
    """A single-quoted YAML scalar holding HTML-escaped, one-line text.

    No backslash (replaced by U+29F5 REVERSE SOLIDUS OPERATOR), no control character, no
    surrogate: Zensical's front-matter parser rejects those.
    """
    s = " ".join(clean(value).split())
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\\", "\u29f5")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Themes print front-matter values inside double-quoted attributes (``<meta
    # name="description" content="...">``) unescaped: a quote would end the attribute.
    s = s.replace('"', "&quot;").replace("'", "&#39;")
    return "'" + s + "'"


def slug(value: object, max_len: int = 80) -> str:
    """An ASCII slug safe as a file name and URL segment (``''`` -> ``'x'``)."""
    s = unicodedata.normalize("NFKD", clean(value)).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-zA-Z0-9]+", "-", s).strip("-").lower()
    return (s[:max_len].strip("-")) or "x"


def fence(code: str) -> str:
    """A backtick fence longer than any backtick run in ``code``."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)
