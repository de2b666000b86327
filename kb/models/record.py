"""The paper record beyond the social one (issue 16): discussion comments, code and dataset
links, citations inside the KB, institutions and what open APIs said about a paper."""

from __future__ import annotations

from pydantic import Field

from kb.models.base import Record

LINK_KINDS = ("code", "dataset")


class Comment(Record):
    """One comment of a paper's discussion; ``parent_id`` is the comment it replies to."""

    id: int
    key: str
    parent_id: int | None = None
    author: str
    body: str
    created_at: str
    edited_at: str | None = None
    replies: list[Comment] = Field(default_factory=list)

    def public_dict(self, *, with_key: bool = False) -> dict:
        out = {"id": self.id, "parent_id": self.parent_id, "author": self.author,
               "body": self.body, "created_at": self.created_at, "edited_at": self.edited_at,
               "replies": [r.public_dict(with_key=with_key) for r in self.replies]}
        if with_key:
            out = {"key": self.key, **out}
        return out

    def flat_dict(self) -> dict:
        """The row alone (export): no nested replies."""
        return {"id": self.id, "key": self.key, "parent_id": self.parent_id,
                "author": self.author, "body": self.body, "created_at": self.created_at,
                "edited_at": self.edited_at}


class PaperLink(Record):
    """A code or dataset link of a paper. ``source``: manual, canon, enrichment or
    reproduction (a linked reproduction, whose ``url`` is its page in the site)."""

    key: str
    kind: str
    url: str | None = None
    name: str = ""
    source: str = "manual"
    added_at: str | None = None
    reproduction: str | None = None

    def public_dict(self) -> dict:
        out = {"kind": self.kind, "name": self.name, "url": self.url, "source": self.source}
        if self.reproduction:
            out["reproduction"] = self.reproduction
        return out


class Institution(Record):
    """An institution named for a paper, with the authors it was named for."""

    name: str
    authors: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)  # arxiv, bibtex, semanticscholar, ...

    def public_dict(self) -> dict:
        return {"name": self.name, "authors": self.authors, "sources": self.sources}


class ExternalReference(Record):
    """A reference an open API lists for a paper; ``key`` is set when it is in the KB."""

    title: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    external_id: str | None = None
    key: str | None = None


class AuthorAffiliation(Record):
    author: str
    institutions: list[str] = Field(default_factory=list)


class Enrichment(Record):
    """What one open API said about one paper, cached in the store."""

    key: str
    source: str
    fetched_at: str
    external_id: str | None = None
    citation_count: int | None = None
    references: list[ExternalReference] = Field(default_factory=list)
    affiliations: list[AuthorAffiliation] = Field(default_factory=list)
    oa_pdf: str | None = None

    def public_dict(self) -> dict:
        return {"source": self.source, "fetched_at": self.fetched_at,
                "external_id": self.external_id, "citation_count": self.citation_count,
                "oa_pdf": self.oa_pdf,
                "references": [r.model_dump() for r in self.references],
                "affiliations": [a.model_dump() for a in self.affiliations]}


class Citations(Record):
    """A paper's citations inside the KB (``show --json``'s ``references`` / ``cited_by``)."""

    references: list[str] = Field(default_factory=list)  # keys this paper cites
    cited_by: list[str] = Field(default_factory=list)    # keys citing it
