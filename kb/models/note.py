"""A reading note's status as the notes index holds it (``notes`` table)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kb.models.base import Record


class NoteWarning(Record):
    line: int
    message: str


class FutureRef(Record):
    """A paper listed under Future reading: ``ref`` as written, ``key`` once it is in the KB."""

    kind: str | None = None
    ref: str
    line: int | None = None
    key: str | None = None


class NoteStatus(Record):
    """What the index knows of ``notes/{key}.md``: answered questions, read-on date, time."""

    key: str
    path: str
    title: str | None = None
    header: dict[str, Any] | None = None
    answered: int = 0
    questions: int = 0
    read_on: str | None = None
    minutes: int | None = None
    topics: list[str] = Field(default_factory=list)
    future: list[FutureRef] = Field(default_factory=list)
    warnings: list[NoteWarning] = Field(default_factory=list)

    @property
    def read(self) -> bool:
        return bool(self.read_on)

    def public_dict(self) -> dict[str, Any]:
        """``show --json``'s ``note``."""
        return {
            "key": self.key, "path": self.path, "title": self.title, "read": self.read,
            "answered": self.answered, "questions": self.questions, "read_on": self.read_on,
            "minutes": self.minutes, "topics": self.topics,
            "future": [{"kind": f.kind, "ref": f.ref, "key": f.key} for f in self.future],
            "warnings": [{"line": w.line, "message": w.message} for w in self.warnings],
        }
