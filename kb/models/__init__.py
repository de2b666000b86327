"""Pydantic models of every record that crosses a layer: sources -> store -> core -> CLI/site.

``paper``: :class:`Paper`, :class:`Author`; ``version``: :class:`PaperVersion`;
``run``: :class:`Run` (one shape for stored and reference runs), :class:`RunSummary`;
``reproduction``: a reproduction's status, links and runs as the CLI and the site show them
(:class:`ReproductionStatus`, :class:`LinkedReproduction`, :class:`LinkedPaper`, ...);
``note``: :class:`NoteStatus`;
``social``: votes, collections, reviews; ``record``: comments, code/dataset links,
institutions, enrichment (issue 16). The store (:mod:`kb.store`) returns these.
"""

from kb.models.paper import Author, Paper
from kb.models.version import PaperVersion, VersionKind

__all__ = ["Author", "Paper", "PaperVersion", "VersionKind"]
