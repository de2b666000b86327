"""One paper's versions (issue 15): each record merged into a paper, kept as it came."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from kb.models.paper import Paper

# preprint: an arXiv (or other preprint server) record; published: a venue or a publisher's
# DOI; record: neither (a @misc without venue), fits either.
VersionKind = Literal["preprint", "published", "record"]


class PaperVersion(BaseModel):
    """A record that is (part of) a stored paper: its own key and fields, as imported."""

    key: str  # the record's own key (the paper's key, or an alias of it)
    kind: VersionKind
    record: Paper
    why: str | None = None  # the identity it shares with the paper ("same arXiv id ...")
    added_at: str | None = None

    def public_dict(self) -> dict:
        """The shape ``show --json`` lists under ``versions``."""
        r = self.record
        return {
            "key": self.key, "kind": self.kind, "entry_type": r.entry_type, "year": r.year,
            "venue": r.venue, "doi": r.doi, "arxiv_id": r.arxiv_id,
            "arxiv_version": r.arxiv_version, "pages": r.fields.get("pages"),
            "why": self.why,
        }
