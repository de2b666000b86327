"""Links between papers and reproductions.

Papers link to reproductions two ways: automatically, when a reproduction's arXiv id (or DOI)
matches the paper's, computed at query time so a paper added later is linked too; and
manually, rows of ``paper_reproductions`` (SQL in :mod:`kb.store.links`).
"""

from __future__ import annotations

from kb.config import KB, KBError
from kb.models.reproduction import (
    LinkedPaper,
    LinkedReproduction,
    PaperIds,
    ReproductionLink,
)
from kb.repro.runs import reproduction_summary
from kb.store import links
from kb.store.lookup import resolve_key
from reproductions import registry


def linked_reproduction_ids(kb: KB, paper_key: str) -> dict[str, str]:
    """Reproduction id -> how it is linked ('arxiv' | 'doi' | 'registry' | 'manual'), for
    the reproductions still registered."""
    if not kb.has_store:
        return {}
    return _linked_ids(paper_key, links.paper_ids(kb.conn, paper_key),
                       links.manual_links(kb.conn, paper_key), set(registry.ids()))


def all_linked_reproduction_ids(kb: KB) -> dict[str, dict[str, str]]:
    """:func:`linked_reproduction_ids` of every paper linked to any, in two queries."""
    if not kb.has_store:
        return {}
    manual = links.all_manual_links(kb.conn)
    known = set(registry.ids())
    out = {}
    for paper in links.all_paper_ids(kb.conn):
        found = _linked_ids(paper.key, paper, manual.get(paper.key, []), known)
        if found:
            out[paper.key] = found
    return out


def _linked_ids(paper_key: str, paper: PaperIds | None, manual: list[tuple[str, str]],
                known: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if paper is not None:
        for r in registry.REPRODUCTIONS:
            if paper.arxiv_id and registry.strip_version(paper.arxiv_id) in r.arxiv_ids:
                found.setdefault(r.id, "arxiv")
            elif paper.doi and r.doi and paper.doi.lower() == r.doi.lower():
                found.setdefault(r.id, "doi")
            elif paper_key in r.paper_keys:
                found.setdefault(r.id, "registry")
    for repro_id, source in manual:
        found.setdefault(repro_id, source)
    # a manual link to a reproduction since removed is skipped
    return {k: v for k, v in found.items() if k in known}


def linked_reproductions(kb: KB, paper_key: str) -> list[LinkedReproduction]:
    """The reproductions linked to a paper (by arXiv id, DOI, registry key or by hand), each
    with its runs' status and how it is linked."""
    return [
        LinkedReproduction(**dict(reproduction_summary(kb, registry.get(repro_id))),
                           source=source)
        for repro_id, source in linked_reproduction_ids(kb, paper_key).items()
    ]


def all_linked_reproductions(kb: KB) -> dict[str, list[LinkedReproduction]]:
    """:func:`linked_reproductions` of every paper linked to any (the site reads them all)."""
    summaries: dict[str, dict] = {}
    out = {}
    for key, ids in all_linked_reproduction_ids(kb).items():
        items = []
        for repro_id, source in ids.items():
            if repro_id not in summaries:
                summaries[repro_id] = dict(reproduction_summary(kb, registry.get(repro_id)))
            items.append(LinkedReproduction(**summaries[repro_id], source=source))
        out[key] = items
    return out


def linked_papers(kb: KB, repro_id: str) -> list[LinkedPaper]:
    """The papers in the KB a reproduction is linked to: by arXiv id or DOI, by the key the
    registry names (``paper_keys``: a paper with no arXiv id) and by hand."""
    repro = registry.get(repro_id)
    if not kb.has_store:
        return []
    found: dict[str, LinkedPaper] = {}
    for paper in (*links.papers_by_ids(kb.conn, list(repro.arxiv_ids), repro.doi),
                  *links.papers_by_keys(kb.conn, list(repro.paper_keys)),
                  *links.papers_linked_by_hand(kb.conn, repro_id)):
        found.setdefault(paper.key, paper)
    return sorted(found.values(), key=lambda p: p.key)


def link(kb: KB, paper_ref: str, repro_id: str, source: str = "manual") -> ReproductionLink:
    """Link a paper (key, arXiv id or DOI) to a reproduction by hand."""
    try:
        registry.get(repro_id)
    except registry.UnknownReproduction as exc:
        raise KBError(str(exc)) from None
    key = resolve_key(kb.conn, paper_ref) if kb.has_store else None
    if key is None:
        raise KBError(f"no paper {paper_ref!r} in the knowledge base")
    with kb.write() as db:
        links.add_link(db, key, repro_id, source)
    return ReproductionLink(paper_key=key, reproduction=repro_id, source=source)


def unlink(kb: KB, paper_ref: str, repro_id: str) -> ReproductionLink:
    """Remove a manual paper -> reproduction link (automatic ones cannot be removed)."""
    key = resolve_key(kb.conn, paper_ref) if kb.has_store else None
    if key is None:
        raise KBError(f"no paper {paper_ref!r} in the knowledge base")
    with kb.write() as db:
        removed = links.remove_link(db, key, repro_id)
    if not removed:
        raise KBError(f"{key} has no manual link to {repro_id!r} (links by arXiv id or DOI "
                      "are automatic)")
    return ReproductionLink(paper_key=key, reproduction=repro_id, removed=True)
