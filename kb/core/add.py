"""The core of ``mtlkb add``: arXiv ids -> one API request -> the store -> reading notes.

All or nothing: every id is checked before any request, all are fetched in one request, and
the store is written only when every requested id came back. Adding a paper again refreshes
its arXiv fields and keeps what the user set (key, topics, note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.config import KB, KBError
from kb.core.institutions import record_affiliations
from kb.ids import BadId, parse_arxiv_id
from kb.models import Paper
from kb.notes.create import ensure_note
from kb.store.papers import PaperWriter, get_paper, set_fields


@dataclass
class Added:
    """One paper of an ``add``: its key, arXiv id, what happened and its title."""

    key: str
    arxiv_id: str
    action: str  # "added" or "refreshed"
    title: str
    note: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "arxiv_id": self.arxiv_id, "action": self.action,
                "title": self.title}


@dataclass
class AddReport:
    papers: list[Added] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_refs(refs: list[str]) -> list[str]:
    """The versionless arXiv ids named by ``refs``, deduplicated, in order.

    Raises :class:`KBError` naming every malformed one (before anything is requested).
    """
    ids: list[str] = []
    bad: list[str] = []
    for ref in refs:
        try:
            ids.append(parse_arxiv_id(ref)[0])
        except BadId:
            bad.append(ref)
    if bad:
        named = ", ".join(repr(b) for b in bad)
        raise KBError(
            f"not an arXiv id: {named} (expected e.g. 2009.09796, 2009.09796v2, "
            f"hep-th/9901001 or an arxiv.org URL); nothing was fetched"
        )
    if not ids:
        raise KBError("no arXiv id given")
    return list(dict.fromkeys(ids))


def _arxiv_settings(kb: KB) -> dict[str, Any]:
    section = kb.settings.get("arxiv", {})
    if not isinstance(section, dict):
        raise KBError(f"{kb.config_path}: [arxiv] must be a table")
    return section


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


def run(
    kb: KB,
    refs: list[str],
    *,
    timeout: float | None = None,
    with_notes: bool = True,
    endpoint: str | None = None,
) -> AddReport:
    """Fetch ``refs`` from arXiv in one request and add or refresh them in ``kb``.

    Raises :class:`KBError` (an :class:`~kb.sources.arxiv_source.ArxivFetchError` for fetch
    failures) with a one-line message; the store is then unchanged.
    """
    from kb.sources.arxiv_source import DEFAULT_RETRY_DELAY, fetch

    ids = parse_refs(refs)
    seconds = resolve_timeout(kb, timeout)
    delay = _seconds(
        _arxiv_settings(kb).get("retry_delay", DEFAULT_RETRY_DELAY),
        f"{kb.config_path.name} [arxiv] retry_delay",
        allow_zero=True,
    )
    kb.db  # noqa: B018 - open (and migrate) the store before going to the network
    papers = fetch(ids, timeout=seconds, endpoint=endpoint, retry_delay=delay)

    report = AddReport()
    with kb.write() as db:
        writer = PaperWriter(db)
        for paper in papers:
            result = writer.put(paper, refresh=True)
            _sync_generated(db, result.key, paper)
            record_affiliations(db, result.key, paper.affiliations, "arxiv")
            action = "added" if result.action == "added" else "refreshed"
            report.papers.append(Added(result.key, paper.arxiv_id, action, paper.title))
    if with_notes:
        _ensure_notes(kb, report)
    return report


def _sync_generated(db: Any, key: str, paper: Paper) -> None:
    """Keep the generated BibTeX (with the paper's real key) and the arXiv venue current.

    A BibTeX entry that came from elsewhere (an imported .bib) and a venue the user or an
    import set are left alone.
    """
    from kb.sources.arxiv_source import render_bibtex

    stored = get_paper(db, key)
    assert stored is not None
    updates: dict[str, Any] = {}
    if stored.source in (None, "", "arxiv") or not stored.bibtex:
        generated = render_bibtex(paper, key)
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
