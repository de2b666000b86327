"""The ``institutions`` and ``paper_institutions`` tables: who was where, per paper and
per source (arxiv, semanticscholar, openalex, crossref; BibTeX fields are read from the
paper itself, see :mod:`kb.core.institutions`)."""

from __future__ import annotations

from typing import Any

from kb.store.rows import conn_of


def _institution_id(db: Any, name: str) -> int:
    conn = conn_of(db)
    conn.execute("INSERT OR IGNORE INTO institutions (name) VALUES (?)", [name])
    return conn.execute("SELECT id FROM institutions WHERE name = ?", [name]).fetchone()[0]


def put_affiliation(db: Any, key: str, institution: str, author: str, source: str) -> bool:
    return conn_of(db).execute(
        "INSERT OR IGNORE INTO paper_institutions (paper_key, institution_id, author, source) "
        "VALUES (?, ?, ?, ?)",
        [key, _institution_id(db, institution), author, source]).rowcount > 0


def clear_source(db: Any, key: str, source: str) -> None:
    """Forget what ``source`` said about a paper's institutions (before it says it again)."""
    conn_of(db).execute("DELETE FROM paper_institutions WHERE paper_key = ? AND source = ?",
                        [key, source])


def affiliations_of(db: Any, key: str) -> list[tuple[str, str, str]]:
    """``(institution, author, source)`` of a paper."""
    return [(n, a, s) for n, a, s in conn_of(db).execute(
        "SELECT i.name, pi.author, pi.source FROM paper_institutions pi "
        "JOIN institutions i ON i.id = pi.institution_id WHERE pi.paper_key = ? "
        "ORDER BY pi.rowid", [key])]


def all_affiliations(db: Any) -> list[tuple[str, str, str, str]]:
    """``(paper_key, institution, author, source)`` of every paper."""
    return [(k, n, a, s) for k, n, a, s in conn_of(db).execute(
        "SELECT pi.paper_key, i.name, pi.author, pi.source FROM paper_institutions pi "
        "JOIN institutions i ON i.id = pi.institution_id ORDER BY pi.paper_key, pi.rowid")]
