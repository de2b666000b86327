"""What file sources return: records with where they came from, and the problems met."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.models import Paper


@dataclass
class Problem:
    """Something in a file that could not be imported as it is."""

    file: str
    line: int  # 1-based
    message: str
    key: str | None = None
    kind: str = "error"  # "error" (counts as a failure) or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.kind}: {self.message}"


@dataclass
class BibRecord:
    """One paper read from a file: ``line`` for text formats, ``item`` (1-based) for JSON."""

    paper: Paper
    file: str
    line: int  # 1-based line of the entry's "@" (0 when not from a BibTeX file)
    item: int | None = None  # position in a JSON array

    @property
    def loc(self) -> str:
        if self.item is not None:
            where = f"{self.file}:{self.line}" if self.line else self.file
            return f"{where} (item {self.item})" if self.line else f"{where}: item {self.item}"
        return f"{self.file}:{self.line}"


@dataclass
class Records:
    """The records of one or more files, the problems met, and (mtlkb JSON) social records."""

    records: list[BibRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    strings: int = 0  # number of @string definitions (BibTeX)
    socials: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "error"]

    def extend(self, other: Records) -> None:
        self.records.extend(other.records)
        self.problems.extend(other.problems)
        self.strings += other.strings
        self.socials.extend(other.socials)


BibParse = Records  # the name the BibTeX reader has always used
