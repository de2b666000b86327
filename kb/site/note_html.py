"""A reading note as page Markdown: template boilerplate and citations kept out of search."""

from __future__ import annotations

import re

from kb.site.data import NoteInfo
from kb.site.pieces import SEARCH_TEXT_BUDGET, code_block

_CITATION = re.compile(r"^(citation:\s*\n)((?P<f>`{3,}|~{3,})[^\n]*\n.*?\n(?P=f)[ \t]*)$",
                       re.M | re.S)


_QUESTION_LINE = re.compile(r"^\s*__\*.+\*__\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_EXCLUDE_ATTR = "{: data-search-exclude }"


def _exclude_boilerplate(body: str) -> str:
    """Mark the template's question lines and its "Read on:" block as not searchable.

    attr_list's block syntax (a ``{: ...}`` line closing the paragraph) leaves the rendering
    unchanged; a question line is only marked when it is a paragraph of its own.
    """
    lines = body.split("\n")
    out: list[str] = []
    fence: str | None = None
    in_meta = False
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        prev_blank = i == 0 or not lines[i - 1].strip()
        if prev_blank and line.startswith("Read on:"):
            in_meta = True
        if in_meta and not nxt.strip():
            out.append(line.rstrip())  # no hard line break before the attribute line
            out.append(_EXCLUDE_ATTR)
            in_meta = False
            continue
        if (not in_meta and prev_blank and not nxt.strip() and _QUESTION_LINE.match(line)):
            out.append(line)
            out.append(_EXCLUDE_ATTR)
            continue
        out.append(line)
    return "\n".join(out)


def _citation_html(m: re.Match) -> str:
    block = m.group(2).split("\n")
    code = "\n".join(block[1:-1])
    return ('<div class="mtlkb-citation" data-search-exclude><p>citation:</p>\n'
            + code_block(code, "bibtex").rstrip("\n") + "</div>\n")


_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _exclude_tail(body: str, budget: int) -> str:
    """Keep a very long note under Zensical's per-page search limit (32,768 characters):
    the sections after ``budget`` characters are marked not searchable (still shown)."""
    cut = body.rfind("\n\n", 0, budget)
    cut = cut if cut > 0 else budget
    head, tail = body[:cut], body[cut:]
    lines, fence = tail.split("\n"), None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and fence is None:
            fence = m.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and (h := _HEADING_LINE.match(line)) and "{" not in line:
            lines[i] = f"{h.group(1)} {h.group(2)} {{ data-search-exclude }}"
    return head + "\n\n#### (continued) { data-search-exclude }\n" + "\n".join(lines)


_WIKI = re.compile(r"\[\[\s*([^\[\]|\s]+)\s*(?:\|([^\[\]]*))?\]\]")
_NOTE_EXTENSIONS = ("attr_list", "tables", "admonition", "fenced_code", "sane_lists")


def _wiki_links(body: str, by_key: dict, up: str) -> str:
    """``[[key]]`` (or ``[[key|label]]``) outside code fences as a link to that paper."""
    from kb.site.escape import oneline, text

    def sub(m: re.Match) -> str:
        key = m.group(1)
        p = by_key.get(key)
        if p is None:
            return m.group(0)
        label = oneline(m.group(2)) if m.group(2) else oneline(p.title or key)
        return (f'<a class="mtlkb-ref" href="{up}papers/{text(key)}.html" '
                f'title="{text(key)}">{label}</a>')

    lines, fence = body.split("\n"), None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and fence is None:
            fence = m.group(1)[0] * 3
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        if "[[" in line:
            lines[i] = _WIKI.sub(sub, line)
    return "\n".join(lines)


def render_markdown(body: str) -> str:
    """Markdown -> sanitized HTML (no script, event handler, or javascript:/data: URL)."""
    import markdown

    from kb.site.sanitize import clean_html

    md = markdown.Markdown(extensions=list(_NOTE_EXTENSIONS), output_format="html")
    return clean_html(md.convert(body))


def note_markdown(info: NoteInfo, by_key: dict | None = None, up: str = "../") -> str:
    """The user's note as sanitized HTML for the page: header stripped, ``[[key]]`` links
    resolved, citation block and template boilerplate (questions, "Read on:" lines) kept out
    of the search index.

    The note is rendered here (not by MkDocs) so that its HTML can be sanitized: a note may
    hold text pasted from anywhere, and neither MkDocs nor Zensical strips ``javascript:``
    links or raw ``<script>`` from Markdown.
    """
    body = _exclude_boilerplate(info.body.strip("\n"))
    body = _CITATION.sub(_citation_html, body)
    if len(body) > SEARCH_TEXT_BUDGET:
        body = _exclude_tail(body, SEARCH_TEXT_BUDGET - 2000)
    if by_key:
        body = _wiki_links(body, by_key, up)
    return '<div class="mtlkb-note">\n' + render_markdown(body) + "\n</div>\n"
