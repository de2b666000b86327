"""Paper <-> reproduction links: the manual ones (``paper_reproductions``) and the papers a
reproduction names by arXiv id, DOI or key."""

from __future__ import annotations

from typing import Any

from kb.models.reproduction import LinkedPaper, PaperIds
from kb.store.rows import conn_of, first, marks, rows


def paper_ids(db: Any, key: str) -> PaperIds | None:
    """The arXiv id and DOI (and title) of paper ``key``, or None."""
    row = first(db, "SELECT key, arxiv_id, doi, title FROM papers WHERE key = ?", [key])
    return PaperIds(**row) if row else None


def all_paper_ids(db: Any) -> list[PaperIds]:
    """:func:`paper_ids` of every paper."""
    return [PaperIds(**r) for r in rows(db, "SELECT key, arxiv_id, doi, title FROM papers")]


def all_manual_links(db: Any) -> dict[str, list[tuple[str, str]]]:
    """:func:`manual_links` of every paper that has any."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key, repro, source in conn_of(db).execute(
            "SELECT paper_key, reproduction, source FROM paper_reproductions "
            "ORDER BY paper_key, reproduction"):
        out.setdefault(key, []).append((repro, source or "manual"))
    return out


def manual_links(db: Any, key: str) -> list[tuple[str, str]]:
    """``(reproduction, source)`` linked to paper ``key`` by hand."""
    return [(r[0], r[1] or "manual") for r in conn_of(db).execute(
        "SELECT reproduction, source FROM paper_reproductions WHERE paper_key = ? "
        "ORDER BY reproduction", [key])]


def _linked(db: Any, sql: str, params: list[Any], source: str | None = None) -> list[LinkedPaper]:
    """The papers of ``sql`` (key, title, arxiv_id and, without ``source``, source)."""
    return [LinkedPaper(**({**r, "source": source} if source else r))
            for r in rows(db, sql, params)]


def papers_by_ids(db: Any, arxiv_ids: list[str], doi: str | None) -> list[LinkedPaper]:
    """The papers with one of ``arxiv_ids`` (source ``arxiv``), then those with ``doi``
    (source ``doi``)."""
    out: list[LinkedPaper] = []
    if arxiv_ids:
        out += _linked(db, f"SELECT key, title, arxiv_id FROM papers WHERE arxiv_id IN "
                       f"({marks(len(arxiv_ids))})", arxiv_ids, "arxiv")
    if doi:
        out += _linked(db, "SELECT key, title, arxiv_id FROM papers WHERE lower(doi) = ?",
                       [doi.lower()], "doi")
    return out


def papers_by_keys(db: Any, keys: list[str]) -> list[LinkedPaper]:
    """The papers named by key (source ``registry``)."""
    if not keys:
        return []
    return _linked(db, f"SELECT key, title, arxiv_id FROM papers WHERE key IN "
                   f"({marks(len(keys))})", keys, "registry")


def papers_linked_by_hand(db: Any, reproduction: str) -> list[LinkedPaper]:
    """The papers linked to ``reproduction`` by hand (source: the link's)."""
    return _linked(db, "SELECT p.key, p.title, p.arxiv_id, l.source FROM paper_reproductions l "
                   "JOIN papers p ON p.key = l.paper_key WHERE l.reproduction = ?",
                   [reproduction])


def add_link(db: Any, key: str, reproduction: str, source: str = "manual") -> None:
    conn_of(db).execute(
        "INSERT OR REPLACE INTO paper_reproductions (paper_key, reproduction, source) "
        "VALUES (?, ?, ?)", [key, reproduction, source])


def remove_link(db: Any, key: str, reproduction: str) -> bool:
    return conn_of(db).execute(
        "DELETE FROM paper_reproductions WHERE paper_key = ? AND reproduction = ?",
        [key, reproduction]).rowcount > 0
