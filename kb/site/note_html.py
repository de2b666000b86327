"""A reading note as page Markdown: template boilerplate and citations kept out of search."""

from __future__ import annotations

import json
import re
from typing import Any

from kb.site.data import NoteInfo
from kb.site.fences import fence_states
from kb.site.math import put_back, take_out
from kb.site.pieces import SEARCH_TEXT_BUDGET, code_block

_CITATION = re.compile(r"^(citation:\s*\n)((?P<f>`{3,}|~{3,})[^\n]*\n.*?\n(?P=f)[ \t]*)$",
                       re.M | re.S)


_QUESTION_LINE = re.compile(r"^\s*__\*.+\*__\s*$")
_EXCLUDE_ATTR = "{: data-search-exclude }"


def _exclude_boilerplate(body: str) -> str:
    """Mark the template's question lines and its "Read on:" block as not searchable.

    attr_list's block syntax (a ``{: ...}`` line closing the paragraph) leaves the rendering
    unchanged; a question line is only marked when it is a paragraph of its own.
    """
    lines = body.split("\n")
    out: list[str] = []
    in_meta = False
    for i, line, code in fence_states(lines):
        if code:
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
    lines = tail.split("\n")
    for i, line, code in fence_states(lines):
        if not code and (h := _HEADING_LINE.match(line)) and "{" not in line:
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

    lines = body.split("\n")
    for i, line, code in fence_states(lines):
        if not code and "[[" in line:
            lines[i] = _WIKI.sub(sub, line)
    return "\n".join(lines)


def render_markdown(body: str) -> str:
    """Markdown -> sanitized HTML (no script, event handler, or javascript:/data: URL)."""
    import markdown

    from kb.site.sanitize import clean_html

    md = markdown.Markdown(extensions=list(_NOTE_EXTENSIONS), output_format="html")
    return clean_html(md.convert(body))


# Each block takes its direction from its own text (an Arabic paragraph in an English note).
_DIR_AUTO = re.compile(r"<(p|li|h[1-6]|blockquote|td|th|dt|dd)(?=[ >])(?![^>]*\bdir=)")
_READ_ON = re.compile(r"^(Read on|Time spent|Link to pdf|Topic\(s\)):")


def _drop_template_head(body: str) -> str:
    """Without what the page shows elsewhere: the note's title heading (the page's title),
    its "Read on" / "Time spent" / "Link to pdf" / "Topic(s)" block (the page's meta line)
    and its ``citation:`` block (the page's BibTeX: one copy)."""
    body = _CITATION.sub("", body)
    lines = body.split("\n")
    out: list[str] = []
    seen_text = False
    skipping = False
    for line in lines:
        if not seen_text and not line.strip():
            continue
        if not seen_text and _HEADING_LINE.match(line) and line.startswith("###"):
            seen_text = True
            continue  # the title heading
        if _READ_ON.match(line) and (not out or not out[-1].strip() or skipping):
            skipping = True
            continue
        if skipping and not line.strip():
            skipping = False
        seen_text = True
        out.append(line)
    return "\n".join(out).strip("\n")


def _split_questions(body: str) -> tuple[str, list[tuple[str, str]]]:
    """The note with unanswered template questions taken out, and those questions as
    (section, question text) pairs. A question is answered when text follows it before the
    next question or heading; a section left with nothing in it loses its heading too."""
    lines = body.split("\n")
    blocks: list[tuple[str, list[str]]] = [("", [])]  # (heading line, lines)
    for _i, line, code in fence_states(lines):
        if not code and _HEADING_LINE.match(line):
            blocks.append((line, []))
            continue
        blocks[-1][1].append(line)
    unanswered: list[tuple[str, str]] = []
    kept_blocks: list[tuple[str, int, list[str]]] = []  # (heading, level, kept lines)
    for heading, body_lines in blocks:
        hm = _HEADING_LINE.match(heading) if heading else None
        kept: list[str] = []
        j = 0
        while j < len(body_lines):
            line = body_lines[j]
            if _QUESTION_LINE.match(line):
                k = j + 1
                while k < len(body_lines) and not _QUESTION_LINE.match(body_lines[k]):
                    k += 1
                if not any(x.strip() for x in body_lines[j + 1:k]):
                    unanswered.append((hm.group(2) if hm else "", line.strip().strip("_*").strip()))
                else:
                    kept += body_lines[j:k]
                j = k
                continue
            kept.append(line)
            j += 1
        if hm and hm.group(2).strip().lower() == "abstract":
            # the page's own "Abstract" is the paper's; the note's holds questions on it
            heading = f"{hm.group(1)} On the abstract"
        kept_blocks.append((heading, len(hm.group(1)) if hm else 0, kept))
    # a heading stays when its section, or a sub-section of it, keeps some text
    alive = [any(x.strip() for x in kept) for _h, _l, kept in kept_blocks]
    for i in range(len(kept_blocks) - 1, -1, -1):
        level = kept_blocks[i][1]
        for j in range(i + 1, len(kept_blocks)):
            if kept_blocks[j][1] <= level:
                break
            if alive[j]:
                alive[i] = True
                break
    out: list[str] = []
    for (heading, _level, kept), keep in zip(kept_blocks, alive, strict=True):
        if keep:
            if heading:
                out.append(heading)
            out += kept
    return "\n".join(out).strip("\n"), unanswered


def _unanswered_html(questions: list[tuple[str, str]]) -> str:
    from kb.site.escape import text

    items = "".join(f"<li>{f'<b>{text(sec)}</b>: ' if sec else ''}{text(q)}</li>"
                    for sec, q in questions)
    n = len(questions)
    return (f'<details class="mtlkb-unanswered" data-search-exclude><summary>{n} question'
            f'{"s" if n != 1 else ""} not answered yet</summary><ul>{items}</ul></details>\n')


def wiki_refs(body: str) -> list[str]:
    """The keys a note's ``[[key]]`` links name (code fences included: a superset)."""
    return sorted({m.group(1) for m in _WIKI.finditer(body)})


def cached_note_markdown(info: NoteInfo, by_key: dict, up: str, cache: Any) -> str:
    """:func:`note_markdown` through ``cache`` (a NoteCache, or None): the inputs are the
    note's text, ``up`` and the titles of the papers its ``[[key]]`` links name."""
    if cache is None:
        return note_markdown(info, by_key, up)
    refs = wiki_refs(info.body)
    titles = [(k, by_key[k].title if k in by_key else None) for k in refs]
    inputs = json.dumps([info.body, up, titles], ensure_ascii=False)
    return cache.render(inputs, lambda: note_markdown(info, by_key, up))


def note_markdown(info: NoteInfo, by_key: dict | None = None, up: str = "../") -> str:
    """The user's note as sanitized HTML for the page: header stripped, ``[[key]]`` links
    resolved, citation block and template boilerplate (questions, "Read on:" lines) kept out
    of the search index.

    The note is rendered here (not by MkDocs) so that its HTML can be sanitized: a note may
    hold text pasted from anywhere, and neither MkDocs nor Zensical strips ``javascript:``
    links or raw ``<script>`` from Markdown.
    """
    body, unanswered = _split_questions(_drop_template_head(info.body.strip("\n")))
    body = _exclude_boilerplate(body)
    if len(body) > SEARCH_TEXT_BUDGET:
        body = _exclude_tail(body, SEARCH_TEXT_BUDGET - 2000)
    body, math = take_out(body)
    if by_key:
        body = _wiki_links(body, by_key, up)
    tail = _unanswered_html(unanswered) if unanswered else ""
    rendered = _DIR_AUTO.sub(r'<\1 dir="auto"', render_markdown(body))
    return ('<div class="mtlkb-note" dir="auto">\n' + put_back(rendered, math)
            + "\n" + tail + "</div>\n")
