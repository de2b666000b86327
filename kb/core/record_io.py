"""The paper record (issue 16) in the JSON export: comments, code and dataset links,
citations, institutions, summaries and cached enrichment, and reading it back.

Import is idempotent: a comment is its paper, author, text, time and parent (ids are
renumbered and replies follow their parent); links, citations and institutions are sets;
a summary or an enrichment replaces the stored one. Records naming papers the store does
not hold are skipped.
"""

from __future__ import annotations

from typing import Any

from kb.config import KB, KBError
from kb.core.comments import MAX_COMMENT
from kb.core.paper_links import clean_url
from kb.models.record import LINK_KINDS, Enrichment, PaperLink
from kb.store import citations as cite_store
from kb.store import comments as comment_store
from kb.store import enrichment as enrich_store
from kb.store import institutions as inst_store
from kb.store import paper_links as link_store
from kb.store.lookup import all_keys

VERSION = 1


def export_record(kb: KB) -> dict[str, Any]:
    """Everything of the paper record in the store, as JSON-able data."""
    conn = kb.conn
    return {
        "version": VERSION,
        "comments": [c.flat_dict() for c in comment_store.all_comments(conn)],
        "links": [x.model_dump(exclude={"reproduction"}) for x in link_store.all_links(conn)],
        "citations": [{"citing": a, "cited": b, "source": s}
                      for a, b, s in cite_store.all_citations(conn)],
        "institutions": [{"key": k, "name": n, "author": a, "source": s}
                         for k, n, a, s in inst_store.all_affiliations(conn)],
        "summaries": [{"key": k, "summary": s, "source": src}
                      for k, (s, src) in sorted(enrich_store.all_summaries(conn).items())],
        "enrichment": [{"key": e.key, **e.public_dict()}
                       for e in enrich_store.all_enrichments(conn)],
    }


def _items(data: dict, name: str) -> list[dict]:
    value = data.get(name) or []
    if not isinstance(value, list):
        raise KBError(f"record export: {name!r} is not a list")
    return [v for v in value if isinstance(v, dict)]


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def import_record(kb: KB, data: dict[str, Any], key_map: dict[str, str] | None = None
                  ) -> dict[str, int]:
    """Restore what :func:`export_record` wrote (keys renamed by ``key_map``); returns
    counts of what was added and skipped."""
    if not isinstance(data, dict):
        raise KBError("record export: expected a JSON object")
    rename = key_map or {}
    counts = dict.fromkeys(("comments", "links", "citations", "institutions", "summaries",
                            "enrichment", "skipped"), 0)

    def key_of(value: Any) -> str | None:
        key = rename.get(value, value) if isinstance(value, str) else None
        return key if key in keys else None

    with kb.write() as db:
        keys = all_keys(db)
        new_id: dict[Any, int] = {}
        for c in sorted(_items(data, "comments"), key=lambda c: (c.get("id") or 0)):
            key, body, author = key_of(c.get("key")), _text(c.get("body")), _text(
                c.get("author"))
            created = _text(c.get("created_at"))
            parent = c.get("parent_id")
            if key is None or not body or not author or not created or len(body) > MAX_COMMENT \
                    or (parent is not None and parent not in new_id):
                counts["skipped"] += 1
                continue
            parent_id = new_id[parent] if parent is not None else None
            found = comment_store.find_comment(db, key, author, body, created, parent_id)
            if found is None:
                found = comment_store.add_comment(db, key, author, body, created, parent_id,
                                                  _text(c.get("edited_at"))).id
                counts["comments"] += 1
            new_id[c.get("id")] = found
        for x in _items(data, "links"):
            key = key_of(x.get("key"))
            try:
                url = clean_url(x.get("url") or "")
            except KBError:
                url = None
            if key is None or url is None or x.get("kind") not in LINK_KINDS:
                counts["skipped"] += 1
                continue
            counts["links"] += link_store.add_link(db, PaperLink(
                key=key, kind=x["kind"], url=url, name=_text(x.get("name")) or "",
                source=_text(x.get("source")) or "manual",
                added_at=_text(x.get("added_at")) or "1970-01-01T00:00:00+00:00"))
        for x in _items(data, "citations"):
            citing, cited = key_of(x.get("citing")), key_of(x.get("cited"))
            if citing is None or cited is None or citing == cited:
                counts["skipped"] += 1
                continue
            counts["citations"] += cite_store.add_citation(
                db, citing, cited, _text(x.get("source")) or "manual")
        for x in _items(data, "institutions"):
            key, name = key_of(x.get("key")), _text(x.get("name"))
            if key is None or name is None or not _text(x.get("source")):
                counts["skipped"] += 1
                continue
            counts["institutions"] += inst_store.put_affiliation(
                db, key, name, _text(x.get("author")) or "", str(x["source"]))
        for x in _items(data, "summaries"):
            key, text = key_of(x.get("key")), _text(x.get("summary"))
            if key is None or text is None:
                counts["skipped"] += 1
                continue
            enrich_store.put_summary(db, key, text, _text(x.get("source")))
            counts["summaries"] += 1
        for x in _items(data, "enrichment"):
            key = key_of(x.get("key"))
            try:
                item = Enrichment(**{**x, "key": key or ""})
            except (ValueError, TypeError):
                item = None
            if key is None or item is None:
                counts["skipped"] += 1
                continue
            for ref in item.references:
                if ref.key is not None:
                    ref.key = key_of(ref.key)
            enrich_store.put_enrichment(db, item)
            counts["enrichment"] += 1
    return counts
