"""Finding papers by what names them: the one resolver of a key, an arXiv id or a DOI.

Light (plain ``sqlite3``, no models), so any command may resolve a reference cheaply.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kb.ids import BadId, normalize_doi, parse_arxiv_id
from kb.store.rows import chunks, conn_of, marks


def resolve_key(db: Any, ref: str) -> str | None:
    """The key of the paper ``ref`` names: a key, an alias (a key merged into it), an arXiv id
    (any version, URL) or a DOI, its own or one of its versions'."""
    conn = conn_of(db)
    ref = str(ref).strip()
    row = conn.execute("SELECT key FROM papers WHERE key = ?", [ref]).fetchone()
    if row:
        return row[0]
    try:  # a key merged into another paper (issue 15)
        row = conn.execute(
            "SELECT paper_key FROM paper_aliases WHERE alias = ?", [ref]).fetchone()
    except sqlite3.OperationalError:  # a store from before migration 9
        row = None
    if row:
        return row[0]
    try:
        arxiv_id, _ = parse_arxiv_id(ref)
    except BadId:
        arxiv_id = None
    if arxiv_id:
        row = conn.execute("SELECT key FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
        if row:
            return row[0]
    doi = normalize_doi(ref)
    if doi:
        row = conn.execute("SELECT key FROM papers WHERE doi = ?", [doi]).fetchone()
        if row:
            return row[0]
    if arxiv_id or doi:  # an identifier of one of a paper's versions (issue 15)
        return version_holding(conn, arxiv_id, doi)
    return None


def version_holding(db: Any, arxiv_id: str | None, doi: str | None) -> str | None:
    """The paper one of whose versions has this arXiv id or DOI (a scan: a last resort)."""
    try:
        row = conn_of(db).execute(
            "SELECT paper_key FROM paper_versions WHERE json_extract(record, '$.arxiv_id') = ? "
            "OR json_extract(record, '$.doi') = ? ORDER BY position LIMIT 1",
            [arxiv_id, doi]).fetchone()
    except sqlite3.OperationalError:  # a store from before migration 10
        return None
    return row[0] if row else None


def version_ids(db: Any) -> list[tuple[str, str | None, str | None]]:
    """(paper key, arXiv id, DOI) of every kept version, for identity indexes."""
    return conn_of(db).execute(
        "SELECT paper_key, json_extract(record, '$.arxiv_id'), json_extract(record, '$.doi') "
        "FROM paper_versions").fetchall()


def all_keys(db: Any) -> set[str]:
    return {r[0] for r in conn_of(db).execute("SELECT key FROM papers")}


def existing_keys(db: Any, keys: list[str]) -> set[str]:
    """Those of ``keys`` that are papers in the store."""
    conn = conn_of(db)
    found: set[str] = set()
    for chunk in chunks(keys):
        found.update(r[0] for r in conn.execute(
            f"SELECT key FROM papers WHERE key IN ({marks(len(chunk))})", chunk))
    return found


def key_of_arxiv(db: Any, arxiv_id: str) -> str | None:
    row = conn_of(db).execute("SELECT key FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
    return row[0] if row else None


def title_of(db: Any, key: str) -> str | None:
    row = conn_of(db).execute("SELECT title FROM papers WHERE key = ?", [key]).fetchone()
    return row[0] if row else None
