"""Sanitize HTML rendered from a user's note before it goes into a page.

A note is the user's own Markdown, but its text may have been pasted from anywhere (an
abstract, a review, a web page). :func:`clean_html` re-serializes the rendered HTML:

* elements that run code or embed documents (``script``, ``style``, ``iframe``, ``object``,
  ``embed``, ``svg``, ``math``, ``form`` controls, ``base``, ``meta``, ...) are dropped, the
  first group with their content;
* ``on*`` event attributes, ``style`` values that load anything, ``action``/``formaction``
  are dropped;
* a URL attribute (``href``, ``src``, ``srcset``, ``poster``, ...) survives only when it is
  relative, a fragment, or ``http``/``https``/``mailto`` — never ``javascript:``,
  ``data:``, ``vbscript:``, ``file:`` (character references and embedded whitespace
  decoded first, as a browser does);
* text and attribute values are re-escaped, and tags are balanced (an unclosed ``<div>``
  in a note does not swallow the rest of the page).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Dropped with everything inside them.
DROP_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "applet", "template", "noscript", "svg",
    "math", "frame", "frameset", "noembed", "noframes", "xmp", "textarea", "select", "title",
    "head", "plaintext", "portal", "fencedframe",
})
# Dropped, their content kept.
DROP_TAG = frozenset({
    "form", "input", "button", "base", "meta", "link", "html", "body", "option", "optgroup",
    "param", "source", "track", "keygen", "dialog", "slot",
})
VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr"})
URL_ATTRS = frozenset({
    "href", "src", "srcset", "xlink:href", "poster", "background", "cite", "data", "lowsrc",
    "dynsrc", "ping", "longdesc", "usemap", "manifest", "codebase", "action", "formaction",
    "imagesrcset", "itemtype", "itemid", "archive", "classid", "profile",
})
DROP_ATTRS = frozenset({"action", "formaction", "srcdoc", "is", "autofocus"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_STRIP = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]+")
_TAG_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_BAD_STYLE = re.compile(r"url\s*\(|expression|javascript|@import|behavior|binding", re.I)


def safe_url(value: str | None) -> bool:
    """True when ``value`` (already entity-decoded) is relative, a fragment or http(s)/mailto."""
    if value is None:
        return True
    s = _STRIP.sub("", html.unescape(value))
    m = _SCHEME.match(s)
    if not m:
        # "java&#x09;script:" and friends are caught by the strip above; a colon before any
        # "/", "?" or "#" is a scheme to the browser even when odd.
        head = re.split(r"[/?#]", s, maxsplit=1)[0]
        return ":" not in head
    return m.group(1).lower() in SAFE_SCHEMES


def _safe_srcset(value: str) -> bool:
    return all(safe_url(part.strip().split(" ")[0]) for part in value.split(",") if part.strip())


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.drop_depth = 0
        self.drop_tag: str | None = None

    # -- attributes ------------------------------------------------------------------
    @staticmethod
    def _attrs(attrs: list[tuple[str, str | None]]) -> str:
        parts = []
        for name, value in attrs:
            name = name.lower()
            if not re.fullmatch(r"[a-z_:][a-z0-9_:.\-]*", name):
                continue
            if name.startswith("on") or name in DROP_ATTRS:
                continue
            if name == "style" and value and _BAD_STYLE.search(value):
                continue
            if name in URL_ATTRS and value is not None:
                ok = _safe_srcset(value) if name.endswith("srcset") else safe_url(value)
                if not ok:
                    continue
            if value is None:
                parts.append(f" {name}")
            else:
                parts.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(parts)

    # -- tags ------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth += 1
            return
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID:
                self.drop_depth, self.drop_tag = 1, tag
            return
        if tag in DROP_TAG or not _TAG_NAME.fullmatch(tag):
            return
        self.out.append(f"<{tag}{self._attrs(attrs)}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        tag = tag.lower()
        if (self.drop_depth or tag in DROP_WITH_CONTENT or tag in DROP_TAG
                or not _TAG_NAME.fullmatch(tag)):
            return
        self.out.append(f"<{tag}{self._attrs(attrs)}>")
        if tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if not self.drop_depth:
                    self.drop_tag = None
            return
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data):
        if not self.drop_depth:
            self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data):  # comments never reach the page
        return

    def handle_decl(self, decl):
        return

    def handle_pi(self, data):
        return

    def unknown_decl(self, data):
        return

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.stack))


def clean_html(fragment: str) -> str:
    """``fragment`` with no script, event handler or unsafe URL left, tags balanced."""
    c = _Cleaner()
    c.feed(fragment)
    return c.result()
