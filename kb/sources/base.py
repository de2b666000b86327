"""What a source is: one module that says whether it matches a reference and fetches records.

Modelled on papis' ``Importer`` (``match(uri)`` then ``fetch()``). Two kinds share the two
verbs:

- :class:`Source` (online): ``match(ref)`` turns a reference the user typed (an arXiv id or
  URL, a DOI or doi.org URL) into the source's canonical id, or ``None``; ``fetch(ids)``
  returns one :class:`~kb.models.Paper` per id, in order, all or nothing (a
  :class:`~kb.config.KBError` with one line otherwise).
- :class:`FileSource` (files): ``match(name, text)`` says whether a file's decoded text is in
  its format; ``fetch(files)`` reads every matched file of one import into records plus the
  problems met (one import is one namespace: BibTeX macros and ``crossref`` span files).

The registries (:mod:`kb.sources.registry`) list the sources in the order they are asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kb.models import Paper
from kb.sources.records import Records


@dataclass(frozen=True)
class FetchOptions:
    """How an online source may use the network: seconds to wait, pause between retries,
    an endpoint override (tests, mirrors) and the contact address of a polite request."""

    timeout: float
    retry_delay: float = 0.0
    endpoint: str | None = None
    mailto: str | None = None


@runtime_checkable
class Source(Protocol):
    """An online source of papers, asked for the references it recognises."""

    name: str  # shown to the user: "arXiv", "Crossref"

    def match(self, ref: str) -> str | None:
        """The canonical id ``ref`` names in this source, or ``None``."""

    def fetch(self, ids: list[str], options: FetchOptions) -> list[Paper]:
        """One paper per id, in order; raises :class:`~kb.config.KBError` on any failure."""


@runtime_checkable
class FileSource(Protocol):
    """A file format that papers are read from."""

    name: str  # "BibTeX", "CSL-JSON", "mtlkb JSON"

    def match(self, name: str, text: str) -> bool:
        """Whether the file ``name`` with decoded ``text`` is in this format."""

    def fetch(self, files: list[tuple[str, str]]) -> Records:
        """The records of ``(name, text)`` files, with a problem for each bad record."""
