"""A paper's versions, its aliases and the pairs the user split (issue 15).

A record merged into a stored paper is kept whole as one of the paper's versions
(``paper_versions``), and its key stays an alias (``paper_aliases``). The paper's row is
the version it is cited as (a published version over a preprint), with the identifiers of
all (arXiv id and DOI), and descriptive fields (abstract, authors, links) filled from the
others; a record's publication fields (type, venue, year, pages, editor...) never move into
another record. :func:`combine` is that rule, and :func:`rebuild` applies it from scratch.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from kb.clock import now_iso
from kb.ids import arxiv_id_from_doi
from kb.models import Paper, PaperVersion, VersionKind
from kb.store.rows import conn_of

# How strongly a version is the one to cite: the row of a paper is its strongest version.
RANK: dict[str, int] = {"record": 0, "preprint": 1, "published": 2}
# What a preprint server's venue looks like ("arXiv preprint arXiv:1705.07115", "CoRR").
_PREPRINT_VENUE = re.compile(r"\b(arxiv|corr|preprint|biorxiv|medrxiv|ssrn|e-?prints?)\b", re.I)
# Fields of one publication: a merge never gives them to another publication's row.
# (``source`` goes with ``bibtex``: an entry from a .bib file is not regenerated from arXiv.)
PUBLICATION_FIELDS = ("entry_type", "year", "month", "venue", "journal_ref", "bibtex", "fields",
                      "source")
# Fields that describe the paper whatever its version: filled where the row has none.
_SHARED_FIELDS = ("abstract", "url", "pdf_url", "primary_category", "comment", "published",
                  "updated")


def version_kind(paper: Paper) -> VersionKind:
    """``preprint`` (a preprint server as venue, or a record from the arXiv API, whose DOI
    and journal reference name the published version), else ``published`` (a venue, or a
    publisher's DOI), else ``preprint`` (an arXiv id alone), else ``record``."""
    venue = paper.venue or ""
    if _PREPRINT_VENUE.search(venue) or paper.source == "arxiv":
        return "preprint"
    if venue or (paper.doi and not arxiv_id_from_doi(paper.doi)):
        return "published"
    return "preprint" if paper.arxiv_id else "record"


def combine(row: Paper, row_kind: VersionKind, record: Paper, record_kind: VersionKind
            ) -> Paper:
    """The row of a paper (cited as ``row_kind``) once ``record`` is one of its versions.

    A record of a stronger kind (a published version of a preprint) becomes the cited one:
    its publication fields replace the row's; a record of the same kind fills the scalar
    publication fields the row lacks; a weaker one gives none. Either way the row gains the
    identifiers and descriptive fields (abstract, authors, links) it lacks; the key stays
    the row's and the record's topics are added.
    """
    update: dict[str, Any] = {}
    if RANK[record_kind] > RANK[row_kind]:
        update.update({f: getattr(record, f) for f in PUBLICATION_FIELDS})
        for f in ("year", "month"):  # a version without a date: the other's is nearer
            if update[f] is None:
                del update[f]
        update["title"] = record.title
        if record.doi:
            update["doi"] = record.doi
    elif record_kind == row_kind:
        # two records of one publication: what the row lacks is filled (not its BibTeX
        # fields such as pages or editor, which stay with their own record)
        for f in ("entry_type", "year", "month", "venue", "journal_ref"):
            if getattr(row, f) in (None, "") and getattr(record, f) not in (None, ""):
                update[f] = getattr(record, f)
    if not row.arxiv_id and record.arxiv_id:
        update.update(arxiv_id=record.arxiv_id, arxiv_version=record.arxiv_version)
    elif row.arxiv_id == record.arxiv_id and (record.arxiv_version or 0) > (
            row.arxiv_version or 0):
        update["arxiv_version"] = record.arxiv_version
    if not update.get("doi", row.doi) and record.doi:
        update["doi"] = record.doi
    for f in _SHARED_FIELDS:
        if getattr(row, f) in (None, "") and getattr(record, f) not in (None, ""):
            update[f] = getattr(record, f)
    if not row.categories and record.categories:
        update["categories"] = record.categories
    if not row.authors and record.authors:
        update["authors"] = record.authors
    extra = [t for t in record.topics if t not in row.topics]
    if extra:
        update["topics"] = [*row.topics, *extra]
    return row.model_copy(update=update) if update else row


def rebuild(versions: list[PaperVersion], key: str, topics: list[str]) -> Paper:
    """The row of a paper made of ``versions`` alone, its own version (``key``) first: each
    other one merged in by :func:`combine`, in the order they came."""
    ordered = sorted(versions, key=lambda v: v.key != key)
    row = ordered[0].record.model_copy(update={"key": key, "topics": topics})
    kind = ordered[0].kind
    for v in ordered[1:]:
        row = combine(row, kind, v.record, v.kind)
        kind = max(kind, v.kind, key=RANK.__getitem__)
    return row


def cited_kind(versions: list[PaperVersion], row: Paper) -> VersionKind:
    """The kind a paper's row is cited as: its strongest version's (the row's own without)."""
    if not versions:
        return version_kind(row)
    return max((v.kind for v in versions), key=RANK.__getitem__)


# -- versions ----------------------------------------------------------------------------
def _version(row: tuple) -> PaperVersion:
    version_key, kind, record, why, added_at = row
    return PaperVersion(key=version_key, kind=kind, record=Paper.model_validate_json(record),
                        why=why, added_at=added_at)


def versions_of(db: Any, key: str) -> list[PaperVersion]:
    """Paper ``key``'s versions in the order they came (none: it was never merged)."""
    return [_version(r) for r in conn_of(db).execute(
        "SELECT version_key, kind, record, why, added_at FROM paper_versions "
        "WHERE paper_key = ? ORDER BY position", [key])]


def versioned_keys(db: Any) -> set[str]:
    """Keys of the papers that have versions (records merged into them)."""
    return {r[0] for r in conn_of(db).execute("SELECT DISTINCT paper_key FROM paper_versions")}


def all_versions(db: Any) -> dict[str, list[PaperVersion]]:
    """paper key -> its versions in order (papers without versions left out)."""
    out: dict[str, list[PaperVersion]] = {}
    try:
        rows = conn_of(db).execute(
            "SELECT paper_key, version_key, kind, record, why, added_at FROM paper_versions "
            "ORDER BY paper_key, position").fetchall()
    except sqlite3.OperationalError:  # a store from before migration 10
        return out
    for key, *rest in rows:
        out.setdefault(key, []).append(_version(tuple(rest)))
    return out


def version_record(db: Any, key: str, version_key: str) -> Paper | None:
    row = conn_of(db).execute(
        "SELECT record FROM paper_versions WHERE paper_key = ? AND version_key = ?",
        [key, version_key]).fetchone()
    return Paper.model_validate_json(row[0]) if row else None


def _stored_version(conn: sqlite3.Connection, key: str, version_key: str) -> tuple | None:
    return conn.execute(
        "SELECT record, kind FROM paper_versions WHERE paper_key = ? AND version_key = ?",
        [key, version_key]).fetchone()


def is_kept(db: Any, key: str, version: PaperVersion) -> bool:
    """Whether paper ``key`` already keeps ``version`` exactly so."""
    record = version.record.model_dump_json(exclude={"added_at"})
    return _stored_version(conn_of(db), key, version.key) == (record, version.kind)


def put_version(db: Any, key: str, version: PaperVersion) -> bool:
    """Keep ``version`` as one of paper ``key``'s (replacing its earlier record); returns
    whether anything changed."""
    conn = conn_of(db)
    record = version.record.model_dump_json(exclude={"added_at"})
    old = _stored_version(conn, key, version.key)
    if old == (record, version.kind):
        return False
    if old:
        conn.execute(
            "UPDATE paper_versions SET record = ?, kind = ? WHERE paper_key = ? AND "
            "version_key = ?", [record, version.kind, key, version.key])
        return True
    conn.execute(
        "INSERT INTO paper_versions (paper_key, version_key, position, kind, record, why, "
        "added_at) VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM paper_versions "
        "WHERE paper_key = ?), ?, ?, ?, ?)",
        [key, version.key, key, version.kind, record, version.why,
         version.added_at or now_iso()])
    return True


def remove_version(db: Any, key: str, version_key: str) -> None:
    conn_of(db).execute("DELETE FROM paper_versions WHERE paper_key = ? AND version_key = ?",
                        [key, version_key])


def clear_versions(db: Any, key: str) -> None:
    conn_of(db).execute("DELETE FROM paper_versions WHERE paper_key = ?", [key])


# -- aliases -----------------------------------------------------------------------------
def add_alias(db: Any, alias: str, key: str, why: str | None) -> None:
    conn_of(db).execute(
        "INSERT OR IGNORE INTO paper_aliases (alias, paper_key, reason) VALUES (?, ?, ?)",
        [alias, key, why])


def remove_alias(db: Any, alias: str) -> None:
    conn_of(db).execute("DELETE FROM paper_aliases WHERE alias = ?", [alias])


def alias_target(db: Any, alias: str) -> str | None:
    row = conn_of(db).execute(
        "SELECT paper_key FROM paper_aliases WHERE alias = ?", [alias]).fetchone()
    return row[0] if row else None


def aliases_of(db: Any, key: str) -> list[str]:
    """The keys merged into paper ``key``, in the order they were merged."""
    return [r[0] for r in conn_of(db).execute(
        "SELECT alias FROM paper_aliases WHERE paper_key = ? ORDER BY rowid", [key])]


def all_aliases(db: Any) -> dict[str, list[str]]:
    """paper key -> the keys merged into it (papers without aliases left out)."""
    out: dict[str, list[str]] = {}
    try:
        rows = conn_of(db).execute(
            "SELECT paper_key, alias FROM paper_aliases ORDER BY rowid").fetchall()
    except sqlite3.OperationalError:  # a store from before migration 9
        return out
    for key, alias in rows:
        out.setdefault(key, []).append(alias)
    return out


def preprints(db: Any) -> set[str]:
    """Keys of the papers that have a preprint among their versions."""
    return {r[0] for r in conn_of(db).execute(
        "SELECT DISTINCT paper_key FROM paper_versions WHERE kind = 'preprint'")}


# -- splits ------------------------------------------------------------------------------
def _pair(a: str, b: str) -> list[str]:
    return sorted([a, b])


def add_split(db: Any, a: str, b: str) -> None:
    conn_of(db).execute(
        "INSERT OR IGNORE INTO paper_splits (key_a, key_b, split_at) VALUES (?, ?, ?)",
        [*_pair(a, b), now_iso()])


def remove_split(db: Any, a: str, b: str) -> None:
    conn_of(db).execute("DELETE FROM paper_splits WHERE key_a = ? AND key_b = ?", _pair(a, b))


def split_pairs(db: Any) -> set[tuple[str, str]]:
    """Every pair the user split, as (smaller key, larger key)."""
    return {(a, b) for a, b in conn_of(db).execute("SELECT key_a, key_b FROM paper_splits")}


# -- moving a paper's links (``mtlkb merge``) --------------------------------------------
# Tables whose rows belong to one paper, with the columns that make a row unique beside it.
_LINKS = {
    "paper_topics": "topic", "collection_papers": "collection",
    "paper_reproductions": "reproduction", "paper_aliases": None, "reviews": None,
    # the paper record (issue 16); one summary and one cached answer per source a paper
    "comments": None, "paper_links": "kind, url", "paper_institutions": "institution_id",
    "paper_summaries": None, "enrichment": "source",
}


def move_links(db: Any, src: str, dst: str) -> None:
    """Give paper ``src``'s topics, collections, reviews, reproduction links, aliases, social
    record, comments, code/dataset links, institutions, summary, cached enrichment and
    citations to ``dst`` (where ``dst`` has the same link, its own stays; a citation
    between the two goes)."""
    conn = conn_of(db)
    for table in _LINKS:
        conn.execute(f"UPDATE OR IGNORE {table} SET paper_key = ? WHERE paper_key = ?",
                     [dst, src])
        conn.execute(f"DELETE FROM {table} WHERE paper_key = ?", [src])
    for column in ("citing", "cited"):  # (OR IGNORE also skips a row citing itself)
        conn.execute(f"UPDATE OR IGNORE citations SET {column} = ? WHERE {column} = ?",
                     [dst, src])
        conn.execute(f"DELETE FROM citations WHERE {column} = ?", [src])
    # one social row a paper: dst keeps its vote unless it has none; saved if either was
    conn.execute(
        "INSERT INTO paper_social (paper_key, vote, saved, saved_at, voted_at) "
        "SELECT ?, vote, saved, saved_at, voted_at FROM paper_social WHERE paper_key = ? "
        "ON CONFLICT(paper_key) DO UPDATE SET "
        "vote = CASE WHEN paper_social.vote = 0 THEN excluded.vote ELSE paper_social.vote END, "
        "voted_at = CASE WHEN paper_social.vote = 0 THEN excluded.voted_at "
        "ELSE paper_social.voted_at END, "
        "saved = MAX(paper_social.saved, excluded.saved), "
        "saved_at = COALESCE(paper_social.saved_at, excluded.saved_at)",
        [dst, src])
    conn.execute("DELETE FROM paper_social WHERE paper_key = ?", [src])
    offset = conn.execute("SELECT COALESCE(MAX(position), 0) FROM paper_versions "
                          "WHERE paper_key = ?", [dst]).fetchone()[0]
    conn.execute("UPDATE OR IGNORE paper_versions SET paper_key = ?, position = position + ? "
                 "WHERE paper_key = ?", [dst, offset, src])
    conn.execute("DELETE FROM paper_versions WHERE paper_key = ?", [src])
