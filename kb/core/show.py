"""Everything known about one paper, gathered for ``show``."""

from __future__ import annotations

from typing import Any

from kb.config import KB
from kb.core.social import social_record
from kb.models import Paper
from kb.notes.status import note_for
from kb.repro.links import linked_reproductions
from kb.store.papers import get_paper
from kb.store.versions import aliases_of, versions_of


def paper_record(kb: KB, paper: Paper) -> dict[str, Any]:
    """The stable ``show --json`` object: the paper's fields, its note, social record,
    linked reproductions, the keys merged into it (``aliases``) and its ``versions`` (each
    record merged into it, as it came: a preprint and its published version)."""
    record = paper.public_dict()
    record["note"] = note_for(kb, paper.key)
    record["social"] = social_record(kb, paper.key)
    record["reproductions"] = linked_reproductions(kb, paper.key)
    record["aliases"] = aliases_of(kb.db, paper.key)
    record["versions"] = [v.public_dict() for v in versions_of(kb.db, paper.key)]
    return record


def find(kb: KB, ref: str) -> Paper | None:
    return get_paper(kb.db, ref)
