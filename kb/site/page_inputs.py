"""What each cached page reads, as plain values to digest (:mod:`kb.site.page_cache`).

A page may be kept from the last build only when every value its generator reads is in its
inputs here: its own records, and of every other paper it names (listed, linked, drawn on a
map) what such a mention shows (:func:`shown`). Over-inclusion only costs a regeneration;
a value left out would leave a stale page, so ``tests/test_site_page_cache.py`` checks
every kind of change against a clean generation, byte for byte.
"""

from __future__ import annotations

from typing import Any

from kb.models import Paper
from kb.site.data import SiteData
from kb.site.names import display_name
from kb.site.note_html import wiki_refs
from kb.site.page_cache import digest
from kb.site.paper_record import record_data


def shown(data: SiteData) -> dict[str, str]:
    """Paper key -> a digest of what other pages show of it: title, year, authors, topics,
    note state, institutions (computed once per build)."""
    if "shown" in data._cache:
        return data._cache["shown"]
    insts = record_data(data).institutions
    out = {}
    for p in data.papers:
        key = p.key or ""
        info = data.notes.get(key)
        out[key] = digest((p.title, p.year, [display_name(a) for a in p.authors], p.topics,
                           info.exists if info else False,
                           [i.name for i in insts.get(key, ())]))
    data._cache["shown"] = out
    return out


def paper_inputs(data: SiteData, p: Paper, related: list[tuple[str, int, int]]) -> Any:
    """Everything :func:`kb.site.paper_page.paper_page` reads for ``p`` (which has no linked
    reproduction: such pages read runs and artifacts and are always generated)."""
    rec = record_data(data)
    key = p.key or ""
    info = data.notes[key]
    names = [display_name(a) for a in p.authors]
    insts = rec.institutions.get(key, [])
    near = {k for k, _a, _t in related}
    near.update(rec.references.get(key, ()), rec.cited_by.get(key, ()),
                data.future_out.get(key, ()), data.future_in.get(key, ()),
                wiki_refs(info.body) if info.exists else ())
    seen = shown(data)
    return (
        p.model_dump_json(),
        (info.exists, info.body, info.answered, info.questions, info.minutes, info.read_on),
        data.versions_of(key), data.social.get(key), len(data.repros.get(key, ())),
        [(n, data.author_group.get(n), data.author_slug.get(n)) for n in names],
        [(t, data.topic_slug.get(t), (data.taxonomy.get(t) or {}).get("title"))
         for t in p.topics],
        rec.summaries.get(key), rec.links.get(key), rec.comments.get(key),
        rec.references.get(key), rec.cited_by.get(key), rec.enrichment.get(key),
        insts, [rec.institution_slug.get(i.name) for i in insts],
        related, data.future_out.get(key), data.future_in.get(key),
        sorted((k, seen.get(k)) for k in near),
    )


def _author_refs(data: SiteData, keys: list[str]) -> list[tuple[str, Any, Any]]:
    """(name, letter page, anchor) of every author of ``keys``: the links a page draws."""
    names = sorted({display_name(a) for k in keys for a in data.by_key[k].authors})
    return [(n, data.author_group.get(n), data.author_slug.get(n)) for n in names]


def _topic_tables(data: SiteData) -> tuple:
    """The taxonomy, topic anchors and sizes: small, read by every topic and map page."""
    return (sorted((t, sorted(spec.items())) for t, spec in data.taxonomy.items()),
            sorted(data.topic_slug.items()),
            sorted((t, len(ks)) for t, ks in data.topic_papers.items()))


def topic_inputs(data: SiteData, t: str) -> Any:
    """Everything :func:`kb.site.pages.topic_page` reads for topic ``t``: its papers (in
    the build's order: the map's author and institution positions sum over it), what is
    shown of each, their authors' and institutions' anchors, the topic tables."""
    if "topic_tables" not in data._cache:
        data._cache["topic_tables"] = _topic_tables(data)
    rec = record_data(data)
    keys = data.topic_papers.get(t, [])
    seen = shown(data)
    insts = sorted({i.name for k in keys for i in rec.institutions.get(k, ())})
    return (t, data._cache["topic_tables"], [(k, seen[k]) for k in keys],
            _author_refs(data, keys), [(n, rec.institution_slug.get(n)) for n in insts])


def author_group_inputs(data: SiteData, group: str, names: list[str]) -> Any:
    """Everything :func:`kb.site.pages.author_group_page` reads: each author's anchor and
    papers (what is shown of each), the co-authors' anchors, the topic anchors."""
    seen = shown(data)
    keys = sorted({k for n in names for k in data.author_papers.get(n, [])})
    return (group, sorted(data.topic_slug.items()),
            [(n, data.author_slug.get(n), [(k, seen[k]) for k in data.author_papers.get(n, [])])
             for n in names],
            _author_refs(data, keys))


def map_inputs(data: SiteData) -> Any:
    """Everything the whole research map (``map.md``) reads: every paper in the build's order
    (author and institution positions sum over it) with what is shown of it, the authors'
    and institutions' anchors, the topic tables."""
    if "topic_tables" not in data._cache:
        data._cache["topic_tables"] = _topic_tables(data)
    seen = shown(data)
    return ("map", data._cache["topic_tables"], [(p.key, seen[p.key or ""]) for p in data.papers],
            sorted((n, data.author_group.get(n), data.author_slug.get(n))
                   for n in data.author_papers),
            sorted(record_data(data).institution_slug.items()))
