"""Small HTML pieces shared by the pages: front matter, badges, links, paper tables,
BibTeX blocks, and the run artifacts (plots) copied into the site."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

from kb.models import Paper
from kb.models.reproduction import LinkedReproduction
from kb.site.data import NoteInfo, SiteData
from kb.site.escape import attr, oneline, text, yaml_str
from kb.site.names import display_name

IMAGE_EXT = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
SEARCH_TEXT_BUDGET = 30_000  # Zensical refuses a page whose search text exceeds 32,768 chars


class Artifacts:
    """Run artifacts to copy into the staging docs: staging-relative path -> source file."""

    def __init__(self, kb_root: Path) -> None:
        self.root = kb_root
        self.files: dict[str, Path] = {}

    def add(self, run_id: str, artifact: str) -> str | None:
        """Register one artifact; returns its docs-relative path, or None when not an image."""
        if not str(artifact).lower().endswith(IMAGE_EXT):
            return None
        src = Path(artifact)
        candidates = [src] if src.is_absolute() else [
            self.root / src, self.root / "runs" / run_id / src.name,
        ]
        from reproductions import registry

        ref_dir = Path(registry.__file__).resolve().parent
        candidates += [ref_dir / src, ref_dir / "reference" / src.name]
        for cand in candidates:
            if cand.is_file():
                rel = f"runs/{_safe(run_id)}/{_safe(cand.name)}"
                self.files[rel] = cand
                return rel
        return None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).lstrip(".") or "x"


# -- front matter and small pieces --------------------------------------------------------
def front_matter(title: str, *, tags: Iterable[str] = (), exclude: bool = False,
                 description: str | None = None, hide: Iterable[str] = ()) -> str:
    lines = ["---", f"title: {yaml_str(title)}"]
    hide = list(hide)
    if hide:
        lines.append("hide:")
        lines += [f"  - {h}" for h in hide]
    if description:
        lines.append(f"description: {yaml_str(description[:300])}")
    tags = list(tags)
    if tags:
        lines.append("tags:")
        lines += [f"  - {yaml_str(t)}" for t in tags]
    if exclude:
        lines += ["search:", "  exclude: true"]
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def badge(label: str, kind: str | None = None) -> str:
    cls = f"mtlkb-badge {attr(kind)}" if kind else "mtlkb-badge"
    return f'<span class="{cls}">{text(label)}</span>'


def link(href: str, label: str, raw_label: bool = False) -> str:
    """``<a>`` to one of our pages or an escaped URL (raw HTML blocks: Markdown leaves it)."""
    return f'<a href="{html.escape(href)}">{label if raw_label else text(label)}</a>'


def paper_href(key: str, up: str) -> str:
    return f"{up}papers/{key}.html"


def author_href(data: SiteData, name: str, up: str) -> str:
    """Authors live on one page per initial (thousands of one-paper authors would otherwise
    cost a page each); each has its own section there."""
    return f"{up}authors/{data.author_group[name]}.html#{data.author_slug[name]}"


def author_links(data: SiteData, p: Paper, up: str, limit: int | None = None) -> str:
    names = [display_name(a) for a in p.authors if display_name(a)]
    shown = names if limit is None else names[:limit]
    parts = [link(author_href(data, n, up), n) for n in shown]
    if limit is not None and len(names) > limit:
        parts.append("et al.")
    return ", ".join(parts)


def authors_plain(p: Paper, limit: int = 3) -> str:
    names = [display_name(a) for a in p.authors if display_name(a)]
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def topic_links(data: SiteData, topics: Iterable[str], up: str) -> str:
    return ", ".join(link(f"{up}topics/{data.topic_slug[t]}.html", t) for t in topics)


def note_badge(info: NoteInfo) -> str:
    if not info.exists:
        return badge("no note")
    label = f"{info.answered}/{info.questions} answered" if info.questions else info.status
    return badge(label, info.status)


def repro_status(items: list[LinkedReproduction]) -> tuple[str, str | None]:
    """(label, css kind) summarising a paper's reproductions for the papers table."""
    if not items:
        return "", None
    verdicts = [i.last_verdict for i in items]
    if "failed" in verdicts:
        return "failed", "failed"
    if verdicts and all(v == "passed" for v in verdicts):
        return "passed", "passed"
    if "passed" in verdicts:
        return "partial", "partial"
    return "not run", None


def paper_row_cells(data: SiteData, p: Paper, up: str) -> str:
    key = p.key or ""
    info = data.notes[key]
    label, kind = repro_status(data.repros.get(key, []))
    return (
        f'<tr><td>{link(paper_href(key, up), key)}</td>'
        f'<td>{link(paper_href(key, up), oneline(p.title), raw_label=True)}</td>'
        f'<td>{text(authors_plain(p))}</td>'
        f'<td data-sort="{p.year or 0}">{p.year or ""}</td>'
        f'<td>{oneline(p.venue)}</td>'
        f'<td>{text(", ".join(p.topics))}</td>'
        f'<td data-sort="{info.answered if info.exists else -1}">{note_badge(info)}</td>'
        f'<td>{badge(label, kind) if label else ""}</td></tr>'
    )


PAGE_ROWS = 100


def papers_table(data: SiteData, papers: list[Paper], up: str, table_id: str) -> str:
    """The papers as a sortable, filterable table, one page of rows at a time.

    Rows past the first page are in a ``<template>``: parsed but not laid out, so 5,000
    papers load like 100; ``assets/mtlkb.js`` pages, sorts and filters all of them. Without
    JavaScript the first page shows and the rest stays reachable from each paper's topics,
    authors and the search.
    """
    rows = [paper_row_cells(data, p, up) for p in papers]
    first, rest = rows[:PAGE_ROWS], rows[PAGE_ROWS:]
    more = (f'<template class="mtlkb-more-rows" data-rows-for="{table_id}">\n'
            + "\n".join(rest) + "\n</template>\n") if rest else ""
    return (
        f'<div class="mtlkb-tablewrap" data-search-exclude>\n'
        f'<input class="mtlkb-filter" type="search" data-filter-for="{table_id}" '
        f'placeholder="Filter by any word (key, title, author, topic, status)" '
        f'aria-label="Filter the table"> <span data-count-for="{table_id}"></span>\n'
        f'<div class="mtlkb-scroll"><table class="mtlkb-table mtlkb-papers" id="{table_id}" '
        f'data-page-rows="{PAGE_ROWS}">\n'
        "<thead><tr><th>Key</th><th>Title</th><th>Authors</th><th>Year</th><th>Venue</th>"
        "<th>Topics</th><th>Note</th><th>Reproduction</th></tr></thead>\n"
        f"<tbody>\n" + "\n".join(first) + "\n</tbody>\n</table></div>\n"
        + more
        + f'<nav class="mtlkb-pager" data-pager-for="{table_id}" hidden></nav>\n</div>\n'
    )


def paper_list(data: SiteData, keys: Iterable[str], up: str) -> str:
    items = []
    for k in keys:
        p = data.by_key.get(k)
        if p is None:
            continue
        year = f" ({p.year})" if p.year else ""
        items.append(f"<li>{link(paper_href(k, up), oneline(p.title), raw_label=True)}"
                     f"{year} <small>{text(authors_plain(p))}</small></li>")
    if not items:
        return "<p><em>None yet.</em></p>\n"
    return "<ul>\n" + "\n".join(items) + "\n</ul>\n"


# -- BibTeX ------------------------------------------------------------------------------
def bibtex_for(p: Paper) -> str:
    """The entry ``mtlkb export`` and the note show (the one writer), under the stored key."""
    from kb.sources.bibtex_writer import entry

    return entry(p)


def code_block(code: str, lang: str = "", *, searchable: bool = False) -> str:
    """A code block as raw HTML (Material adds its copy button to every ``pre > code``)."""
    cls = f"language-{lang} highlight" if lang else "highlight"
    exclude = "" if searchable else " data-search-exclude"
    code = html.escape(code.strip("\n"), quote=False)  # a raw block may hold blank lines
    return f'<div class="{cls}"{exclude}><pre><code>{code}</code></pre></div>\n'
