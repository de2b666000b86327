"""The research map: static SVGs of topics, papers and prolific authors, made at build time.

Layout (deterministic): each topic is a hub; its papers sit around it on a sunflower spiral
(the paper's most specific topic decides its hub); hub clusters are shelf-packed in rows,
biggest first. Every paper is drawn (no cap): the SVG scales to its container and
``assets/mtlkb.js`` adds zoom, pan and a node search; paper labels show once zoomed in.
The whole map draws only subtopic-to-parent lines (a line per paper and author made a
hairball at thousands of papers); the slices draw the rest: :func:`build_map` with ``keys``
(a topic's papers, on its topic page: lines to their other topics and their authors) and
:func:`paper_slice` (one paper on its page: its topics, authors and institutions on the
left, the papers it cites, that cite it and its nearest papers on the right). Every node is
an SVG ``<a>`` to its page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def topic_label(data: SiteData, t: str) -> str:
    """A topic's title from the taxonomy, else its id."""
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
        label_w = 7.2 * len(topic_label(data, t)) + 12  # room for the hub's label
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
        title = topic_label(data, t)
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


# -- one paper's slice -----------------------------------------------------------------------
SLICE_WIDTH = 720.0
SLICE_ROW = 21.0       # one node and its label per row: labels never overlap
SLICE_GAP = 12.0       # between two groups of a column
SLICE_TOP = 30.0       # room for the column heads
SLICE_LABEL = 38       # characters of a label (the tooltip has it all)
SLICE_KINDS = {        # kind -> (column, group head, shape class)
    "topic": ("left", "Topics", "t"), "author": ("left", "Authors", "a"),
    "institution": ("left", "Institutions", "i"), "cited": ("right", "It cites", "pc"),
    "citing": ("right", "Cited by", "pb"), "related": ("right", "Nearest papers", "pr"),
}


@dataclass(frozen=True)
class SliceNode:
    """One neighbour of a paper on its slice of the map."""

    kind: str                          # a key of SLICE_KINDS
    name: str                          # topic id, author or institution name, paper key
    label: str                         # what is written beside it
    href: str
    shares: tuple[str, ...] = ()       # a paper's: ids (kind:name) of left nodes it shares

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


def _short(s: str, n: int = SLICE_LABEL) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _column(nodes: list[SliceNode]) -> tuple[dict[str, float], list[tuple[str, float]], float]:
    """Rows of one column, grouped by kind: (node id -> y, group heads with their y, bottom)."""
    ys: dict[str, float] = {}
    heads: list[tuple[str, float]] = []
    y = SLICE_TOP
    last = None
    for n in nodes:
        if n.kind != last:
            if last is not None:
                y += SLICE_GAP
            heads.append((SLICE_KINDS[n.kind][1], y))
            y += SLICE_ROW * .8
            last = n.kind
        ys[n.id] = y
        y += SLICE_ROW
    return ys, heads, y


def paper_slice(title: str, nodes: list[SliceNode]) -> str:
    """The SVG of one paper's neighbourhood: the paper in the middle; its topics, authors and
    institutions in a column on the left; the papers it cites, citing it and nearest to it
    in a column on the right (arrows point from the citing paper to the cited one). Each
    node is a link; a nearest paper is also joined to the topics and authors it shares."""
    left = [n for n in nodes if SLICE_KINDS[n.kind][0] == "left"]
    right = [n for n in nodes if SLICE_KINDS[n.kind][0] == "right"]
    lx, rx, cx = 250.0, SLICE_WIDTH - 250.0, SLICE_WIDTH / 2
    left_y, left_heads, left_end = _column(left)
    right_y, right_heads, right_end = _column(right)
    height = max(left_end, right_end, 120.0) + 8
    cy = max(60.0, (min([*left_y.values(), *right_y.values()] or [height / 2])
                    + max([*left_y.values(), *right_y.values()] or [height / 2])) / 2)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mtlkb-slice" '
        f'viewBox="0 0 {SLICE_WIDTH:.0f} {height:.0f}" role="img" '
        f'aria-label="Research map slice" font-family="sans-serif">',
        "<defs><marker id=\"mtlkb-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
        "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5"
        "L0,10z\" fill=\"#1565c0\"/></marker></defs>",
        "<style>.e{stroke:#90a4ae;stroke-width:1;opacity:.7}.ec{stroke:#1565c0;stroke-width:1.2;"
        "opacity:.7}.es{stroke:#90a4ae;stroke-width:.7;opacity:.5;stroke-dasharray:3 3}"
        ".c{fill:#263238;stroke:#fff;stroke-width:2}.t{fill:#ff7043;stroke:#fff}"
        ".a{fill:#ab47bc;stroke:#fff}.i{fill:#26a69a;stroke:#fff}.pc{fill:#42a5f5;stroke:#fff}"
        ".pb{fill:#1565c0;stroke:#fff}.pr{fill:#fff;stroke:#42a5f5;stroke-width:2}"
        ".l{font-size:11px;fill:#263238;paint-order:stroke;stroke:#fff;stroke-width:3px}"
        ".h{font-size:10px;font-weight:700;fill:#78909c;letter-spacing:.04em}"
        "a:hover>*{opacity:.7}</style>",
    ]
    for n in left:
        out.append(f'<line class="e" x1="{cx:.1f}" y1="{cy:.1f}" x2="{lx:.1f}" '
                   f'y2="{left_y[n.id]:.1f}"/>')
    for n in right:
        y = right_y[n.id]
        if n.kind == "cited":
            out.append(f'<line class="ec" x1="{cx + 10:.1f}" y1="{cy:.1f}" x2="{rx - 7:.1f}" '
                       f'y2="{y:.1f}" marker-end="url(#mtlkb-arrow)"/>')
        elif n.kind == "citing":
            out.append(f'<line class="ec" x1="{rx - 7:.1f}" y1="{y:.1f}" x2="{cx + 10:.1f}" '
                       f'y2="{cy:.1f}" marker-end="url(#mtlkb-arrow)"/>')
        else:
            out.append(f'<line class="e" x1="{cx:.1f}" y1="{cy:.1f}" x2="{rx:.1f}" '
                       f'y2="{y:.1f}"/>')
        for s in n.shares:
            if s in left_y:
                out.append(f'<line class="es" x1="{rx:.1f}" y1="{y:.1f}" x2="{lx:.1f}" '
                           f'y2="{left_y[s]:.1f}"/>')
    for head, y in left_heads:
        out.append(f'<text class="h" x="{lx - 10:.1f}" y="{y:.1f}" text-anchor="end">'
                   f"{text(head.upper())}</text>")
    for head, y in right_heads:
        out.append(f'<text class="h" x="{rx + 10:.1f}" y="{y:.1f}">{text(head.upper())}</text>')
    for n in left:
        y = left_y[n.id]
        out.append(f'<a href="{attr(n.href)}">{_slice_shape(n, lx, y)}<text class="l" '
                   f'x="{lx - 10:.1f}" y="{y + 4:.1f}" text-anchor="end">{text(_short(n.label))}'
                   "</text></a>")
    for n in right:
        y = right_y[n.id]
        out.append(f'<a href="{attr(n.href)}">{_slice_shape(n, rx, y)}<text class="l" '
                   f'x="{rx + 10:.1f}" y="{y + 4:.1f}">{text(_short(n.label))}</text></a>')
    out.append(f'<circle class="c" cx="{cx:.1f}" cy="{cy:.1f}" r="10"><title>{text(title)}'
               f'</title></circle><text class="l" x="{cx:.1f}" y="{cy + 24:.1f}" '
               f'text-anchor="middle">{text(_short(title, 24))}</text></svg>')
    return "\n".join(out)


def _slice_shape(n: SliceNode, x: float, y: float) -> str:
    cls = SLICE_KINDS[n.kind][2]
    tip = f"<title>{text(SLICE_KINDS[n.kind][1])}: {text(' '.join(n.label.split()))}</title>"
    if n.kind == "topic":
        return (f'<rect class="{cls}" x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                f'rx="3">{tip}</rect>')
    if n.kind == "author":
        return (f'<polygon class="{cls}" points="{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} '
                f'{x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}">{tip}</polygon>')
    if n.kind == "institution":
        return (f'<rect class="{cls}" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" '
                f'height="10">{tip}</rect>')
    return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="6">{tip}</circle>'
