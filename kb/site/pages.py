"""The Markdown text of the index pages (home, papers, topics, authors, collections,
reproductions, tags, map); a paper's own page is :mod:`kb.site.paper_page`.

Pages are Markdown with raw HTML blocks. Outside text goes through :mod:`kb.site.escape`;
links inside raw HTML point at the built ``.html`` files directly (``use_directory_urls`` is
off), so MkDocs has no link to rewrite or validate. Boilerplate and BibTeX carry
``data-search-exclude`` so the search index holds titles, authors, abstracts and notes.
"""

from __future__ import annotations

from typing import Any

from kb.models.reproduction import ReproductionRuns
from kb.models.run import Run
from kb.repro.runs import own_and_reference
from kb.site.data import SiteData
from kb.site.escape import oneline, text
from kb.site.names import display_name
from kb.site.pieces import (
    Artifacts,
    author_href,
    badge,
    front_matter,
    link,
    paper_list,
    papers_table,
)
from kb.site.run_html import run_block


def home_page(data: SiteData, site_name: str = "MTL knowledge base") -> str:
    papers = data.papers
    notes = [n for n in data.notes.values() if n.exists]
    answered = sum(n.answered for n in notes)
    questions = sum(n.questions for n in notes)
    minutes = sum(n.minutes for n in notes if n.read_on)  # time spent on notes marked read
    runs = sum(len(r.runs) for r in data.reproductions)
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
    if keys:
        from kb.site.research_map import build_map

        svg, _shown = build_map(data, keys=list(keys), up="../")
        out.append("## Map\n\n" + map_block(svg) + "\n")
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
            if display_name(a) and display_name(a) != name:
                coauthors[display_name(a)] = coauthors.get(display_name(a), 0) + 1
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
        own, reference = own_and_reference(r.runs)
        rows.append(
            f"<tr><td>{link('reproductions/' + r.id + '.html', r.id)}</td>"
            f"<td>{oneline(r.title)}</td><td>{len(own)}</td>"
            f"<td>{_run_cell(own[0] if own else None, 'not run here yet')}</td>"
            f"<td>{_run_cell(reference, 'none bundled')}</td></tr>")
    out.append("<p>The verdict of the latest run in this knowledge base, with its scale and "
               "date; the reference run bundled with mtlkb is shown apart.</p>\n\n")
    out.append('<div class="mtlkb-scroll"><table class="mtlkb-table" id="repro-table"><thead><tr>'
               "<th>Id</th><th>Title</th><th>Runs here</th><th>Verdict (latest run here)</th>"
               "<th>Bundled reference</th></tr></thead><tbody>\n"
               + "\n".join(rows) + "\n</tbody></table></div>\n")
    return "".join(out)


def _run_cell(run: Run | None, empty: str) -> str:
    """A run's verdict badge (or its status), scale and date."""
    if run is None:
        return f"<em>{text(empty)}</em>"
    label = run.verdict or run.status
    when = (run.finished_at or run.started_at or "")[:10]
    bits = [x for x in (run.scale, when) if x]
    return f'{badge(label, label)} <small>{text(" · ".join(bits))}</small>'


def reproduction_page(data: SiteData, r: ReproductionRuns, artifacts: Artifacts,
                      max_plotted_runs: int = 10) -> str:
    out = [front_matter(r.title), f"# {oneline(r.title)}\n\n",
           f"<p><code>{text(r.id)}</code></p>\n\n",
           f"## Claim\n\n<p>{oneline(r.claim)}</p>\n\n"]
    ids = [link(f"https://arxiv.org/abs/{a}", f"arXiv:{a}") for a in r.arxiv_ids]
    if r.doi:
        ids.append(link(f"https://doi.org/{r.doi}", f"DOI:{r.doi}"))
    if ids:
        out.append(f'<p data-search-exclude>Reproduces {" ".join(ids)}</p>\n\n')
    if r.papers:
        out.append("## Papers\n\n<div data-search-exclude>\n"
                   + paper_list(data, r.papers, "../") + "</div>\n\n")
    out.append(f"## Runs ({len(r.runs)})\n\n")
    if not r.runs:
        out.append(f"<p><em>No run yet</em>: <code>mtlkb repro run {text(r.id)}</code></p>\n")
    out.append('<div data-search-exclude>\n')
    for i, run in enumerate(r.runs):
        out.append(f"<h3>{text(run.id)}</h3>\n")
        out.append(run_block(run, artifacts, "../", plots=i < max_plotted_runs))
    out.append("</div>\n")
    return "".join(out)


def tags_page() -> str:
    return (front_matter("Tags", exclude=True)
            + "# Tags\n\nEvery topic a paper is tagged with, and its papers.\n\n"
            "<!-- material/tags -->\n")


def map_page(svg: str, shown: int, total: int) -> str:
    note = (f"<p>Showing {shown} of {total} papers.</p>" if shown < total
            else f"<p>All {total} papers.</p>")
    return (front_matter("Research map", exclude=True, hide=("navigation", "toc"))
            + "# Research map\n\n<p>Topics are hubs (squares), papers sit around their most "
            "specific topic (circles; dark: with a note), prolific authors are diamonds. "
            "Scroll or use + and − to zoom (paper titles show when zoomed in), drag to move, "
            "type to find a paper, topic or author. Each topic's page has its own map with the "
            "links between its papers, topics and authors; each paper's page, its "
            "neighbourhood (topics, authors, institutions, the papers it cites and that cite "
            "it).</p>"
            + note + "\n\n" + map_block(svg))


def map_block(svg: str) -> str:
    """An SVG map with the controls ``assets/mtlkb.js`` brings to life."""
    return ('<div class="mtlkb-mapwrap" data-search-exclude>\n'
            '<div class="mtlkb-map-tools" hidden><input type="search" class="mtlkb-map-find" '
            'placeholder="Find a paper, topic or author" aria-label="Find on the map"> '
            '<button type="button" class="md-button" data-zoom="in" title="Zoom in">+</button>'
            '<button type="button" class="md-button" data-zoom="out" title="Zoom out">−</button>'
            '<button type="button" class="md-button" data-zoom="reset">Reset</button>'
            ' <span class="mtlkb-map-found"></span></div>\n'
            '<div class="mtlkb-map">\n' + svg + "\n</div>\n</div>\n")
