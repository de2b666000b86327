"""Links between papers and reproductions.

Papers link to reproductions two ways: automatically, when a reproduction's arXiv id (or DOI)
matches the paper's, computed at query time so a paper added later is linked too; and
manually, rows of ``paper_reproductions``.
"""

from __future__ import annotations

from typing import Any

from kb.config import KB, KBError
from kb.runs import query_rows, reproduction_summary
from reproductions import registry


def _paper_row(kb: KB, paper_key: str) -> dict[str, Any] | None:
    rows = query_rows(kb, "SELECT key, arxiv_id, doi, title FROM papers WHERE key = ?", [paper_key])
    return rows[0] if rows else None


def linked_reproductions(kb: KB, paper_key: str) -> list[dict[str, Any]]:
    """The reproductions linked to a paper: by arXiv id / DOI (automatic) and manual links.

    Each: id, title, claim, arxiv_ids, source ('arxiv' | 'doi' | 'registry' | 'manual'),
    last_verdict, latest_run (summary).
    """
    found: dict[str, str] = {}
    paper = _paper_row(kb, paper_key)
    if paper is not None:
        for r in registry.REPRODUCTIONS:
            if paper.get("arxiv_id") and registry.strip_version(paper["arxiv_id"]) in r.arxiv_ids:
                found.setdefault(r.id, "arxiv")
            elif paper.get("doi") and r.doi and paper["doi"].lower() == r.doi.lower():
                found.setdefault(r.id, "doi")
            elif paper_key in r.paper_keys:
                found.setdefault(r.id, "registry")
    for row in query_rows(
        kb, "SELECT reproduction, source FROM paper_reproductions WHERE paper_key = ? "
        "ORDER BY reproduction", [paper_key],
    ):
        found.setdefault(row["reproduction"], row["source"] or "manual")
    out = []
    for repro_id, source in found.items():
        try:
            repro = registry.get(repro_id)
        except registry.UnknownReproduction:
            continue  # a manual link to a reproduction since removed
        item = reproduction_summary(kb, repro)
        item["source"] = source
        out.append(item)
    return out


def linked_papers(kb: KB, repro_id: str) -> list[dict[str, Any]]:
    """The papers in the KB a reproduction is linked to (automatic and manual)."""
    repro = registry.get(repro_id)
    found: dict[str, dict[str, Any]] = {}
    if repro.arxiv_ids:
        marks = ",".join("?" * len(repro.arxiv_ids))
        for row in query_rows(
            kb, f"SELECT key, title, arxiv_id FROM papers WHERE arxiv_id IN ({marks})",
            list(repro.arxiv_ids),
        ):
            found.setdefault(row["key"], {**row, "source": "arxiv"})
    if repro.doi:
        for row in query_rows(kb, "SELECT key, title, arxiv_id FROM papers WHERE lower(doi) = ?",
                         [repro.doi.lower()]):
            found.setdefault(row["key"], {**row, "source": "doi"})
    sql = ("SELECT p.key, p.title, p.arxiv_id, l.source FROM paper_reproductions l "
           "JOIN papers p ON p.key = l.paper_key WHERE l.reproduction = ?")
    for row in query_rows(kb, sql, [repro_id]):
        found.setdefault(row["key"], row)
    return sorted(found.values(), key=lambda r: r["key"])


def link(kb: KB, paper_ref: str, repro_id: str, source: str = "manual") -> dict[str, Any]:
    """Link a paper (key, arXiv id or DOI) to a reproduction by hand."""
    from kb.store.papers import resolve_key

    try:
        registry.get(repro_id)
    except registry.UnknownReproduction as exc:
        raise KBError(str(exc)) from None
    has_store = "db" in kb.__dict__ or kb.db_path.is_file()
    key = resolve_key(kb.db, paper_ref) if has_store else None
    if key is None:
        raise KBError(f"no paper {paper_ref!r} in the knowledge base")
    with kb.write() as db:
        db["paper_reproductions"].insert(
            {"paper_key": key, "reproduction": repro_id, "source": source}, replace=True
        )
    return {"paper_key": key, "reproduction": repro_id, "source": source}


def unlink(kb: KB, paper_key: str, repro_id: str) -> bool:
    with kb.write() as db:
        cur = db.conn.execute(
            "DELETE FROM paper_reproductions WHERE paper_key = ? AND reproduction = ?",
            [paper_key, repro_id],
        )
    return cur.rowcount > 0
