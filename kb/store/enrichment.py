"""The ``enrichment`` cache (what an open API said about a paper, with its date) and
``paper_summaries`` (our own summary of a paper, e.g. from the canon record)."""

from __future__ import annotations

import json
from typing import Any

from kb.models.record import Enrichment
from kb.store.rows import conn_of, rows

_SELECT = ("SELECT paper_key AS key, source, fetched_at, external_id, citation_count, oa_pdf, "
           "refs, affiliations FROM enrichment")


def _model(row: dict[str, Any]) -> Enrichment:
    row["references"] = json.loads(row.pop("refs") or "[]")
    row["affiliations"] = json.loads(row["affiliations"] or "[]")
    return Enrichment(**row)


def put_enrichment(db: Any, item: Enrichment) -> None:
    conn_of(db).execute(
        "INSERT OR REPLACE INTO enrichment (paper_key, source, fetched_at, external_id, "
        "citation_count, oa_pdf, refs, affiliations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [item.key, item.source, item.fetched_at, item.external_id, item.citation_count,
         item.oa_pdf, json.dumps([r.model_dump() for r in item.references]),
         json.dumps([a.model_dump() for a in item.affiliations])])


def enrichments_of(db: Any, key: str) -> list[Enrichment]:
    return [_model(r) for r in rows(db, f"{_SELECT} WHERE paper_key = ? ORDER BY source",
                                    [key])]


def get_enrichment(db: Any, key: str, source: str) -> Enrichment | None:
    found = rows(db, f"{_SELECT} WHERE paper_key = ? AND source = ?", [key, source])
    return _model(found[0]) if found else None


def all_enrichments(db: Any) -> list[Enrichment]:
    return [_model(r) for r in rows(db, f"{_SELECT} ORDER BY paper_key, source")]


def external_ids(db: Any, source: str) -> dict[str, str]:
    """External id (as the source spells it) -> paper key, for papers enriched from it."""
    return {e: k for k, e in conn_of(db).execute(
        "SELECT paper_key, external_id FROM enrichment WHERE source = ? AND external_id "
        "IS NOT NULL", [source])}


# -- summaries ---------------------------------------------------------------------------
def put_summary(db: Any, key: str, summary: str, source: str | None) -> None:
    conn_of(db).execute(
        "INSERT OR REPLACE INTO paper_summaries (paper_key, summary, source) VALUES (?, ?, ?)",
        [key, summary, source])


def summary_of(db: Any, key: str) -> tuple[str, str | None] | None:
    row = conn_of(db).execute("SELECT summary, source FROM paper_summaries WHERE paper_key = ?",
                              [key]).fetchone()
    return (row[0], row[1]) if row else None


def all_summaries(db: Any) -> dict[str, tuple[str, str | None]]:
    return {k: (s, src) for k, s, src in conn_of(db).execute(
        "SELECT paper_key, summary, source FROM paper_summaries")}
