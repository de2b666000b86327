"""Everything known about one paper, gathered for ``show`` (and the site)."""

from __future__ import annotations

import importlib
from typing import Any

from kb.config import KB
from kb.models import Paper
from kb.store.papers import get_paper

# Extra sections of a paper's record: (JSON field, module, function(kb, key) -> value).
SECTIONS = (
    ("note", "kb.notes.status", "note_for"),
    ("social", "kb.social", "social_record"),
    ("reproductions", "kb.runs", "linked_reproductions"),
)


def paper_record(kb: KB, paper: Paper) -> dict[str, Any]:
    """The stable ``show --json`` object: the paper's fields plus its extra sections."""
    record = paper.public_dict()
    for field, module_name, func in SECTIONS:
        module = importlib.import_module(module_name)
        record[field] = getattr(module, func)(kb, paper.key)
    return record


def find(kb: KB, ref: str) -> Paper | None:
    return get_paper(kb.db, ref)
