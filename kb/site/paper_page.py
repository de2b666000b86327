"""The page of one paper: metadata, links, note, social record, reproductions, related."""

from __future__ import annotations

from kb.models import Paper
from kb.site.data import SiteData, latest_full_run, related
from kb.site.escape import oneline, slug, text, url
from kb.site.names import display_name
from kb.site.note_html import cached_note_markdown
from kb.site.paper_record import record_block, summary_block
from kb.site.pieces import (
    Artifacts,
    author_href,
    bibtex_for,
    code_block,
    front_matter,
    link,
    note_badge,
    paper_href,
    paper_list,
    topic_links,
)
from kb.site.run_html import run_block


def paper_page(data: SiteData, p: Paper, artifacts: Artifacts) -> str:
    """In the order a researcher reads: who and where, the abstract, the reproductions'
    verdicts and plots, the links, the note's answered parts (unanswered questions
    collapsed), then the reading frame, related papers and the BibTeX."""
    up = "../"
    rel = related(data, p.key or "")
    out = [front_matter(p.title, tags=p.topics, description=p.abstract)]
    out.append(_summary(data, p, up))
    out.append(_reproductions(data, p, artifacts, up))
    out.append(_links(data, p, up))
    # issue 16: links, citations, the map slice (nearest papers included), discussion
    out.append(record_block(data, p, up, [k for k, _a, _t in rel]))
    out.append(_note(data, p, up))
    out.append(_reading_frame(data, p, up))
    out.append(_related(data, p, rel, up))
    out.append("## BibTeX { data-search-exclude }\n\n")
    out.append(code_block(bibtex_for(p), "bibtex"))
    return "".join(out)


def _summary(data: SiteData, p: Paper, up: str) -> str:
    key = p.key or ""
    info = data.notes[key]
    out = [f"# {oneline(p.title)}\n\n"]
    meta = [x for x in (
        str(p.year) if p.year else None, p.venue,
        p.journal_ref if p.journal_ref != p.venue else None) if x]
    out.append(_authors(data, p, up))
    info_line = " · ".join(oneline(m) for m in meta)
    out.append(f'<p class="mtlkb-meta">{info_line}'
               f'{" · " if info_line else ""}<code>{text(key)}</code> {note_badge(info)}</p>\n\n')
    out.append(_versions(data, key))
    out.append("## Abstract\n\n")
    out.append(f'<p dir="auto">{oneline(p.abstract) or "<em>No abstract.</em>"}</p>\n\n')
    if p.comment:
        out.append(f'<p class="mtlkb-meta"><small>Comment: {oneline(p.comment)}</small></p>\n\n')
    out.append(summary_block(data, p))
    return "".join(out)


AUTHORS_SHOWN = 10   # a longer author list shows these, the rest one click away
AUTHORS_FOLD = 15    # ... when it has more than this many


def _authors(data: SiteData, p: Paper, up: str) -> str:
    """The author links; past AUTHORS_FOLD names, the first AUTHORS_SHOWN and the rest folded
    (41 names took two phone screens before the abstract)."""
    names = [n for n in (display_name(a) for a in p.authors) if n]
    if not names:
        return '<p class="mtlkb-meta mtlkb-authors">Unknown authors</p>\n\n'
    links = [link(author_href(data, n, up), n) for n in names]
    if len(links) <= AUTHORS_FOLD:
        return f'<p class="mtlkb-meta mtlkb-authors" dir="auto">{", ".join(links)}</p>\n\n'
    return (f'<div class="mtlkb-meta mtlkb-authors" dir="auto">'
            f'{", ".join(links[:AUTHORS_SHOWN])}, <details class="mtlkb-more"><summary>and '
            f"{len(links) - AUTHORS_SHOWN} more</summary>{', '.join(links[AUTHORS_SHOWN:])}"
            "</details></div>\n\n")


def _versions(data: SiteData, key: str) -> str:
    """The records merged into this paper, each as it came: a preprint and its published
    version (issue 15), with the key each still resolves under."""
    versions = data.versions_of(key)
    if len(versions) < 2:
        return ""
    items = []
    for v in versions:
        r = v.record
        bits = [b for b in (str(r.year) if r.year else None, r.venue) if b]
        ids = []
        if r.arxiv_id:
            ids.append(link(f"https://arxiv.org/abs/{r.arxiv_id}", f"arXiv:{r.arxiv_id}"))
        if r.doi:
            ids.append(link(f"https://doi.org/{r.doi}", f"DOI:{r.doi}"))
        items.append(f"<li>{text(v.kind)}: {text(', '.join(bits))} {' '.join(ids)} "
                     f"<code>{text(v.key)}</code></li>")
    return ('<div class="mtlkb-versions" data-search-exclude><p><b>Versions</b></p>\n<ul>\n'
            + "\n".join(items) + "\n</ul></div>\n\n")


def _reproductions(data: SiteData, p: Paper, artifacts: Artifacts, up: str) -> str:
    items = data.repros.get(p.key or "") or []
    if not items:
        return ""
    out = ["## Reproductions { data-search-exclude }\n\n"]
    for item in items:
        rid = item.id
        out.append(f'<h3>{link(f"{up}reproductions/{rid}.html", item.title or rid)}'
                   "</h3>\n\n")
        out.append(f"<p><b>Claim:</b> {oneline(item.claim)}</p>\n\n")
        run = latest_full_run(data.kb, item.latest_run)
        if run:
            out.append('<div data-search-exclude>\n' + run_block(run, artifacts, up) + "</div>\n\n")
        else:
            out.append(f'<p data-search-exclude><em>No run yet</em>: '
                       f"<code>mtlkb repro run {text(rid)}</code></p>\n\n")
    return "".join(out)


def _links(data: SiteData, p: Paper, up: str) -> str:
    """Links out (arXiv, DOI, PDF) and topics: where a paper's record (links, comments,
    citations) goes too."""
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
    out = []
    if links:
        out.append(f'<p class="mtlkb-links" data-search-exclude>{" ".join(links)}</p>\n\n')
    if p.topics:
        out.append(f'<p class="mtlkb-meta" data-search-exclude>Topics: '
                   f'{topic_links(data, p.topics, up)}</p>\n\n')
    return "".join(out)


def _note(data: SiteData, p: Paper, up: str) -> str:
    key = p.key or ""
    info = data.notes[key]
    out = ["## Reading note\n\n"]
    if info.exists and info.body.strip():
        meta_bits = []
        if info.read_on:
            meta_bits.append(f"read on {info.read_on}")
        if info.minutes:
            meta_bits.append(f"{info.minutes} min")
        if meta_bits:
            out.append(f'<p class="mtlkb-meta" data-search-exclude>'
                       f'{text(" · ".join(meta_bits))}</p>\n\n')
        out.append(cached_note_markdown(info, data.by_key, up, data.note_cache) + "\n\n")
    else:
        out.append(f'<p data-search-exclude><em>No note yet</em>: '
                   f"<code>mtlkb note {text(key)}</code> creates one.</p>\n\n")
    return "".join(out)


def _reading_frame(data: SiteData, p: Paper, up: str) -> str:
    """The seed's "reading frame": votes, save state, collections, reviews."""
    key = p.key or ""
    info = data.notes[key]
    social = data.social.get(key) or {}
    out = ["## Reading frame { data-search-exclude }\n\n"]
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
        out.append('<p data-search-exclude>In collections: ' + ", ".join(
            link(f"{up}collections/{slug(n)}.html", str(n)) for n in col_names) + "</p>\n\n")
    if reviews:
        items = []
        for r in reviews:
            bits = [f"<b>{label}:</b> {oneline(r.get(f))}" for f, label in (
                ("strength", "Strength"), ("concern", "Concern"), ("question", "Question"))
                if r.get(f)]
            when = f" <small>{text(r.get('created_at') or '')}</small>"
            items.append('<li dir="auto">' + "<br>".join(bits) + when + "</li>")
        out.append("### Structured reviews\n\n<ul>\n" + "\n".join(items) + "\n</ul>\n\n")
    return "".join(out)


def _related(data: SiteData, p: Paper, rel: list[tuple[str, int, int]], up: str) -> str:
    """Nearest papers (shared authors and topics; drawn on the map slice too) and future
    reading both ways."""
    key = p.key or ""
    fut_out = data.future_out.get(key) or []
    fut_in = data.future_in.get(key) or []
    if not (rel or fut_out or fut_in):
        return ""
    out = ["## Related papers { data-search-exclude }\n\n"]
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
    return "".join(out)
