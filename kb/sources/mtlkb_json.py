"""mtlkb's own JSON (``mtlkb export --format json``, ``list --json``) -> papers.

A file is mtlkb JSON when it is a JSON document (by its ``.json`` name or its first
character) that the CSL-JSON source did not claim: an array of paper objects, or
``{"papers": [...], "social": {...}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePath

from kb.models import Author, Paper, PaperVersion
from kb.sources.records import BibRecord, Problem, Records


def looks_like_json(name: str, text: str) -> bool:
    """A ``.json`` file, or one whose text starts like JSON (and is not named ``.bib``)."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".json":
        return True
    head = text[:64].lstrip("\ufeff \t\r\n")
    return head[:1] in ("[", "{") and suffix != ".bib"


def paper_from_json(obj: dict) -> Paper:
    """A paper object of ``mtlkb export --format json`` (or ``list --json``) -> Paper."""
    data = {k: v for k, v in obj.items() if k in Paper.model_fields and v is not None}
    full = obj.get("authors_full")
    if isinstance(full, list):
        data["authors"] = [
            Author(first=a.get("first") or "", last=a.get("last") or "") for a in full
        ]
    elif isinstance(obj.get("authors"), list):
        data["authors"] = [
            Author.from_display(a) if isinstance(a, str) else Author(**a) for a in obj["authors"]
        ]
    data.setdefault("source", "json")
    return Paper(**data)


@dataclass
class JsonRecord(BibRecord):
    """A paper of a JSON export, with the keys merged into it and its versions."""

    aliases: list[str] = field(default_factory=list)
    versions: list[PaperVersion] = field(default_factory=list)


def identity_from_json(obj: dict) -> tuple[list[str], list[PaperVersion]]:
    """The ``aliases`` and ``versions`` of a paper object (``mtlkb export --format json``)."""
    aliases = obj.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError("aliases: not a list of keys")
    versions = obj.get("versions") or []
    if not isinstance(versions, list):
        raise ValueError("versions: not a list")
    return aliases, [PaperVersion.model_validate(v) for v in versions]


def obj_key(obj: object) -> str | None:
    return obj.get("key") if isinstance(obj, dict) else None


def parse_json(text: str, file: str) -> Records:
    """The records (and the social section, if any) of one mtlkb JSON file."""
    result = Records()
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        result.problems.append(Problem(file, exc.lineno, f"not valid JSON ({exc.msg})"))
        return result
    social = None
    if isinstance(data, dict):
        social = data.get("social")
        if isinstance(data.get("record"), dict):  # comments, links, citations (issue 16)
            social = {**(social if isinstance(social, dict) else {}), "record": data["record"]}
        items = data.get("papers")
    else:
        items = data
    if not isinstance(items, list):
        result.problems.append(
            Problem(file, 1, "expected a JSON array of papers or {\"papers\": [...]}")
        )
        return result
    for i, obj in enumerate(items, 1):
        try:
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            paper = paper_from_json(obj)
            aliases, versions = identity_from_json(obj)
        except (ValueError, TypeError) as exc:
            msg = " ".join(str(exc).split())[:200]
            result.problems.append(
                Problem(file, 0, f"item {i}: not a paper ({msg}); not imported", obj_key(obj))
            )
            continue
        result.records.append(JsonRecord(paper, file, 0, item=i, aliases=aliases,
                                         versions=versions))
    if isinstance(social, dict):
        result.socials.append(social)
    return result


class MtlkbJsonFiles:
    """The mtlkb JSON file source."""

    name = "mtlkb JSON"

    def match(self, name: str, text: str) -> bool:
        return looks_like_json(name, text)

    def fetch(self, files: list[tuple[str, str]]) -> Records:
        out = Records()
        for name, text in files:
            out.extend(parse_json(text, name))
        return out
