"""Everything known about one paper, gathered for ``show``."""

from __future__ import annotations

from typing import Any

from kb.config import KB
from kb.core.social import social_record
from kb.models import Paper
from kb.notes.status import note_for
from kb.repro.links import linked_reproductions
from kb.store.papers import get_paper


def paper_record(kb: KB, paper: Paper) -> dict[str, Any]:
    """The stable ``show --json`` object: the paper's fields, its note, social record and
    linked reproductions."""
    record = paper.public_dict()
    record["note"] = note_for(kb, paper.key)
    record["social"] = social_record(kb, paper.key)
    record["reproductions"] = linked_reproductions(kb, paper.key)
    return record


def find(kb: KB, ref: str) -> Paper | None:
    return get_paper(kb.db, ref)
