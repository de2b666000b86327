"""The research map: a static SVG of topics, papers and prolific authors, made at build time.

Layout (deterministic, no JS): each topic is a hub; its papers sit around it on a sunflower
spiral (the paper's most specific topic decides its hub); hub clusters are shelf-packed in
rows, biggest first. Lines join a paper to its other topics, a subtopic to its parent, and a
prolific author (placed at the centroid of their papers) to their papers. Every node is an
SVG ``<a>`` to its page.
"""

from __future__ import annotations

import math
from typing import Any

from kb.site.data import SiteData
from kb.site.escape import attr, text
from kb.site.names import display_name

WIDTH = 1600
SPACING = 16.0       # paper spacing on the spiral
MARGIN = 46.0
GOLDEN = math.pi * (3 - math.sqrt(5))
NO_TOPIC = "(no topic)"


def _hub_of(data: SiteData, topics: list[str]) -> str:
    if not topics:
        return NO_TOPIC
    return min(topics, key=lambda t: (-t.count("/"), len(data.topic_papers.get(t, ())), t))


def _label(data: SiteData, t: str) -> str:
    return str((data.taxonomy.get(t) or {}).get("title") or t)


def _select(data: SiteData, max_papers: int) -> list[str]:
    keys = [p.key for p in data.papers if p.key]
    if len(keys) <= max_papers:
        return sorted(keys)
    score = {}
    for p in data.papers:
        links = sum(len(data.author_papers.get(display_name(a), ())) - 1 for a in p.authors)
        score[p.key] = (data.notes[p.key].exists, len(p.topics), links, p.year or 0)
    return sorted(sorted(keys, key=lambda k: score[k], reverse=True)[:max_papers])


def build_map(data: SiteData, *, max_papers: int = 600, max_authors: int = 40,
              min_author_papers: int = 2) -> tuple[str, int]:
    """(SVG text, number of papers shown)."""
    keys = _select(data, max_papers)
    clusters: dict[str, list[str]] = {}
    for k in keys:
        clusters.setdefault(_hub_of(data, data.by_key[k].topics), []).append(k)
    for t in list(clusters):  # the parents of shown topics show as hubs too
        parent = (data.taxonomy.get(t) or {}).get("parent")
        while parent and parent in data.topic_slug and parent not in clusters:
            clusters[parent] = []
            parent = (data.taxonomy.get(parent) or {}).get("parent")
    order = sorted(clusters, key=lambda t: (-len(clusters[t]), t))

    # Shelf packing of clusters.
    pos: dict[str, tuple[float, float]] = {}
    hub_pos: dict[str, tuple[float, float]] = {}
    radius = {t: SPACING * math.sqrt(len(clusters[t]) + 1) + 14 for t in order}
    x, y, row_h, right = MARGIN / 2, MARGIN / 2, 0.0, 200.0
    for t in order:
        label_w = 7.2 * len(_label(data, t)) + 12  # room for the hub's label
        d = max(2 * radius[t] + MARGIN, label_w)
        if x + d > WIDTH and x > MARGIN:
            x, y, row_h = MARGIN / 2, y + row_h, 0.0
        cx, cy = x + d / 2, y + d / 2
        hub_pos[t] = (cx, cy)
        for i, k in enumerate(sorted(clusters[t])):
            r = SPACING * math.sqrt(i + 1.5)
            a = (i + 1) * GOLDEN
            pos[k] = (cx + r * math.cos(a), cy + r * math.sin(a))
        x += d
        row_h = max(row_h, d)
        right = max(right, x)
    height = y + row_h + MARGIN / 2
    width = min(WIDTH, right + MARGIN / 2)

    # Prolific authors at the centroid of their (shown) papers.
    shown = set(keys)
    authors = sorted(
        ((n, [k for k in ks if k in shown]) for n, ks in data.author_papers.items()),
        key=lambda item: (-len(item[1]), item[0]))
    authors = [(n, ks) for n, ks in authors if len(ks) >= min_author_papers][:max_authors]
    author_pos: dict[str, tuple[float, float]] = {}
    for i, (n, ks) in enumerate(authors):
        cx = sum(pos[k][0] for k in ks) / len(ks)
        cy = sum(pos[k][1] for k in ks) / len(ks)
        ang = i * GOLDEN
        author_pos[n] = (cx + 9 * math.cos(ang), cy + 9 * math.sin(ang))

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="Research map" '
        'font-family="sans-serif" style="max-width:none">',
        "<style>.e{stroke:#90a4ae;stroke-width:.6;opacity:.45}.ea{stroke:#ab47bc;"
        "stroke-width:.6;opacity:.35}.et{stroke:#37474f;stroke-width:1.4;opacity:.5;"
        "stroke-dasharray:4 3}.p{fill:#42a5f5;stroke:#fff;stroke-width:.8}.pn{fill:#1565c0}"
        ".t{fill:#ff7043;stroke:#fff}.a{fill:#ab47bc;stroke:#fff}a:hover>*{opacity:.7}"
        ".lt{font-size:12px;font-weight:700;fill:#263238;paint-order:stroke;stroke:#fff;"
        "stroke-width:3px}.la{font-size:9px;fill:#6a1b9a;paint-order:stroke;stroke:#fff;"
        "stroke-width:2.5px}</style>",
        '<g class="edges">',
    ]
    for t, (hx, hy) in hub_pos.items():
        parent = (data.taxonomy.get(t) or {}).get("parent")
        if parent in hub_pos and parent != t:
            px, py = hub_pos[parent]
            out.append(f'<line class="et" x1="{hx:.1f}" y1="{hy:.1f}" x2="{px:.1f}" '
                       f'y2="{py:.1f}"/>')
    for k in keys:
        px, py = pos[k]
        hub = _hub_of(data, data.by_key[k].topics)
        for t in data.by_key[k].topics:
            if t != hub and t in hub_pos:
                hx, hy = hub_pos[t]
                out.append(f'<line class="e" x1="{px:.1f}" y1="{py:.1f}" x2="{hx:.1f}" '
                           f'y2="{hy:.1f}"/>')
    for n, ks in authors:
        ax, ay = author_pos[n]
        for k in ks:
            px, py = pos[k]
            out.append(f'<line class="ea" x1="{ax:.1f}" y1="{ay:.1f}" x2="{px:.1f}" '
                       f'y2="{py:.1f}"/>')
    out.append("</g>")

    out.append('<g class="papers">')
    for k in keys:
        p = data.by_key[k]
        px, py = pos[k]
        cls = "p pn" if data.notes[k].exists else "p"
        tip = f"{p.title} ({p.year})" if p.year else p.title
        out.append(f'<a href="papers/{attr(k)}.html"><circle class="{cls}" cx="{px:.1f}" '
                   f'cy="{py:.1f}" r="5"><title>{text(tip)}</title></circle></a>')
    out.append("</g>")

    out.append('<g class="topics">')
    for t, (hx, hy) in hub_pos.items():
        n = len(data.topic_papers.get(t, ()))
        title = _label(data, t)
        s = 9 + min(8, math.sqrt(n))
        ly = hy - radius[t] - 2
        if t == NO_TOPIC:
            body = f'<rect class="t" x="{hx - s:.1f}" y="{hy - s:.1f}" width="{2 * s:.1f}" ' \
                   f'height="{2 * s:.1f}" opacity=".4"/>'
            out.append(f"<g>{body}<text class=\"lt\" x=\"{hx:.1f}\" y=\"{ly:.1f}\" "
                       f'text-anchor="middle">{text(t)}</text></g>')
            continue
        href = f"topics/{data.topic_slug[t]}.html"
        out.append(
            f'<a href="{attr(href)}"><rect class="t" x="{hx - s:.1f}" y="{hy - s:.1f}" '
            f'width="{2 * s:.1f}" height="{2 * s:.1f}" rx="3"><title>{text(t)}: {n} papers'
            f'</title></rect><text class="lt" x="{hx:.1f}" y="{ly:.1f}" '
            f'text-anchor="middle">{text(title)}</text></a>')
    out.append("</g>")

    out.append('<g class="authors">')
    for n, ks in authors:
        ax, ay = author_pos[n]
        href = f"authors/{data.author_group[n]}.html#{data.author_slug[n]}"
        pts = (f"{ax:.1f},{ay - 6:.1f} {ax + 6:.1f},{ay:.1f} {ax:.1f},{ay + 6:.1f} "
               f"{ax - 6:.1f},{ay:.1f}")
        out.append(f'<a href="{attr(href)}"><polygon class="a" points="{pts}"><title>'
                   f"{text(n)}: {len(ks)} papers</title></polygon><text class=\"la\" "
                   f'x="{ax + 8:.1f}" y="{ay + 3:.1f}">{text(n)}</text></a>')
    out.append("</g></svg>")
    return "\n".join(out), len(keys)


def map_summary(data: SiteData) -> dict[str, Any]:
    return {"papers": len(data.papers), "topics": len(data.topic_slug),
            "authors": len(data.author_papers)}
