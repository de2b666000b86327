"""The research map: static SVGs of topics, papers and prolific authors, made at build time.

Layout (deterministic): each topic is a hub; its papers sit around it on a sunflower spiral
(the paper's most specific topic decides its hub); hub clusters are shelf-packed in rows,
biggest first. Every paper is drawn (no cap): the SVG scales to its container and
``assets/mtlkb.js`` adds zoom, pan and a node search; paper labels show once zoomed in.
The whole map draws only subtopic-to-parent lines (a line per paper and author made a
hairball at thousands of papers); the slices draw the rest: :func:`build_map` with ``keys``
(a topic's papers, on its topic page: lines to their other topics and their authors) and
:func:`ego_map` (one paper, its topics, authors and nearest papers, on its page). Every
node is an SVG ``<a>`` to its page.
"""

from __future__ import annotations

import math

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


def _select(data: SiteData, max_papers: int | None) -> list[str]:
    keys = [p.key for p in data.papers if p.key]
    if max_papers is None or len(keys) <= max_papers:
        return sorted(keys)
    score = {}
    for p in data.papers:
        links = sum(len(data.author_papers.get(display_name(a), ())) - 1 for a in p.authors)
        score[p.key] = (data.notes[p.key].exists, len(p.topics), links, p.year or 0)
    return sorted(sorted(keys, key=lambda k: score[k], reverse=True)[:max_papers])


def build_map(data: SiteData, *, max_papers: int | None = None, max_authors: int = 40,
              min_author_papers: int = 2, keys: list[str] | None = None,
              up: str = "") -> tuple[str, int]:
    """(SVG text, number of papers shown): every paper, or a slice of ``keys`` (then with
    lines from each paper to its other topics and to its prolific authors)."""
    whole = keys is None
    keys = _select(data, max_papers) if keys is None else sorted(keys)
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
    if not keys:
        height = max(height, 60.0)

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

    institutions = _institutions(data, shown)
    inst_pos: dict[str, tuple[float, float]] = {}
    for i, (n, ks) in enumerate(institutions):
        cx = sum(pos[k][0] for k in ks) / len(ks)
        cy = sum(pos[k][1] for k in ks) / len(ks)
        ang = i * GOLDEN + math.pi
        inst_pos[n] = (cx + 12 * math.cos(ang), cy + 12 * math.sin(ang))

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mtlkb-map-svg" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="Research map" '
        f'font-family="sans-serif" data-width="{width:.0f}" data-height="{height:.0f}">',
        "<style>.e{stroke:#90a4ae;stroke-width:.6;opacity:.45}.ea{stroke:#ab47bc;"
        "stroke-width:.6;opacity:.35}.et{stroke:#37474f;stroke-width:1.4;opacity:.5;"
        "stroke-dasharray:4 3}.p{fill:#42a5f5;stroke:#fff;stroke-width:.8}.pn{fill:#1565c0}"
        ".t{fill:#ff7043;stroke:#fff}.a{fill:#ab47bc;stroke:#fff}a:hover>*{opacity:.7}"
        ".lt{font-size:12px;font-weight:700;fill:#263238;paint-order:stroke;stroke:#fff;"
        "stroke-width:3px}.la{font-size:9px;fill:#6a1b9a;paint-order:stroke;stroke:#fff;"
        "stroke-width:2.5px}.ei{stroke:#26a69a;stroke-width:.6;opacity:.35}.i{fill:#26a69a;"
        "stroke:#fff}.li{font-size:9px;fill:#00695c;paint-order:stroke;stroke:#fff;"
        "stroke-width:2.5px}.lp{font-size:4px;fill:#263238;display:none;pointer-events:none}"
        ".mtlkb-near .lp{display:inline}.hit{fill:#ffeb3b;stroke:#e65100;stroke-width:2}"
        "</style>",
        '<g class="edges">',
    ]
    for t, (hx, hy) in hub_pos.items():
        parent = (data.taxonomy.get(t) or {}).get("parent")
        if parent in hub_pos and parent != t:
            px, py = hub_pos[parent]
            out.append(f'<line class="et" x1="{hx:.1f}" y1="{hy:.1f}" x2="{px:.1f}" '
                       f'y2="{py:.1f}"/>')
    for k in keys if not whole else ():
        px, py = pos[k]
        hub = _hub_of(data, data.by_key[k].topics)
        for t in data.by_key[k].topics:
            if t != hub and t in hub_pos:
                hx, hy = hub_pos[t]
                out.append(f'<line class="e" x1="{px:.1f}" y1="{py:.1f}" x2="{hx:.1f}" '
                           f'y2="{hy:.1f}"/>')
    for n, ks in authors if not whole else ():
        ax, ay = author_pos[n]
        for k in ks:
            px, py = pos[k]
            out.append(f'<line class="ea" x1="{ax:.1f}" y1="{ay:.1f}" x2="{px:.1f}" '
                       f'y2="{py:.1f}"/>')
    for n, ks in institutions:
        ix, iy = inst_pos[n]
        for k in ks:
            px, py = pos[k]
            out.append(f'<line class="ei" x1="{ix:.1f}" y1="{iy:.1f}" x2="{px:.1f}" '
                       f'y2="{py:.1f}"/>')
    out.append("</g>")

    out.append('<g class="papers">')
    for k in keys:
        p = data.by_key[k]
        px, py = pos[k]
        cls = "p pn" if data.notes[k].exists else "p"
        tip = f"{p.title} ({p.year})" if p.year else p.title
        short = p.title if len(p.title) <= 48 else p.title[:46] + "…"
        out.append(f'<a href="{up}papers/{attr(k)}.html" data-name="{attr(k)} {attr(tip)}">'
                   f'<circle class="{cls}" cx="{px:.1f}" cy="{py:.1f}" r="5"><title>{text(tip)}'
                   f'</title></circle><text class="lp" x="{px + 6:.1f}" y="{py + 1.5:.1f}">'
                   f"{text(short)}</text></a>")
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
        href = f"{up}topics/{data.topic_slug[t]}.html"
        out.append(
            f'<a href="{attr(href)}" data-name="{attr(t)} {attr(title)}">'
            f'<rect class="t" x="{hx - s:.1f}" y="{hy - s:.1f}" '
            f'width="{2 * s:.1f}" height="{2 * s:.1f}" rx="3"><title>{text(t)}: {n} papers'
            f'</title></rect><text class="lt" x="{hx:.1f}" y="{ly:.1f}" '
            f'text-anchor="middle">{text(title)}</text></a>')
    out.append("</g>")

    out.append('<g class="authors">')
    for n, ks in authors:
        ax, ay = author_pos[n]
        href = f"{up}authors/{data.author_group[n]}.html#{data.author_slug[n]}"
        pts = (f"{ax:.1f},{ay - 6:.1f} {ax + 6:.1f},{ay:.1f} {ax:.1f},{ay + 6:.1f} "
               f"{ax - 6:.1f},{ay:.1f}")
        out.append(f'<a href="{attr(href)}" data-name="{attr(n)}"><polygon class="a" '
                   f'points="{pts}"><title>'
                   f"{text(n)}: {len(ks)} papers</title></polygon><text class=\"la\" "
                   f'x="{ax + 8:.1f}" y="{ay + 3:.1f}">{text(n)}</text></a>')
    out.append("</g>")

    from kb.site.paper_record import institution_href, record_data

    rec = record_data(data)
    out.append('<g class="institutions">')
    for n, ks in institutions:
        ix, iy = inst_pos[n]
        out.append(f'<a href="{attr(institution_href(rec, n, up))}"><rect class="i" '
                   f'x="{ix - 5:.1f}" y="{iy - 5:.1f}" width="10" height="10"><title>'
                   f"{text(n)}: {len(ks)} papers</title></rect><text class=\"li\" "
                   f'x="{ix + 8:.1f}" y="{iy + 3:.1f}">{text(n)}</text></a>')
    out.append("</g></svg>")
    return "\n".join(out), len(keys)


def _institutions(data: SiteData, shown: set[str], most: int = 30
                  ) -> list[tuple[str, list[str]]]:
    """The institutions with the most shown papers (issue 16), biggest first."""
    from kb.site.paper_record import record_data

    items = ((n, [k for k in e["papers"] if k in shown])
             for n, e in record_data(data).institution_papers.items())
    return sorted(((n, ks) for n, ks in items if ks),
                  key=lambda item: (-len(item[1]), item[0]))[:most]


def ego_map(data: SiteData, key: str, related_keys: list[str], up: str = "../") -> str:
    """One paper's slice: it in the middle, its topics and authors around it, and its
    nearest papers (``related_keys``) outside, each joined to what it shares with it."""
    p = data.by_key[key]
    topics = [t for t in p.topics if t in data.topic_slug][:6]
    names = [display_name(a) for a in p.authors if display_name(a) in data.author_slug][:6]
    inner = [("t", t) for t in topics] + [("a", n) for n in names]
    size, cx, cy, height = 520.0, 260.0, 200.0, 400.0
    pos: dict[tuple[str, str], tuple[float, float]] = {}
    for i, node in enumerate(inner):
        a = 2 * math.pi * i / max(1, len(inner)) - math.pi / 2
        pos[node] = (cx + 95 * math.cos(a), cy + 80 * math.sin(a))
    outer = related_keys[:12]
    for i, k in enumerate(outer):
        a = 2 * math.pi * (i + 0.5) / max(1, len(outer)) - math.pi / 2
        pos[("p", k)] = (cx + 200 * math.cos(a), cy + 165 * math.sin(a))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mtlkb-map-svg mtlkb-ego" '
        f'viewBox="0 0 {size:.0f} {height:.0f}" role="img" aria-label="This paper on the map" '
        'font-family="sans-serif">',
        "<style>.e{stroke:#90a4ae;stroke-width:1;opacity:.6}.p{fill:#42a5f5;stroke:#fff}"
        ".c{fill:#1565c0;stroke:#fff;stroke-width:2}.t{fill:#ff7043;stroke:#fff}"
        ".a{fill:#ab47bc;stroke:#fff}.l{font-size:10px;fill:#263238;paint-order:stroke;"
        "stroke:#fff;stroke-width:3px}a:hover>*{opacity:.7}</style>",
    ]
    for node in inner:
        x, y = pos[node]
        out.append(f'<line class="e" x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}"/>')
    for k in outer:
        q = data.by_key[k]
        x, y = pos[("p", k)]
        shared = [("t", t) for t in q.topics if ("t", t) in pos]
        shared += [("a", display_name(a)) for a in q.authors if ("a", display_name(a)) in pos]
        for node in shared:
            sx, sy = pos[node]
            out.append(f'<line class="e" x1="{x:.1f}" y1="{y:.1f}" x2="{sx:.1f}" y2="{sy:.1f}"/>')
    for kind, name in inner:
        x, y = pos[(kind, name)]
        if kind == "t":
            href = f"{up}topics/{data.topic_slug[name]}.html"
            shape = (f'<rect class="t" x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" '
                     'height="14" rx="3"/>')
            label = _label(data, name)
        else:
            href = f"{up}authors/{data.author_group[name]}.html#{data.author_slug[name]}"
            shape = (f'<polygon class="a" points="{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} '
                     f'{x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"/>')
            label = name
        out.append(f'<a href="{attr(href)}">{shape}<text class="l" x="{x:.1f}" '
                   f'y="{y - 10:.1f}" text-anchor="middle">{text(label[:32])}</text></a>')
    for k in outer:
        q = data.by_key[k]
        x, y = pos[("p", k)]
        short = q.title if len(q.title) <= 30 else q.title[:28] + "…"
        anchor = "start" if x >= cx else "end"
        dx = 8 if x >= cx else -8
        out.append(f'<a href="{up}papers/{attr(k)}.html"><circle class="p" cx="{x:.1f}" '
                   f'cy="{y:.1f}" r="6"><title>{text(q.title)}</title></circle>'
                   f'<text class="l" x="{x + dx:.1f}" y="{y + 3:.1f}" text-anchor="{anchor}">'
                   f"{text(short)}</text></a>")
    out.append(f'<circle class="c" cx="{cx:.1f}" cy="{cy:.1f}" r="9"><title>{text(p.title)}'
               "</title></circle></svg>")
    return "\n".join(out)
