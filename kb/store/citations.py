"""The ``citations`` table: which paper of the KB cites which."""

from __future__ import annotations

from typing import Any

from kb.store.rows import conn_of


def add_citation(db: Any, citing: str, cited: str, source: str = "manual") -> bool:
    """Record that ``citing`` cites ``cited`` (True when new); a manual record stays
    manual."""
    return conn_of(db).execute(
        "INSERT OR IGNORE INTO citations (citing, cited, source) VALUES (?, ?, ?)",
        [citing, cited, source]).rowcount > 0


def remove_citation(db: Any, citing: str, cited: str) -> bool:
    return conn_of(db).execute("DELETE FROM citations WHERE citing = ? AND cited = ?",
                               [citing, cited]).rowcount > 0


def references_of(db: Any, key: str) -> list[str]:
    """The keys ``key`` cites, by key."""
    return [r[0] for r in conn_of(db).execute(
        "SELECT cited FROM citations WHERE citing = ? ORDER BY cited", [key])]


def cited_by(db: Any, key: str) -> list[str]:
    """The keys citing ``key``, by key."""
    return [r[0] for r in conn_of(db).execute(
        "SELECT citing FROM citations WHERE cited = ? ORDER BY citing", [key])]


def all_citations(db: Any) -> list[tuple[str, str, str]]:
    """Every ``(citing, cited, source)``."""
    return [(a, b, s) for a, b, s in conn_of(db).execute(
        "SELECT citing, cited, source FROM citations ORDER BY citing, cited")]
