"""A paper's social record: vote, saved, collections and structured reviews."""

from __future__ import annotations

from pydantic import Field

from kb.models.base import Record


class Review(Record):
    id: int
    key: str
    strength: str | None = None
    concern: str | None = None
    question: str | None = None
    created_at: str

    def public_dict(self, *, with_key: bool = False) -> dict:
        out = self.model_dump(exclude=set() if with_key else {"key"})
        return out


class Collection(Record):
    name: str
    created_at: str | None = None
    description: str | None = None
    papers: list[str] = Field(default_factory=list)  # keys, in the order they were added

    def summary(self) -> dict:
        """``collection list --json``: the number of papers, not their keys."""
        return {"name": self.name, "created_at": self.created_at,
                "description": self.description, "papers": len(self.papers)}


class PaperSocial(Record):
    """The ``paper_social`` row of a paper."""

    key: str
    vote: int = 0
    saved: bool = False
    voted_at: str | None = None
    saved_at: str | None = None


class SocialRecord(Record):
    """Everything social about one paper (``show --json``'s ``social``)."""

    vote: int = 0
    saved: bool = False
    collections: list[str] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list)

    def public_dict(self) -> dict:
        return {"vote": self.vote, "saved": self.saved, "collections": self.collections,
                "reviews": [r.public_dict() for r in self.reviews]}
