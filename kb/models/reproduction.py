"""A reproduction as the KB shows it: its registry entry, its runs here, the papers it is
linked to. The JSON shapes of ``repro list|show --json`` and of a paper's
``reproductions`` (``show --json``) are these models' dumps, fields in declaration order."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel

from kb.models.run import Run, RunSummary
from reproductions.spec import Reproduction

# How a paper and a reproduction are linked: ``arxiv`` or ``doi`` (the paper's id matches the
# registry's), ``registry`` (the key the registry names, ``paper_keys``), else the ``source``
# column of a link made by hand (``paper_reproductions``: ``manual`` unless a tool wrote
# another word, so any text is kept).
LinkSource = str

# The fields ``repro list --json`` prints, in its order.
LIST_FIELDS = ("id", "title", "arxiv_ids", "claim", "last_verdict", "last_verdict_scale", "doi",
               "n_runs", "latest", "reference")


class ReproductionInfo(BaseModel):
    """A registry entry as shown: id, title, the arXiv ids and DOI it reproduces, its claim."""

    id: str
    title: str
    arxiv_ids: list[str]
    claim: str
    doi: str | None = None

    @classmethod
    def of(cls, repro: Reproduction, **more: Any) -> Self:
        return cls(id=repro.id, title=repro.title, arxiv_ids=list(repro.arxiv_ids),
                   claim=repro.claim, doi=repro.doi, **more)


class ReproductionStatus(ReproductionInfo):
    """A reproduction with its ``latest`` run here and its bundled ``reference`` run, apart.

    ``last_verdict``/``last_verdict_scale`` are the latest run's, never the reference's;
    ``latest_run`` is the run whose results a page shows: the latest, else the reference.
    """

    last_verdict: str | None = None
    last_verdict_scale: str | None = None
    latest: RunSummary | None = None
    reference: RunSummary | None = None
    latest_run: RunSummary | None = None
    n_runs: int = 0

    def list_dict(self) -> dict[str, Any]:
        """One item of ``repro list --json``."""
        dumped = self.model_dump()
        return {name: dumped[name] for name in LIST_FIELDS}


class LinkedReproduction(ReproductionStatus):
    """A reproduction linked to a paper, and how (one of a paper's ``reproductions``)."""

    source: LinkSource


class LinkedPaper(BaseModel):
    """A paper in the KB a reproduction is linked to, and how."""

    key: str
    title: str | None = None
    arxiv_id: str | None = None
    source: LinkSource


class ReproductionDetail(ReproductionStatus):
    """``repro show --json``'s ``reproduction``: the status, the linked papers, the module."""

    papers: list[LinkedPaper]
    module: str


class ReproductionRuns(ReproductionInfo):
    """What the site shows of a reproduction: every run (newest first, bundled reference
    runs merged in) and the keys of the papers linked to it."""

    runs: list[Run]
    papers: list[str]


class PaperIds(BaseModel):
    """The identifiers a reproduction is matched on, of one stored paper."""

    key: str
    arxiv_id: str | None = None
    doi: str | None = None
    title: str | None = None


class ReproductionLink(BaseModel):
    """A manual paper -> reproduction link made (``link --json``) or removed (``removed``:
    ``link --remove --json``)."""

    paper_key: str
    reproduction: str
    source: str | None = None
    removed: bool | None = None

    def public_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
