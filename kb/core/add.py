"""The core of ``mtlkb add``: references (arXiv ids, DOIs) -> their sources -> the store ->
reading notes.

All or nothing: every reference is matched to a source (:mod:`kb.sources.registry`) before
any request, every paper is fetched (arXiv: one request for all ids; Crossref: one per DOI)
before the store is touched, and the store is written in one transaction. Adding a paper
again refreshes its fetched fields and keeps what the user set (key, topics, note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.config import KB, KBError
from kb.core.institutions import record_affiliations
from kb.ids import normalize_doi
from kb.models import Paper
from kb.notes.create import ensure_note
from kb.sources.base import FetchOptions
from kb.sources.registry import match_refs
from kb.store.papers import PaperWriter, get_paper, set_fields


@dataclass
class Added:
    """One paper of an ``add``: its key, ids, what happened, its title and its source."""

    key: str
    arxiv_id: str | None
    action: str  # "added" or "refreshed"
    title: str
    note: Path | None = None
    doi: str | None = None
    source: str = "arXiv"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "arxiv_id": self.arxiv_id, "doi": self.doi,
                "action": self.action, "title": self.title, "source": self.source}


@dataclass
class AddReport:
    papers: list[Added] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _settings(kb: KB, table: str) -> dict[str, Any]:
    section = kb.settings.get(table, {})
    if not isinstance(section, dict):
        raise KBError(f"{kb.config_path}: [{table}] must be a table")
    return section


def _arxiv_settings(kb: KB) -> dict[str, Any]:
    return _settings(kb, "arxiv")


def _seconds(value: Any, what: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise KBError(f"{what} must be a positive number of seconds, not {value!r}")
    return float(value)


def resolve_timeout(kb: KB, timeout: float | None) -> float:
    """``timeout`` if given, else ``mtlkb.toml`` ``[arxiv] timeout``, else the default."""
    from kb.sources.arxiv_source import DEFAULT_TIMEOUT

    if timeout is not None:
        return _seconds(timeout, "--timeout")
    value = _arxiv_settings(kb).get("timeout", DEFAULT_TIMEOUT)
    return _seconds(value, f"{kb.config_path.name} [arxiv] timeout")


def _options(kb: KB, source: str, timeout: float | None, endpoint: str | None
             ) -> FetchOptions:
    """The fetch options of one source from ``--timeout`` and ``mtlkb.toml``."""
    from kb.sources.arxiv_source import DEFAULT_RETRY_DELAY

    if source == "arXiv":
        delay = _seconds(
            _arxiv_settings(kb).get("retry_delay", DEFAULT_RETRY_DELAY),
            f"{kb.config_path.name} [arxiv] retry_delay", allow_zero=True,
        )
        return FetchOptions(resolve_timeout(kb, timeout), delay, endpoint)
    table = source.lower()
    section = _settings(kb, table)
    if timeout is not None:
        seconds = _seconds(timeout, "--timeout")
    else:
        seconds = _seconds(section.get("timeout", 20.0), f"{kb.config_path.name} [{table}] timeout")
    mailto = section.get("mailto")
    if mailto is not None and not (isinstance(mailto, str) and "@" in mailto):
        raise KBError(f"{kb.config_path.name} [{table}] mailto must be an e-mail address, "
                      f"not {mailto!r}")
    return FetchOptions(seconds, 0.0, endpoint, mailto or None)


def run(
    kb: KB,
    refs: list[str],
    *,
    timeout: float | None = None,
    with_notes: bool = True,
    endpoint: str | None = None,
    endpoints: dict[str, str] | None = None,
) -> AddReport:
    """Fetch ``refs`` from their sources and add or refresh them in ``kb``.

    ``endpoint`` overrides arXiv's endpoint; ``endpoints`` any source's, by source name.
    Raises :class:`KBError` (a fetch error of the source) with a one-line message; the
    store is then unchanged.
    """
    matched = match_refs(refs)
    overrides = {"arXiv": endpoint, **(endpoints or {})}
    groups: dict[str, tuple[Any, list[str]]] = {}
    for source, ident in matched:
        groups.setdefault(source.name, (source, []))[1].append(ident)
    options = {name: _options(kb, name, timeout, overrides.get(name)) for name in groups}
    kb.db  # noqa: B018 - open (and migrate) the store before going to the network
    fetched: dict[tuple[str, str], Paper] = {}
    for name, (source, ids) in groups.items():
        for ident, paper in zip(ids, source.fetch(ids, options[name]), strict=True):
            fetched[(name, ident)] = paper

    report = AddReport()
    with kb.write() as db:
        writer = PaperWriter(db)
        for source, ident in matched:
            paper = fetched[(source.name, ident)]
            result = writer.put(paper, refresh=True)
            if paper.source == "arxiv":
                _sync_generated(db, result.key, paper)
                record_affiliations(db, result.key, paper.affiliations, "arxiv")
            action = "added" if result.action == "added" else "refreshed"
            report.papers.append(Added(result.key, paper.arxiv_id, action, paper.title,
                                       doi=normalize_doi(paper.doi), source=source.name))
    if with_notes:
        _ensure_notes(kb, report)
    return report


def _sync_generated(db: Any, key: str, paper: Paper) -> None:
    """Keep the generated BibTeX (with the paper's real key) and the arXiv venue current.

    A BibTeX entry that came from elsewhere (an imported .bib) and a venue the user or an
    import set are left alone.
    """
    from kb.sources.bibtex_writer import arxiv_entry

    stored = get_paper(db, key)
    assert stored is not None
    updates: dict[str, Any] = {}
    if stored.source in (None, "", "arxiv"):
        generated = arxiv_entry(paper, key)
        if generated != stored.bibtex:
            updates["bibtex"] = generated
    if stored.venue in (None, "", "arXiv") and paper.venue and paper.venue != stored.venue:
        updates["venue"] = paper.venue
    set_fields(db, key, updates)


def _ensure_notes(kb: KB, report: AddReport) -> None:
    """Create each paper's reading note (never overwriting one)."""
    for item in report.papers:
        try:
            item.note = ensure_note(kb, item.key)
        except (KBError, OSError) as exc:
            report.warnings.append(f"no note for {item.key}: {exc}")
