"""The paper record on a paper page (issue 16): our summary, code and dataset buttons,
citations inside the KB and "future reading", institutions, a research-map slice and the
discussion; plus one page per institution. Everything from outside is escaped.

Gathered once per build (:func:`record_data`, cached on the :class:`SiteData`), so a page
costs dictionary lookups only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from kb.models import Paper
from kb.models.record import Comment, Enrichment, Institution, PaperLink
from kb.site.data import SiteData, unique_slugs
from kb.site.escape import oneline, text, url
from kb.site.names import display_name
from kb.site.pieces import author_href, front_matter, link, paper_href, paper_list
from kb.site.research_map import SliceNode, paper_slice, topic_label

DISCUSSION_SEARCH_BUDGET = 8_000  # characters of comments a page's search text may hold


@dataclass
class RecordData:
    summaries: dict[str, tuple[str, str | None]]
    comments: dict[str, list[Comment]]
    links: dict[str, list[PaperLink]]
    references: dict[str, list[str]]
    cited_by: dict[str, list[str]]
    institutions: dict[str, list[Institution]]         # paper key -> its institutions
    institution_papers: dict[str, dict[str, list[str]]]  # name -> {papers, authors}
    institution_slug: dict[str, str]
    enrichment: dict[str, list[Enrichment]] = field(default_factory=dict)


def record_data(data: SiteData) -> RecordData:
    """The paper record of every paper, read in bulk (once per build)."""
    if "paper_record" in data._cache:
        return data._cache["paper_record"]
    from kb.core.comments import threads
    from kb.core.institutions import all_institutions, merge
    from kb.core.paper_links import reproduction_links
    from kb.store import citations, comments, enrichment, institutions, paper_links

    conn = data.kb.conn
    flat: dict[str, list[Comment]] = {}
    for c in comments.all_comments(conn):
        flat.setdefault(c.key, []).append(c)
    stored_links: dict[str, list[PaperLink]] = {}
    for x in paper_links.all_links(conn):
        stored_links.setdefault(x.key, []).append(x)
    links: dict[str, list[PaperLink]] = {}
    for key in data.by_key:
        mine = stored_links.get(key, [])
        repro = reproduction_links(data.kb, key) if data.repros.get(key) else []
        links[key] = (repro + [x for x in mine if x.kind == "code"]
                      + [x for x in mine if x.kind == "dataset"])
    refs: dict[str, list[str]] = {}
    by: dict[str, list[str]] = {}
    for citing, cited, _ in citations.all_citations(conn):
        refs.setdefault(citing, []).append(cited)
        by.setdefault(cited, []).append(citing)
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for key, name, author, source in institutions.all_affiliations(conn):
        rows.setdefault(key, []).append((name, author, source))
    per_paper = {p.key: merge(rows.get(p.key or "", []), p) for p in data.papers if p.key}
    inst_papers = all_institutions(data.kb, data.papers)
    enrich: dict[str, list[Enrichment]] = {}
    for e in enrichment.all_enrichments(conn):
        enrich.setdefault(e.key, []).append(e)
    out = RecordData(
        summaries=enrichment.all_summaries(conn),
        comments={k: threads(v) for k, v in flat.items()},
        links=links, references=refs, cited_by=by, institutions=per_paper,
        institution_papers=inst_papers, institution_slug=unique_slugs(list(inst_papers)),
        enrichment=enrich)
    data._cache["paper_record"] = out
    return out


def institution_href(rec: RecordData, name: str, up: str) -> str:
    return f"{up}institutions/{rec.institution_slug[name]}.html"


# -- pieces of the paper page --------------------------------------------------------------
def summary_block(data: SiteData, p: Paper) -> str:
    """Our summary of the paper (from the canon record), when there is one."""
    found = record_data(data).summaries.get(p.key or "")
    if not found:
        return ""
    summary, source = found
    src = f'<br><small>Written from: {oneline(source)}</small>' if source else ""
    return f"## Summary\n\n<p>{oneline(summary)}{src}</p>\n\n"


def _flat(comments: list[Comment]) -> list[Comment]:
    return [x for c in comments for x in (c, *_flat(c.replies))]


def _count(comments: list[Comment]) -> int:
    return sum(1 + _count(c.replies) for c in comments)


def _external(rec: RecordData, key: str) -> tuple[str, str]:
    """(label, value) of the external citation count, with source and date."""
    items = [e for e in rec.enrichment.get(key, []) if e.citation_count is not None]
    if not items:
        return "Citations", "not fetched"
    best = max(items, key=lambda e: e.fetched_at)
    return (f"Citations ({best.source}, {best.fetched_at[:10]})", str(best.citation_count))


def _button(href: str, label: str) -> str:
    return f'<a class="md-button" href="{href}">{text(label)}</a>'


def _buttons(data: SiteData, rec: RecordData, key: str, up: str) -> str:
    out = []
    for x in rec.links.get(key, []):
        if x.reproduction:
            out.append(_button(f"{up}reproductions/{text(x.reproduction)}.html",
                               f"Code: reproduction {x.reproduction}"))
            continue
        href = url(x.url)
        if href is None:
            continue
        if x.kind == "code":
            label = "Code: " + (x.name or (x.url or "").split("://", 1)[-1].rstrip("/"))
        else:
            label = "Dataset: " + (x.name or (x.url or "").split("://", 1)[-1].rstrip("/"))
        out.append(_button(href, label))
    for e in rec.enrichment.get(key, []):
        href = url(e.oa_pdf)
        if href:
            out.append(_button(href, f"Open-access PDF ({e.source})"))
            break
    return " ".join(out)


def _comment_html(c: Comment, depth: int = 0) -> str:
    edited = f", edited {text(c.edited_at)}" if c.edited_at else ""
    body = "<br>".join(oneline(line) for line in c.body.splitlines())
    replies = "".join(_comment_html(r, depth + 1) for r in c.replies)
    return (f'<div class="mtlkb-note mtlkb-comment" id="comment-{c.id}" '
            f'style="margin-left:{min(depth, 6) * 1.2:.1f}rem">'
            f"<p><b>{oneline(c.author)}</b> <small>#{c.id} · {text(c.created_at)}{edited}"
            f"</small><br>{body}</p>{replies}</div>\n")


def record_block(data: SiteData, p: Paper, up: str = "../",
                 related_keys: list[str] | None = None) -> str:
    """The record sections of a paper page: counts, buttons, citations, institutions,
    the map slice (with ``related_keys``, the paper's nearest papers) and the discussion."""
    rec = record_data(data)
    key = p.key or ""
    links = rec.links.get(key, [])
    n_code = sum(1 for x in links if x.kind == "code")
    n_data = sum(1 for x in links if x.kind == "dataset")
    insts = rec.institutions.get(key, [])
    comments = rec.comments.get(key, [])
    refs = rec.references.get(key, [])
    by = rec.cited_by.get(key, [])
    label, value = _external(rec, key)
    oa = next((e.source for e in rec.enrichment.get(key, []) if url(e.oa_pdf)), None)
    access = "Open access" if p.arxiv_id or oa else "Unknown"
    access_why = "arXiv" if p.arxiv_id else (oa or "no open copy known")
    stats = [(label, value), (f"Access ({access_why})", access),
             ("Cited by in this KB", str(len(by))),
             ("References in this KB", str(len(refs))),
             ("Code", str(n_code) if n_code else "No code"),
             ("Datasets", str(n_data) if n_data else "No dataset"),
             ("Institutions", str(len(insts))), ("Comments", str(_count(comments)))]
    out = ["## Paper record { data-search-exclude }\n\n",
           '<div class="mtlkb-stats" data-search-exclude>'
           + "".join(f'<span class="mtlkb-stat"><b>{text(v)}</b>{text(k)}</span>'
                     for k, v in stats) + "</div>\n\n"]
    buttons = _buttons(data, rec, key, up)
    if buttons:
        out.append(f'<p class="mtlkb-links" data-search-exclude>{buttons}</p>\n\n')

    out.append("### Citations in this KB { data-search-exclude }\n\n")
    out.append(f"<p>Cited by {len(by)} in this KB.</p>\n\n")
    if refs:
        out.append("<p>Its references in this KB:</p>\n<div>\n" + paper_list(data, refs, up)
                   + "</div>\n\n")
    out.append("#### Future reading: papers in this KB that cite it { data-search-exclude }"
               "\n\n<div>\n" + paper_list(data, by, up) + "</div>\n\n")

    out.append("### Institutions { data-search-exclude }\n\n")
    if insts:
        items = []
        for inst in insts:
            who = f" <small>{text(', '.join(inst.authors))}</small>" if inst.authors else ""
            items.append(f"<li>{link(institution_href(rec, inst.name, up), inst.name)}{who} "
                         f"<small>({text(', '.join(inst.sources))})</small></li>")
        out.append("<ul>\n" + "\n".join(items) + "\n</ul>\n\n")
    else:
        out.append(f"<p><em>No institutions known</em>: <code>mtlkb enrich {text(key)}</code>"
                   " asks an open API.</p>\n\n")

    out.append("### Research map { data-search-exclude }\n\n")
    out.append(map_slice(data, p, up, related_keys))

    # A long discussion stays out of the page's search text (Zensical refuses a page whose
    # search text exceeds 32,768 characters).
    long = sum(len(c.body) for c in _flat(comments)) > DISCUSSION_SEARCH_BUDGET
    exclude = " { data-search-exclude }" if long else ""
    out.append(f"## Discussion ({_count(comments)} comment(s)){exclude}\n\n")
    if comments:
        out.append(f"<div{' data-search-exclude' if long else ''}>\n"
                   + "".join(_comment_html(c) for c in comments) + "</div>\n\n")
    else:
        out.append("<p><em>No discussion yet.</em></p>\n\n")
    out.append(f'<p data-search-exclude><small>Add one: <code>mtlkb comment {text(key)} '
               '"..."</code> (reply with <code>--reply-to ID</code>).</small></p>\n\n')
    return "".join(out)


# -- the research-map slice ----------------------------------------------------------------
SLICE_CAPS = {"topic": 6, "author": 8, "institution": 6}  # left column: at most 20 rows
SLICE_RIGHT = 18       # rows of the right column: papers cited, citing, then nearest
SLICE_RELATED = 6      # nearest papers drawn at most (the list under "Related papers" has more)


def slice_nodes(data: SiteData, p: Paper, related_keys: list[str], up: str
                ) -> tuple[list[SliceNode], dict[str, int]]:
    """A paper's neighbours on its map slice (topics, authors, institutions; papers it cites,
    citing it, nearest to it) and how many of each kind it has, drawn or not."""
    rec = record_data(data)
    key = p.key or ""
    topics = [t for t in dict.fromkeys(p.topics) if t in data.topic_slug]
    names = [n for n in dict.fromkeys(display_name(a) for a in p.authors)
             if n in data.author_group]
    insts = list(dict.fromkeys(i.name for i in rec.institutions.get(key, [])))
    cited = [k for k in dict.fromkeys(rec.references.get(key, [])) if k in data.by_key
             and k != key]
    citing = [k for k in dict.fromkeys(rec.cited_by.get(key, [])) if k in data.by_key
              and k != key and k not in cited]  # citing and cited both ways: drawn as cited
    near = [k for k in related_keys if k not in cited and k not in citing and k != key]
    counts = {"topic": len(topics), "author": len(names), "institution": len(insts),
              "cited": len(cited), "citing": len(citing), "related": len(near)}

    nodes = [SliceNode("topic", t, topic_label(data, t), f"{up}topics/{data.topic_slug[t]}.html")
             for t in topics[:SLICE_CAPS["topic"]]]
    nodes += [SliceNode("author", n, n, author_href(data, n, up))
              for n in names[:SLICE_CAPS["author"]]]
    nodes += [SliceNode("institution", n, n, institution_href(rec, n, up))
              for n in insts[:SLICE_CAPS["institution"]]]
    left = {n.id for n in nodes}
    # Citations first, the two directions sharing the column fairly; nearest papers fill up.
    n_cited = min(len(cited), max(SLICE_RIGHT // 2, SLICE_RIGHT - len(citing)))
    n_citing = min(len(citing), SLICE_RIGHT - n_cited)
    n_near = min(len(near), SLICE_RELATED, SLICE_RIGHT - n_cited - n_citing)
    for kind, keys in (("cited", cited[:n_cited]), ("citing", citing[:n_citing]),
                       ("related", near[:n_near])):
        for k in keys:
            nodes.append(SliceNode(kind, k, data.by_key[k].title, paper_href(k, up),
                                   _shares(data, rec, k, left)))
    return nodes, counts


def _shares(data: SiteData, rec: RecordData, k: str, left: set[str]) -> tuple[str, ...]:
    """The ids of the left-column nodes paper ``k`` has too."""
    q = data.by_key[k]
    ids = [f"topic:{t}" for t in q.topics]
    ids += [f"author:{display_name(a)}" for a in q.authors]
    ids += [f"institution:{i.name}" for i in rec.institutions.get(k, [])]
    return tuple(dict.fromkeys(i for i in ids if i in left))


_LEGEND = (("topic", "topic", "topics", "#ff7043", "&#9632;"),
           ("author", "author", "authors", "#ab47bc", "&#9670;"),
           ("institution", "institution", "institutions", "#26a69a", "&#9632;"),
           ("cited", "paper it cites", "papers it cites", "#42a5f5", "&#9679;"),
           ("citing", "paper citing it", "papers citing it", "#1565c0", "&#9679;"),
           ("related", "nearest paper", "nearest papers", "#42a5f5", "&#9675;"))


def map_slice(data: SiteData, p: Paper, up: str, related_keys: list[str] | None = None) -> str:
    """The paper's slice of the research map (one SVG, each node a link), a legend with what
    was left out, and the link to the full map centred on the paper."""
    nodes, counts = slice_nodes(data, p, related_keys or [], up)
    drawn = {kind: sum(1 for n in nodes if n.kind == kind) for kind in counts}
    bits = []
    for kind, one, many, colour, mark in _LEGEND:
        if counts[kind]:
            more = f" ({drawn[kind]} drawn)" if drawn[kind] < counts[kind] else ""
            bits.append(f'<span style="color:{colour}">{mark}</span>&nbsp;{counts[kind]}&nbsp;'
                        f"{one if counts[kind] == 1 else many}{more}")
    legend = " · ".join(bits) or "<em>Nothing links this paper to the rest of the KB yet.</em>"
    full = link(f"{up}map.html#paper={quote(p.key or '', safe='')}",
                "Open the full research map")
    return ('<div class="mtlkb-map-slice" data-search-exclude>\n<div class="mtlkb-scroll">\n'
            + paper_slice(p.title, nodes)
            + f"\n</div>\n<p><small>{legend}</small></p>\n<p>{full} (at this paper)</p>\n"
            "</div>\n\n")


# -- institution pages ---------------------------------------------------------------------
def institution_pages(data: SiteData) -> list[tuple[str, str]]:
    """``(docs-relative path, Markdown)`` of the institutions index and of each institution."""
    rec = record_data(data)
    names = sorted(rec.institution_papers, key=lambda n: (n.lower(), n))
    rows = "\n".join(
        f"<tr><td>{link(institution_href(rec, n, ''), n)}</td>"
        f"<td>{len(rec.institution_papers[n]['papers'])}</td></tr>" for n in names)
    index = (front_matter("Institutions", exclude=True) + "# Institutions\n\n"
             f"<p>{len(names)} institutions, from arXiv affiliations, open APIs "
             "(<code>mtlkb enrich</code>) and BibTeX institution/school/organization.</p>\n\n"
             '<div data-search-exclude>\n<table class="mtlkb-table"><thead><tr>'
             "<th>Institution</th><th>Papers</th></tr></thead><tbody>\n"
             f"{rows}\n</tbody></table>\n</div>\n")
    out = [("institutions.md", index)]
    for n in names:
        entry = rec.institution_papers[n]
        authors = ", ".join(link(author_href(data, a, "../"), a) if a in data.author_group
                            else text(a) for a in entry["authors"])
        body = (front_matter(n) + f"# {oneline(n)}\n\n"
                + (f"<p>Authors: {authors}</p>\n\n" if authors else "")
                + f"## Papers ({len(entry['papers'])})\n\n<div data-search-exclude>\n"
                + paper_list(data, entry["papers"], "../") + "</div>\n\n"
                + '<p><a href="../institutions.html">All institutions</a></p>\n')
        out.append((f"institutions/{rec.institution_slug[n]}.md", body))
    return out


def record_summary(data: SiteData, key: str) -> dict[str, Any]:
    """Counts for a paper (tests and other pages)."""
    rec = record_data(data)
    return {"comments": _count(rec.comments.get(key, [])),
            "code": sum(1 for x in rec.links.get(key, []) if x.kind == "code"),
            "datasets": sum(1 for x in rec.links.get(key, []) if x.kind == "dataset"),
            "cited_by": len(rec.cited_by.get(key, [])),
            "references": len(rec.references.get(key, [])),
            "institutions": len(rec.institutions.get(key, []))}
