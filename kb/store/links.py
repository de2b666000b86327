"""Paper <-> reproduction links: the manual ones (``paper_reproductions``) and the papers a
reproduction names by arXiv id or DOI."""

from __future__ import annotations

from typing import Any

from kb.store.rows import conn_of, first, marks, rows


def paper_ids(db: Any, key: str) -> dict[str, Any] | None:
    """``{key, arxiv_id, doi, title}`` of a paper, or None."""
    return first(db, "SELECT key, arxiv_id, doi, title FROM papers WHERE key = ?", [key])


def manual_links(db: Any, key: str) -> list[tuple[str, str]]:
    """``(reproduction, source)`` linked to paper ``key`` by hand."""
    return [(r[0], r[1] or "manual") for r in conn_of(db).execute(
        "SELECT reproduction, source FROM paper_reproductions WHERE paper_key = ? "
        "ORDER BY reproduction", [key])]


def papers_by_ids(db: Any, arxiv_ids: list[str], doi: str | None) -> list[dict[str, Any]]:
    """``{key, title, arxiv_id, source}`` of the papers with one of ``arxiv_ids`` (source
    ``arxiv``), then of those with ``doi`` (source ``doi``)."""
    out = []
    if arxiv_ids:
        out += [{**r, "source": "arxiv"} for r in rows(
            db, f"SELECT key, title, arxiv_id FROM papers WHERE arxiv_id IN "
            f"({marks(len(arxiv_ids))})", arxiv_ids)]
    if doi:
        out += [{**r, "source": "doi"} for r in rows(
            db, "SELECT key, title, arxiv_id FROM papers WHERE lower(doi) = ?", [doi.lower()])]
    return out


def papers_by_keys(db: Any, keys: list[str]) -> list[dict[str, Any]]:
    """``{key, title, arxiv_id, source}`` of the papers named by key (source ``registry``)."""
    if not keys:
        return []
    return [{**r, "source": "registry"} for r in rows(
        db, f"SELECT key, title, arxiv_id FROM papers WHERE key IN ({marks(len(keys))})", keys)]


def papers_linked_by_hand(db: Any, reproduction: str) -> list[dict[str, Any]]:
    return rows(db, "SELECT p.key, p.title, p.arxiv_id, l.source FROM paper_reproductions l "
                "JOIN papers p ON p.key = l.paper_key WHERE l.reproduction = ?", [reproduction])


def add_link(db: Any, key: str, reproduction: str, source: str = "manual") -> None:
    conn_of(db).execute(
        "INSERT OR REPLACE INTO paper_reproductions (paper_key, reproduction, source) "
        "VALUES (?, ?, ?)", [key, reproduction, source])


def remove_link(db: Any, key: str, reproduction: str) -> bool:
    return conn_of(db).execute(
        "DELETE FROM paper_reproductions WHERE paper_key = ? AND reproduction = ?",
        [key, reproduction]).rowcount > 0
