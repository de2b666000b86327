"""Pydantic models at the boundaries: a paper as sources produce it and commands print it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Author(BaseModel):
    """One author; ``name`` is the display form "First Last" (or a corporate name)."""

    first: str = ""
    last: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()

    @classmethod
    def from_display(cls, name: str) -> Author:
        """Split "First Middle Last" on the last space (a single word is a last name)."""
        name = " ".join(name.split())
        first, _, last = name.rpartition(" ")
        return cls(first=first, last=last)


class Paper(BaseModel):
    """A paper record: what sources produce and the store holds."""

    key: str | None = None
    title: str
    authors: list[Author] = Field(default_factory=list)
    year: int | None = None
    month: int | None = None
    venue: str | None = None
    entry_type: str | None = None
    abstract: str | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    url: str | None = None
    pdf_url: str | None = None
    published: str | None = None
    updated: str | None = None
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list)
    journal_ref: str | None = None
    comment: str | None = None
    topics: list[str] = Field(default_factory=list)
    bibtex: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    source: str | None = None
    added_at: str | None = None
    # Author display name -> the institutions a source named (arXiv's arxiv:affiliation);
    # not a column of ``papers``: the store keeps them in ``paper_institutions``.
    affiliations: dict[str, list[str]] = Field(default_factory=dict)

    def public_dict(self) -> dict:
        """The stable JSON shape of ``list --json`` / ``show --json``."""
        return {
            "key": self.key,
            "arxiv_id": self.arxiv_id,
            "doi": self.doi,
            "title": self.title,
            "authors": [a.name for a in self.authors],
            "year": self.year,
            "venue": self.venue,
            "abstract": self.abstract,
            "url": self.url,
            "pdf_url": self.pdf_url,
            "topics": self.topics,
            "entry_type": self.entry_type,
            "arxiv_version": self.arxiv_version,
            "published": self.published,
            "updated": self.updated,
            "primary_category": self.primary_category,
            "categories": self.categories,
            "journal_ref": self.journal_ref,
            "comment": self.comment,
            "added_at": self.added_at,
        }
