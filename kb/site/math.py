"""``$...$`` and ``$$...$$`` in notes as MathML, rendered at build time (no script).

latex2mathml (MIT, pure Python) converts the TeX; browsers draw MathML natively (MathML
Core), so pages need no JavaScript and no network for math, from file:// as from a server.
Math is taken out before Markdown runs (Markdown would read ``_`` and ``*`` inside it) and
put back after the note's HTML is sanitized, itself through an allowlist of MathML
elements and presentation attributes (no links, no styles, no events).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from kb.site.fences import fence_states

# pandoc's rule: no space after the opening $ nor before the closing one, and no digit
# right after the closing one ("$5 and $10" is money).
_MATH = re.compile(r"\$\$(?P<d>[^$]+?)\$\$|(?<![\\$])\$(?P<i>[^\s$](?:[^$\n]*?[^\s\\$])?)\$(?!\d)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
TOKEN = "mtlkbmath{}zq"
_TOKEN = re.compile(r"mtlkbmath(\d+)zq")

ELEMENTS = frozenset({
    "math", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
    "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose", "merror", "semantics", "annotation",
    "mmultiscripts", "mprescripts", "none",
})
ATTRS = frozenset({
    "xmlns", "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace",
    "accent", "accentunder", "linethickness", "columnalign", "rowalign", "rowspacing",
    "columnspacing", "width", "height", "depth", "minsize", "maxsize", "movablelimits",
    "symmetric", "largeop", "notation", "displaystyle", "scriptlevel", "encoding", "form",
    "columnlines", "rowlines", "frame", "align", "mathsize", "voffset", "bevelled",
})


class _MathCleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ELEMENTS:
            return
        kept = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in attrs
                       if k in ATTRS and (k != "xmlns" or v == "http://www.w3.org/1998/Math/MathML"))
        self.out.append(f"<{tag}{kept}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open:
                t = self.open.pop()
                self.out.append(f"</{t}>")
                if t == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def clean_mathml(markup: str) -> str:
    """Only MathML elements and presentation attributes of ``markup``, re-serialized."""
    p = _MathCleaner()
    p.feed(markup)
    p.close()
    return "".join(p.out) + "".join(f"</{t}>" for t in reversed(p.open))


def to_mathml(tex: str, display: bool) -> str | None:
    """MathML for ``tex``, or None when latex2mathml cannot read it."""
    try:
        from latex2mathml.converter import convert
    except ModuleNotFoundError:
        return None
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any TeX it cannot read stays as typed
        return None
    ml = clean_mathml(out)
    # the TeX as an annotation: not drawn, but indexed, so "alpha" finds $\alpha$
    head, sep, rest = ml.partition(">")
    if not sep or not rest.endswith("</math>"):
        return ml
    inner = rest[: -len("</math>")]
    tex_text = html.escape(tex, quote=False)
    return (f"{head}><semantics><mrow>{inner}</mrow>"
            f'<annotation encoding="application/x-tex">{tex_text}</annotation></semantics></math>')


def take_out(body: str) -> tuple[str, list[str]]:
    """``body`` with each math span replaced by a token, and the spans' HTML in order."""
    spans: list[str] = []

    def sub(m: re.Match) -> str:
        display = m.group("d") is not None
        tex = m.group("d") if display else m.group("i")
        ml = to_mathml(tex.strip(), display)
        if ml is None:
            return m.group(0)
        raw = html.escape(m.group(0), quote=True)
        spans.append(f'<span class="mtlkb-math" title="{raw}">{ml}</span>')
        return TOKEN.format(len(spans) - 1)

    lines = body.split("\n")
    for i, line, code in fence_states(lines):
        if code or "$" not in line:
            continue
        parts, pos, out = [], 0, []
        for c in _CODE_SPAN.finditer(line):
            parts.append((line[pos:c.start()], True))
            parts.append((c.group(0), False))
            pos = c.end()
        parts.append((line[pos:], True))
        for seg, is_text in parts:
            out.append(_MATH.sub(sub, seg) if is_text else seg)
        lines[i] = "".join(out)
    return "\n".join(lines), spans


def put_back(html_text: str, spans: list[str]) -> str:
    """Tokens of :func:`take_out` replaced by their math."""
    if not spans:
        return html_text
    return _TOKEN.sub(lambda m: spans[int(m.group(1))] if int(m.group(1)) < len(spans)
                      else m.group(0), html_text)
