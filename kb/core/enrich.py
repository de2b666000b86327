"""``mtlkb enrich``: external citation counts (with their date), references (marking those
in the KB), author affiliations and open-access PDF links from an open API.

Everything is fetched first and written in one transaction: any failure (HTTP error, rate
limit, timeout, broken answer, no network) is one line and leaves the store unchanged.
Answers are cached in the store (``enrichment``); a paper enriched from a source less than
``max_age_days`` ago is not asked again unless ``refresh``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.core.institutions import record_affiliations
from kb.models import Paper
from kb.models.record import Enrichment
from kb.sources.open_apis import APIS, Answer, NotFound, Pacer, lookup
from kb.store import citations as cite_store
from kb.store import enrichment as store
from kb.store.lookup import resolve_key
from kb.store.papers import get_paper, list_papers

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_AGE_DAYS = 30


@dataclass
class EnrichReport:
    source: str
    enriched: list[Enrichment] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # one line each (skipped)

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source,
                "enriched": [{"key": e.key, **e.public_dict()} for e in self.enriched],
                "cached": self.cached, "missing": self.missing}


def _settings(kb: KB) -> dict[str, Any]:
    section = kb.settings.get("enrich", {})
    if not isinstance(section, dict):
        raise KBError(f"{kb.config_path}: [enrich] must be a table")
    return section


def _number(value: Any, what: str, *, allow_zero: bool) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise KBError(f"{what} must be a {'non-negative' if allow_zero else 'positive'} "
                      f"number, not {value!r}")
    return float(value)


def _papers(kb: KB, refs: list[str]) -> list[Paper]:
    if not refs:
        return list_papers(kb.db, sort="key")
    out = []
    for ref in refs:
        key = resolve_key(kb.conn, ref)
        paper = get_paper(kb.db, key) if key else None
        if paper is None:
            raise KBError(f"no paper {ref!r} in {kb.root} (nothing was fetched)")
        if all(p.key != paper.key for p in out):
            out.append(paper)
    return out


def _fresh(item: Enrichment | None, max_age_days: float) -> bool:
    if item is None:
        return False
    try:
        when = datetime.fromisoformat(item.fetched_at)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return datetime.now(UTC) - when < timedelta(days=max_age_days)


def _mark(db: Any, source: str, answer: Answer) -> None:
    """Set ``key`` on the references that are papers of the KB."""
    by_external = store.external_ids(db, source)
    for ref in answer.references:
        key = None
        if ref.arxiv_id:
            key = resolve_key(db, ref.arxiv_id)
        if key is None and ref.doi:
            key = resolve_key(db, ref.doi)
        if key is None and ref.external_id:
            key = by_external.get(ref.external_id)
        ref.key = key


def enrich(kb: KB, refs: list[str] | None = None, *, source: str = "semanticscholar",
           refresh: bool = False, skip_missing: bool = False, timeout: float | None = None,
           max_age_days: float | None = None) -> EnrichReport:
    """Ask ``source`` about the papers ``refs`` (all papers when empty) and store what it
    says; raises :class:`KBError` (one line) with the store unchanged on any failure."""
    api = APIS.get(source)
    if api is None:
        raise KBError(f"unknown source {source!r} (expected {', '.join(APIS)})")
    settings = _settings(kb)
    seconds = _number(timeout if timeout is not None else settings.get(
        "timeout", DEFAULT_TIMEOUT), "the enrich timeout", allow_zero=False)
    interval = _number(settings.get("min_interval_s", api.interval_s),
                       f"{kb.config_path.name} [enrich] min_interval_s", allow_zero=True)
    max_age = _number(max_age_days if max_age_days is not None else settings.get(
        "max_age_days", DEFAULT_MAX_AGE_DAYS), "max age (days)", allow_zero=True)
    papers = _papers(kb, list(refs or []))
    report = EnrichReport(source)
    pacer = Pacer(interval)
    answers: list[tuple[Paper, Answer]] = []
    for paper in papers:
        assert paper.key is not None
        if not refresh and _fresh(store.get_enrichment(kb.conn, paper.key, source), max_age):
            report.cached.append(paper.key)
            continue
        try:
            answers.append((paper, lookup(api, paper, settings, seconds, pacer)))
        except NotFound as exc:
            if not skip_missing:
                raise KBError(f"{exc}; nothing was changed (--skip-missing goes on without "
                              "it)") from None
            report.missing.append(str(exc))
    stamp = now_iso()
    with kb.write() as db:
        for paper, answer in answers:
            assert paper.key is not None
            _mark(db, source, answer)
            item = Enrichment(key=paper.key, source=source, fetched_at=stamp,
                              external_id=answer.external_id,
                              citation_count=answer.citation_count,
                              references=answer.references, affiliations=answer.affiliations,
                              oa_pdf=answer.oa_pdf)
            store.put_enrichment(db, item)
            record_affiliations(db, paper.key, {a.author: a.institutions
                                                for a in answer.affiliations}, source)
            for ref in answer.references:
                if ref.key and ref.key != paper.key:
                    cite_store.add_citation(db, paper.key, ref.key, source)
            report.enriched.append(item)
        # A paper enriched in this same run may be the OpenAlex id another one cites.
        for item in report.enriched:
            if any(r.key is None and r.external_id for r in item.references):
                _mark(db, source, Answer(None, None, item.references, [], None))
                store.put_enrichment(db, item)
                for ref in item.references:
                    if ref.key and ref.key != item.key:
                        cite_store.add_citation(db, item.key, ref.key, source)
    return report


def enrichment_record(kb: KB, key: str) -> list[dict[str, Any]]:
    """``show --json``'s ``enrichment``: what each source said, with its date."""
    if not kb.has_store:
        return []
    return [e.public_dict() for e in store.enrichments_of(kb.conn, key)]
