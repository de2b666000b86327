"""The Markdown text of each generated page.

Pages are Markdown with raw HTML blocks. Outside text goes through :mod:`kb.site.escape`;
links inside raw HTML point at the built ``.html`` files directly (``use_directory_urls`` is
off), so MkDocs has no link to rewrite or validate. Boilerplate and BibTeX carry
``data-search-exclude`` so the search index holds titles, authors, abstracts and notes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.models import Paper
from reproductions.spec import overall_verdict
from kb.site.data import NoteInfo, SiteData, latest_full_run, related
from kb.site.escape import attr, oneline, text, url, yaml_str

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
    names = [a.name for a in p.authors if a.name]
    shown = names if limit is None else names[:limit]
    parts = [link(author_href(data, n, up), n) for n in shown]
    if limit is not None and len(names) > limit:
        parts.append("et al.")
    return ", ".join(parts)


def authors_plain(p: Paper, limit: int = 3) -> str:
    names = [a.name for a in p.authors if a.name]
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def topic_links(data: SiteData, topics: Iterable[str], up: str) -> str:
    return ", ".join(link(f"{up}topics/{data.topic_slug[t]}.html", t) for t in topics)


def note_badge(info: NoteInfo) -> str:
    if not info.exists:
        return badge("no note")
    label = f"{info.answered}/{info.questions} answered" if info.questions else info.status
    return badge(label, info.status)


def repro_status(items: list[dict[str, Any]]) -> tuple[str, str | None]:
    """(label, css kind) summarising a paper's reproductions for the papers table."""
    if not items:
        return "", None
    verdicts = [i.get("last_verdict") for i in items]
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


def papers_table(data: SiteData, papers: list[Paper], up: str, table_id: str) -> str:
    rows = "\n".join(paper_row_cells(data, p, up) for p in papers)
    return (
        f'<div class="mtlkb-tablewrap" data-search-exclude>\n'
        f'<input class="mtlkb-filter" type="search" data-filter-for="{table_id}" '
        f'placeholder="Filter by any word (key, title, author, topic, status)" '
        f'aria-label="Filter the table"> <span data-count-for="{table_id}"></span>\n'
        f'<table class="mtlkb-table" id="{table_id}">\n'
        "<thead><tr><th>Key</th><th>Title</th><th>Authors</th><th>Year</th><th>Venue</th>"
        "<th>Topics</th><th>Note</th><th>Reproduction</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody>\n</table>\n</div>\n"
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
    """The stored entry as imported, else the one ``mtlkb export`` generates."""
    from kb.export import generate_bibtex

    if p.bibtex and p.bibtex.strip():
        return p.bibtex.strip()
    return generate_bibtex(p).strip()


def code_block(code: str, lang: str = "", *, searchable: bool = False) -> str:
    """A code block as raw HTML (Material adds its copy button to every ``pre > code``)."""
    cls = f"language-{lang} highlight" if lang else "highlight"
    exclude = "" if searchable else " data-search-exclude"
    code = html.escape(code.strip("\n"), quote=False)  # a raw block may hold blank lines
    return f'<div class="{cls}"{exclude}><pre><code>{code}</code></pre></div>\n'


# -- notes -------------------------------------------------------------------------------
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


def note_markdown(info: NoteInfo) -> str:
    """The user's note as Markdown: header stripped, citation block and template boilerplate
    (questions, "Read on:" lines) kept out of the search index."""
    body = _exclude_boilerplate(info.body.strip("\n"))
    body = _CITATION.sub(_citation_html, body)
    if len(body) > SEARCH_TEXT_BUDGET:
        body = _exclude_tail(body, SEARCH_TEXT_BUDGET - 2000)
    # Unclosed HTML in a note must not swallow the rest of the page.
    return body + "\n"


# -- reproductions -----------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:
        return "—"
    return str(v)


def flatten_metrics(metrics: Any, prefix: str = "", limit: int = 40) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(metrics, dict):
        for k, v in metrics.items():
            name = f"{prefix}{k}"
            if isinstance(v, dict):
                out += flatten_metrics(v, name + ".", limit)
            elif isinstance(v, int | float | str | bool) or v is None:
                out.append((name, v))
            if len(out) >= limit:
                break
    return out[:limit]


def verdicts_table(verdicts: list[dict[str, Any]]) -> str:
    if not verdicts:
        return ""
    rows = []
    for v in verdicts:
        ok = bool(v.get("passed"))
        kind = v.get("kind")
        rows.append(
            f"<tr><td>{badge('passed' if ok else 'failed', 'passed' if ok else 'failed')}"
            f"{' ' + badge(str(kind)) if kind else ''}</td>"
            f"<td>{oneline(v.get('claim'))}</td><td>{text(_fmt(v.get('paper')))}</td>"
            f"<td>{text(_fmt(v.get('ours')))}</td><td>{oneline(v.get('tolerance'))}</td></tr>"
        )
    return ("<table><thead><tr><th>Verdict</th><th>Claim</th><th>Paper</th><th>Ours</th>"
            "<th>Tolerance</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")


def run_block(run: dict[str, Any], artifacts: Artifacts, up: str, *, plots: bool = True) -> str:
    verdict = overall_verdict(run.get("verdicts")) if run.get("status") == "done" else None
    head = [badge(run.get("status") or "?", run.get("status"))]
    if verdict:
        head.append(badge(f"claims {verdict}", verdict))
    meta = " · ".join(text(str(x)) for x in (
        run.get("id"), run.get("scale") and f"scale {run['scale']}",
        run.get("seed") is not None and f"seed {run.get('seed')}", run.get("device_name")
        or run.get("device"), run.get("started_at"),
        run.get("wall_s") is not None and f"{run.get('wall_s')} s",
        run.get("reference") and "reference run") if x)
    parts = [f'<div class="mtlkb-run"><p>{" ".join(head)} <small>{meta}</small></p>']
    parts.append(verdicts_table(run.get("verdicts") or []))
    metrics = flatten_metrics(run.get("metrics") or {})
    if metrics:
        rows = "".join(f"<tr><td><code>{text(k)}</code></td><td>{text(_fmt(v))}</td></tr>"
                       for k, v in metrics)
        parts.append("<details><summary>Metrics</summary><table><thead><tr><th>Metric</th>"
                     f"<th>Value</th></tr></thead><tbody>{rows}</tbody></table></details>")
    if plots:
        shown = [str(a) for a in run.get("artifacts") or []]
        svgs = {Path(a).with_suffix("").as_posix() for a in shown if a.lower().endswith(".svg")}
        for a in shown:  # a plot saved as both SVG and PNG is shown once, as SVG
            if not a.lower().endswith(".svg") and Path(a).with_suffix("").as_posix() in svgs:
                continue
            rel = artifacts.add(str(run.get("id")), str(a))
            if rel:
                parts.append(f'<p><img class="mtlkb-plot" src="{attr(up + rel)}" '
                             f'alt="{attr(Path(str(a)).name)}" loading="lazy"></p>')
    notes = run.get("notes")
    if isinstance(notes, list) and notes:
        parts.append("<ul>" + "".join(f"<li><small>{oneline(n)}</small></li>" for n in notes[:10])
                     + "</ul>")
    if run.get("error") and run.get("status") != "done":
        err = str(run["error"]).strip().splitlines()[-1:]
        parts.append(f"<p><small>error: {oneline(' '.join(err))}</small></p>")
    parts.append("</div>")
    return "\n".join(p for p in parts if p) + "\n"


# -- pages -------------------------------------------------------------------------------
def paper_page(data: SiteData, p: Paper, artifacts: Artifacts) -> str:
    key = p.key or ""
    up = "../"
    info = data.notes[key]
    social = data.social.get(key) or {}
    out = [front_matter(p.title, tags=p.topics, description=p.abstract)]
    out.append(f"# {oneline(p.title)}\n\n")
    meta = [x for x in (
        str(p.year) if p.year else None, p.venue,
        p.journal_ref if p.journal_ref != p.venue else None) if x]
    authors = author_links(data, p, up) or "Unknown authors"
    out.append(f'<p class="mtlkb-meta mtlkb-authors">{authors}'
               "</p>\n\n")
    info_line = " · ".join(oneline(m) for m in meta)
    out.append(f'<p class="mtlkb-meta">{info_line}'
               f'{" · " if info_line else ""}<code>{text(key)}</code> {note_badge(info)}</p>\n\n')
    links = []
    if p.arxiv_id:
        links.append(link(f"https://arxiv.org/abs/{p.arxiv_id}", f"arXiv:{p.arxiv_id}"))
    if p.doi:
        links.append(link(f"https://doi.org/{p.doi}", f"DOI:{p.doi}"))
    pdf = url(p.pdf_url) or (url(f"https://arxiv.org/pdf/{p.arxiv_id}") if p.arxiv_id else None)
    if pdf:
        links.append(f'<a href="{pdf}">PDF</a>')
    page_url = url(p.url)
    if page_url and not p.arxiv_id:
        links.append(f'<a href="{page_url}">Link</a>')
    if links:
        out.append(f'<p class="mtlkb-links" data-search-exclude>{" ".join(links)}</p>\n\n')
    if p.topics:
        out.append(f'<p class="mtlkb-meta" data-search-exclude>Topics: '
                   f'{topic_links(data, p.topics, up)}</p>\n\n')

    out.append("## Abstract\n\n")
    out.append(f"<p>{oneline(p.abstract) or '<em>No abstract.</em>'}</p>\n\n")
    if p.comment:
        out.append(f'<p class="mtlkb-meta"><small>Comment: {oneline(p.comment)}</small></p>\n\n')

    # The seed's "reading frame": votes, save state, collections, reviews.
    out.append("## Reading frame { data-search-exclude }\n\n")
    vote = social.get("vote") or 0
    vote_label = {1: "liked", -1: "disliked"}.get(vote, "no vote")
    cols = social.get("collections") or []
    col_names = [c.get("name") if isinstance(c, dict) else c for c in cols]
    reviews = social.get("reviews") or []
    stats = [("Vote", vote_label), ("Saved", "yes" if social.get("saved") else "no"),
             ("Collections", str(len(col_names))), ("Reviews", str(len(reviews))),
             ("Reproductions", str(len(data.repros.get(key, [])))),
             ("Note", f"{info.answered}/{info.questions}" if info.exists else "none")]
    out.append('<p class="mtlkb-frame">' + " · ".join(
        f"{text(k)}: <b>{text(v)}</b>" for k, v in stats) + "</p>\n\n")
    if col_names:
        from kb.site.escape import slug

        out.append('<p data-search-exclude>In collections: ' + ", ".join(
            link(f"{up}collections/{slug(n)}.html", str(n)) for n in col_names) + "</p>\n\n")
    if reviews:
        items = []
        for r in reviews:
            bits = [f"<b>{label}:</b> {oneline(r.get(f))}" for f, label in (
                ("strength", "Strength"), ("concern", "Concern"), ("question", "Question"))
                if r.get(f)]
            when = f" <small>{text(r.get('created_at') or '')}</small>"
            items.append("<li>" + "<br>".join(bits) + when + "</li>")
        out.append("### Structured reviews\n\n<ul>\n" + "\n".join(items) + "\n</ul>\n\n")

    out.append("## Reading note\n\n")
    if info.exists and info.body.strip():
        meta_bits = []
        if info.read_on:
            meta_bits.append(f"read on {info.read_on}")
        if info.minutes:
            meta_bits.append(f"{info.minutes} min")
        if meta_bits:
            out.append(f'<p class="mtlkb-meta" data-search-exclude>'
                       f'{text(" · ".join(meta_bits))}</p>\n\n')
        out.append(note_markdown(info) + "\n\n")
    else:
        out.append(f'<p data-search-exclude><em>No note yet</em>: '
                   f"<code>mtlkb note {text(key)}</code> creates one.</p>\n\n")

    items = data.repros.get(key) or []
    if items:
        out.append("## Reproductions { data-search-exclude }\n\n")
        for item in items:
            rid = str(item.get("id"))
            out.append(f'<h3>{link(f"{up}reproductions/{rid}.html", str(item.get("title") or rid))}'
                       "</h3>\n\n")
            out.append(f"<p><b>Claim:</b> {oneline(item.get('claim'))}</p>\n\n")
            run = latest_full_run(data.kb, item.get("latest_run"))
            if run:
                out.append('<div data-search-exclude>\n'
                           + run_block(run, artifacts, up) + "</div>\n\n")
            else:
                out.append(f'<p data-search-exclude><em>No run yet</em>: '
                           f"<code>mtlkb repro run {text(rid)}</code></p>\n\n")

    rel = related(data, key)
    fut_out = data.future_out.get(key) or []
    fut_in = data.future_in.get(key) or []
    if rel or fut_out or fut_in:
        out.append("## Related papers { data-search-exclude }\n\n")
        if rel:
            lis = []
            for k, na, nt in rel:
                q = data.by_key[k]
                why = ", ".join(x for x in (
                    f"{na} shared author{'s' if na > 1 else ''}" if na else "",
                    f"{nt} shared topic{'s' if nt > 1 else ''}" if nt else "") if x)
                lis.append(f"<li>{link(paper_href(k, up), oneline(q.title), raw_label=True)}"
                           f"{f' ({q.year})' if q.year else ''} <small>{text(why)}</small></li>")
            out.append('<ul data-search-exclude>\n' + "\n".join(lis) + "\n</ul>\n\n")
        if fut_out:
            out.append("### Future reading { data-search-exclude }\n\n<div>\n"
                       + paper_list(data, fut_out, up) + "</div>\n\n")
        if fut_in:
            out.append("### Listed as future reading by { data-search-exclude }\n\n<div>\n"
                       + paper_list(data, fut_in, up) + "</div>\n\n")

    out.append("## BibTeX { data-search-exclude }\n\n")
    out.append(code_block(bibtex_for(p), "bibtex"))
    return "".join(out)


def home_page(data: SiteData, site_name: str = "MTL knowledge base") -> str:
    papers = data.papers
    notes = [n for n in data.notes.values() if n.exists]
    answered = sum(n.answered for n in notes)
    questions = sum(n.questions for n in notes)
    minutes = sum(n.minutes for n in notes if n.read_on)  # time spent on notes marked read
    runs = sum(len(r["runs"]) for r in data.reproductions)
    stats = [
        ("papers", len(papers), "papers.html"),
        ("notes", len(notes), "papers.html"),
        ("authors", len(data.author_papers), "authors.html"),
        ("topics", len(data.topic_papers), "topics.html"),
        ("collections", len(data.collections), "collections.html"),
        ("reproductions", len(data.reproductions), "reproductions.html"),
        ("runs", runs, "reproductions.html"),
    ]
    out = [front_matter("Home", exclude=True)]
    out.append(f"# {text(site_name)}\n\n")
    out.append('<div class="mtlkb-stats">' + "".join(
        f'<a class="mtlkb-stat" href="{h}"><b>{n}</b>{label}</a>' for label, n, h in stats)
        + "</div>\n\n")
    out.append("## Reading progress\n\n")
    pct = f" ({100 * answered / questions:.0f}%)" if questions else ""
    complete = sum(1 for n in notes if n.status == "complete")
    started = sum(1 for n in notes if n.status == "started")
    out.append(
        f"<ul><li>{len(notes)} of {len(papers)} papers have a note; {complete} complete, "
        f"{started} in progress</li>"
        f"<li>{answered} of {questions} note questions answered{pct}</li>"
        f"<li>{minutes} minutes read ({minutes / 60:.1f} h)</li></ul>\n\n"
    )
    out.append("## Recently added\n\n")
    recent = sorted(papers, key=lambda p: (p.added_at or "", p.key or ""), reverse=True)[:12]
    out.append(paper_list(data, [p.key for p in recent if p.key], ""))
    reading = sorted(
        (k for k, n in data.notes.items() if n.exists and n.read_on),
        key=lambda k: (data.notes[k].read_on or "", k), reverse=True)[:8]
    if reading:
        out.append("\n## Recently read\n\n" + paper_list(data, reading, ""))
    out.append("\n## Explore\n\n<ul>"
               '<li><a href="papers.html">All papers</a>: sortable, filterable table</li>'
               '<li><a href="topics.html">Topics</a> and the <a href="tags.html">tag index</a></li>'
               '<li><a href="authors.html">Authors</a></li>'
               '<li><a href="collections.html">Collections</a></li>'
               '<li><a href="reproductions.html">Reproductions</a>: claims, verdicts, plots</li>'
               '<li><a href="map.html">Research map</a> of papers, topics and authors</li>'
               "</ul>\n")
    return "".join(out)


def papers_page(data: SiteData) -> str:
    papers = sorted(data.papers, key=lambda p: (-(p.year or 0), p.key or ""))
    return (front_matter("Papers", exclude=True, hide=("navigation", "toc"))
            + f"# Papers\n\n<p>{len(papers)} papers. "
            "Click a column to sort; type to filter.</p>\n\n"
            + papers_table(data, papers, "", "papers-table"))


def _topic_title(data: SiteData, t: str) -> str:
    spec = data.taxonomy.get(t) or {}
    return str(spec.get("title") or t)


def topics_page(data: SiteData) -> str:
    out = [front_matter("Topics", exclude=True), "# Topics\n\n"]
    names = sorted(data.topic_slug)
    children: dict[str | None, list[str]] = {}
    for t in names:
        parent = (data.taxonomy.get(t) or {}).get("parent")
        if parent not in data.topic_slug or parent == t:
            parent = None
        children.setdefault(parent, []).append(t)

    def total(t: str, seen: frozenset = frozenset()) -> int:
        if t in seen:
            return 0
        return len(data.topic_papers.get(t, ())) + sum(
            total(c, seen | {t}) for c in children.get(t, ()))

    def tree(parent: str | None, depth: int, seen: frozenset = frozenset()) -> str:
        items = []
        for t in children.get(parent, []):
            if t in seen or depth > 8:
                continue
            own = len(data.topic_papers.get(t, ()))
            desc = (data.taxonomy.get(t) or {}).get("description")
            items.append(
                f"<li>{link('topics/' + data.topic_slug[t] + '.html', _topic_title(data, t))}"
                f" <code>{text(t)}</code> <small>{own} papers"
                f"{f', {total(t)} with subtopics' if children.get(t) else ''}</small>"
                + (f"<br><small>{oneline(desc)}</small>" if desc else "")
                + tree(t, depth + 1, seen | {t}) + "</li>")
        return "<ul>" + "\n".join(items) + "</ul>" if items else ""

    if data.taxonomy:
        out.append("<p>The taxonomy of multi-task learning topics; counts are papers tagged "
                   "with each topic.</p>\n\n")
    out.append('<div class="mtlkb-tree">\n' + tree(None, 0) + "\n</div>\n")
    return "".join(out)


def topic_page(data: SiteData, t: str) -> str:
    spec = data.taxonomy.get(t) or {}
    title = _topic_title(data, t)
    out = [front_matter(f"Topic: {title}", exclude=True), f"# {text(title)}\n\n",
           f"<p><code>{text(t)}</code></p>\n\n"]
    if spec.get("description"):
        out.append(f"<p>{oneline(spec['description'])}</p>\n\n")
    parent = spec.get("parent")
    if parent and parent in data.topic_slug:
        up_link = link(data.topic_slug[parent] + ".html", _topic_title(data, parent))
        out.append(f"<p>Part of {up_link}"
                   "</p>\n\n")
    subs = sorted(s for s, sp in data.taxonomy.items() if sp.get("parent") == t
                  and s in data.topic_slug)
    if subs:
        out.append("<p>Subtopics: " + ", ".join(
            link(data.topic_slug[s] + ".html", _topic_title(data, s)) for s in subs) + "</p>\n\n")
    keys = data.topic_papers.get(t, [])
    papers = sorted((data.by_key[k] for k in keys),
                    key=lambda p: (-(p.year or 0), p.key or ""))
    out.append(f"## Papers ({len(papers)})\n\n")
    out.append('<div data-search-exclude>\n' + paper_list(data, [q.key for q in papers], "../")
               + "</div>\n")
    return "".join(out)


def author_groups(data: SiteData) -> dict[str, list[str]]:
    """Letter page -> its authors, sorted by last name."""
    groups: dict[str, list[str]] = {}
    for n in sorted(data.author_papers, key=_author_sort):
        groups.setdefault(data.author_group[n], []).append(n)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == "other", kv[0])))


def _author_sort(name: str) -> tuple[str, str]:
    parts = name.split()
    return ((parts[-1] if parts else name).lower(), name.lower())


def authors_page(data: SiteData) -> str:
    groups = author_groups(data)
    letters = " ".join(link(f"authors/{g}.html", g.upper() if g != "other" else "other")
                       for g in groups)
    rows = "\n".join(
        f"<tr><td>{link(author_href(data, n, ''), n)}</td>"
        f"<td>{len(data.author_papers[n])}</td></tr>"
        for ns in groups.values() for n in ns)
    return (front_matter("Authors", exclude=True)
            + f"# Authors\n\n<p>{len(data.author_papers)} authors. By last name: {letters}</p>"
            '\n\n<div data-search-exclude>\n<input class="mtlkb-filter" type="search" '
            'data-filter-for="authors-table" placeholder="Filter authors" '
            'aria-label="Filter authors"> <span data-count-for="authors-table"></span>\n'
            '<table class="mtlkb-table" id="authors-table"><thead><tr><th>Author</th>'
            f"<th>Papers</th></tr></thead><tbody>\n{rows}\n</tbody></table>\n</div>\n")


def author_entry(data: SiteData, name: str) -> str:
    """One author's section on a letter page: papers, topics, co-authors (raw HTML)."""
    keys = data.author_papers.get(name, [])
    papers = sorted((data.by_key[k] for k in keys), key=lambda p: (-(p.year or 0), p.key or ""))
    coauthors: dict[str, int] = {}
    topics: dict[str, int] = {}
    for p in papers:
        for a in p.authors:
            if a.name and a.name != name:
                coauthors[a.name] = coauthors.get(a.name, 0) + 1
        for t in p.topics:
            topics[t] = topics.get(t, 0) + 1
    out = [f'<section class="mtlkb-author"><h2 id="{data.author_slug[name]}">{oneline(name)}'
           f' <small>{len(papers)} paper{"s" if len(papers) != 1 else ""}</small></h2>',
           paper_list(data, [p.key for p in papers], "../")]
    if topics:
        top = sorted(topics, key=lambda t: (-topics[t], t))[:12]
        out.append("<p><small>Topics: " + ", ".join(
            link(f"../topics/{data.topic_slug[t]}.html", t) + f" ({topics[t]})" for t in top)
            + "</small></p>")
    if coauthors:
        top = sorted(coauthors, key=lambda a: (-coauthors[a], a))[:20]
        out.append("<p><small>Co-authors: " + ", ".join(
            link(author_href(data, a, "../"), a) + f" ({coauthors[a]})" for a in top)
            + "</small></p>")
    out.append("</section>")
    return "\n".join(out)


def author_group_page(data: SiteData, group: str, names: list[str]) -> str:
    label = group.upper() if group != "other" else "other"
    body = "\n".join(author_entry(data, n) for n in names)
    return (front_matter(f"Authors: {label}", exclude=True, hide=("toc",))
            + f"# Authors: {text(label)}\n\n<p>{len(names)} authors. "
            '<a href="../authors.html">All authors</a></p>\n\n'
            f'<div class="mtlkb-authors-group">\n{body}\n</div>\n')


def collections_page(data: SiteData) -> str:
    from kb.site.escape import slug

    out = [front_matter("Collections", exclude=True), "# Collections\n\n"]
    if not data.collections:
        out.append("<p><em>No collections yet.</em></p>\n")
    items = [f"<li>{link('collections/' + slug(c['name']) + '.html', c['name'])} "
             f"<small>{len(c['papers'])} papers</small>"
             + (f"<br><small>{oneline(c['description'])}</small>" if c.get("description") else "")
             + "</li>" for c in data.collections]
    if items:
        out.append("<ul>\n" + "\n".join(items) + "\n</ul>\n")
    saved = [k for k, s in data.social.items() if s and s.get("saved")]
    liked = [k for k, s in data.social.items() if s and (s.get("vote") or 0) > 0]
    out.append(f"\n## Saved ({len(saved)})\n\n" + paper_list(data, saved, ""))
    out.append(f"\n## Liked ({len(liked)})\n\n" + paper_list(data, liked, ""))
    return "".join(out)


def collection_page(data: SiteData, c: dict[str, Any]) -> str:
    papers = [data.by_key[k] for k in c["papers"] if k in data.by_key]
    out = [front_matter(f"Collection: {c['name']}", exclude=True), f"# {oneline(c['name'])}\n\n"]
    if c.get("description"):
        out.append(f"<p>{oneline(c['description'])}</p>\n\n")
    out.append(papers_table(data, papers, "../", "collection-table") if papers else
               "<p><em>Empty.</em></p>\n")
    return "".join(out)


def reproductions_page(data: SiteData) -> str:
    out = [front_matter("Reproductions", exclude=True), "# Reproductions\n\n"]
    if not data.reproductions:
        out.append("<p><em>No reproductions registered.</em></p>\n")
        return "".join(out)
    rows = []
    for r in data.reproductions:
        runs = r["runs"]
        latest = runs[0] if runs else None
        deciding = _deciding(runs)
        verdict = overall_verdict((deciding or {}).get("verdicts"))
        rows.append(
            f"<tr><td>{link('reproductions/' + r['id'] + '.html', r['id'])}</td>"
            f"<td>{oneline(r['title'])}</td><td>{len(runs)}</td>"
            f"<td>{badge(verdict, verdict) if verdict else ''}</td>"
            f"<td>{text((latest or {}).get('started_at') or '')}</td></tr>")
    out.append('<table class="mtlkb-table" id="repro-table"><thead><tr><th>Id</th><th>Title</th>'
               "<th>Runs</th><th>Verdict</th><th>Latest run</th></tr></thead><tbody>\n"
               + "\n".join(rows) + "\n</tbody></table>\n")
    return "".join(out)


def _deciding(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    done = [r for r in runs if r.get("status") == "done" and r.get("verdicts")]
    full = [r for r in done if r.get("scale") == "full"]
    return (full or done or [None])[0]


def reproduction_page(data: SiteData, r: dict[str, Any], artifacts: Artifacts,
                      max_plotted_runs: int = 10) -> str:
    out = [front_matter(r["title"]), f"# {oneline(r['title'])}\n\n",
           f"<p><code>{text(r['id'])}</code></p>\n\n",
           f"## Claim\n\n<p>{oneline(r['claim'])}</p>\n\n"]
    ids = [link(f"https://arxiv.org/abs/{a}", f"arXiv:{a}") for a in r.get("arxiv_ids") or []]
    if r.get("doi"):
        ids.append(link(f"https://doi.org/{r['doi']}", f"DOI:{r['doi']}"))
    if ids:
        out.append(f'<p data-search-exclude>Reproduces {" ".join(ids)}</p>\n\n')
    if r.get("papers"):
        out.append("## Papers\n\n<div data-search-exclude>\n"
                   + paper_list(data, r["papers"], "../") + "</div>\n\n")
    runs = r["runs"]
    out.append(f"## Runs ({len(runs)})\n\n")
    if not runs:
        out.append(f"<p><em>No run yet</em>: <code>mtlkb repro run {text(r['id'])}</code></p>\n")
    out.append('<div data-search-exclude>\n')
    for i, run in enumerate(runs):
        out.append(f"<h3>{text(run.get('id') or '')}</h3>\n")
        out.append(run_block(run, artifacts, "../", plots=i < max_plotted_runs))
    out.append("</div>\n")
    return "".join(out)


def tags_page() -> str:
    return (front_matter("Tags", exclude=True)
            + "# Tags\n\nEvery topic a paper is tagged with, and its papers.\n\n"
            "<!-- material/tags -->\n")


def map_page(svg: str, shown: int, total: int) -> str:
    note = (f"<p>Showing {shown} of {total} papers (the best-connected ones).</p>"
            if shown < total else f"<p>{total} papers.</p>")
    return (front_matter("Research map", exclude=True, hide=("navigation", "toc"))
            + "# Research map\n\n<p>Topics are hubs (squares), papers sit around their first "
            "topic (circles), prolific authors are diamonds. Everything links to its page.</p>"
            + note + "\n\n"
            + '<div class="mtlkb-map">\n' + svg + "\n</div>\n")
