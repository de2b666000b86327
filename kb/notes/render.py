"""The text of a new reading note, made from a :class:`Paper` and the template in effect.

The template (``kb/notes/template.md``, or ``templates/note.md`` in the KB folder) uses a
deliberately tiny placeholder syntax: ``{{name}}`` or ``{{name|filter}}`` with the filters
``json`` (a JSON string, safe inside the HTML comment of the header) and ``md`` (one line,
``<``, ``>`` and ``&`` as entities, Markdown syntax backslash-escaped) and ``url`` (an
http(s) URL or nothing). Substitution is one regex pass: values are never re-scanned, and
``str.format`` never sees user text. An unknown placeholder is left as it is.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.models import Paper

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([A-Za-z_]+)\s*)?\}\}")
TEMPLATE_NAME = "note.md"
UNREAD_DATE = ""
UNREAD_MINUTES = "0"


# -- the template in effect --------------------------------------------------------------
def packaged_template() -> str:
    """The template shipped with mtlkb (the seed note's shape)."""
    return resources.files("kb.notes").joinpath("template.md").read_text(encoding="utf-8")


def template_path(templates_dir: Path) -> Path:
    return Path(templates_dir) / TEMPLATE_NAME


def load_template(kb) -> tuple[str, str]:
    """``(template text, where it came from)``: the KB's ``templates/note.md`` if readable."""
    path = template_path(kb.templates_dir)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError):
            pass
    return packaged_template(), "packaged"


# -- escaping ----------------------------------------------------------------------------
def one_line(text: str | None) -> str:
    return " ".join(str(text or "").split())


def json_value(value: object) -> str:
    """JSON that cannot close the HTML comment around the header (``<``/``>``/``&`` escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Markdown syntax a title could carry that makes links, images, emphasis or attributes:
# backslash-escaped, so a title such as ``**b** [x](javascript:alert(1))`` stays text in the
# note's heading (the header keeps the title as JSON; the parser reads it from there). A
# closing ``}`` at the end is escaped too (attr_list reads ``{: onclick=...}`` there);
# braces and backticks elsewhere are left as typed (inert in a heading).
_MD_SPECIAL = set("\\*_[]()!")


def md_line(text: str | None) -> str:
    """One line of inert Markdown text: HTML characters as entities, Markdown escaped."""
    out = []
    for ch in one_line(text):
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    if out and out[-1] == "}":
        out[-1] = "\\}"
    return "".join(out)


# -- BibTeX ------------------------------------------------------------------------------
def citation(paper: Paper, key: str) -> str:
    """The note's ``citation:`` entry: the one writer's entry under ``key``, abstract included."""
    from kb.sources.bibtex_writer import entry, with_abstract

    return with_abstract(entry(paper, key), paper.abstract)


def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run inside ``text`` (at least three)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


# -- the note ----------------------------------------------------------------------------
def abs_url(paper: Paper) -> str:
    if paper.url:
        return paper.url
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return ""


def note_values(paper: Paper, key: str) -> dict[str, str]:
    """Every placeholder's value (raw; filters escape at substitution time)."""
    bib = citation(paper, key)
    topics = [t.replace("`", "") for t in paper.topics if t.replace("`", "").strip()]
    return {
        "key": key,
        "title": one_line(paper.title),
        "url": abs_url(paper),
        "pdf": paper.pdf_url or abs_url(paper),
        "topics": ", ".join(topics),
        "topics_md": ", ".join(f"`{t}`" for t in topics),
        "date": UNREAD_DATE,
        "read_on": UNREAD_DATE,
        "estimated_minutes": UNREAD_MINUTES,
        "minutes": UNREAD_MINUTES,
        "bibtex": bib,
        "fence": fence_for(bib),
        "authors": "; ".join(a.name for a in paper.authors),
        "year": str(paper.year or ""),
        "venue": one_line(paper.venue),
        "arxiv_id": paper.arxiv_id or "",
        "doi": paper.doi or "",
        "abstract": one_line(paper.abstract),
    }


def url_line(text: str | None) -> str:
    """An http(s) URL as one word (``<``/``>`` as entities), or '' for any other scheme."""
    s = "".join(str(text or "").split())
    if not s.lower().startswith(("http://", "https://")):
        return ""
    return s.replace("<", "&lt;").replace(">", "&gt;")


FILTERS = {"json": json_value, "md": md_line, "line": one_line, "url": url_line}


def fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{{name}}`` / ``{{name|filter}}`` in one pass."""

    def sub(m: re.Match) -> str:
        name, flt = m.group(1), m.group(2)
        if name not in values:
            return m.group(0)
        value = values[name]
        if flt:
            func = FILTERS.get(flt)
            if func is None:
                return m.group(0)
            return func(value)
        return value

    return PLACEHOLDER.sub(sub, template)


def render_note(paper: Paper, template: str | None = None, key: str | None = None) -> str:
    """The full text of a new note for ``paper``."""
    key = key or paper.key or "paper"
    text = fill(template if template is not None else packaged_template(),
                note_values(paper, key))
    return text if text.endswith("\n") else text + "\n"
