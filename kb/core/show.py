"""Everything known about one paper, gathered for ``show``."""

from __future__ import annotations

from typing import Any

from kb.config import KB
from kb.core.canon_record import summary_of
from kb.core.citations import citations_record
from kb.core.comments import comment_threads
from kb.core.enrich import enrichment_record
from kb.core.institutions import institutions_of
from kb.core.paper_links import links_record
from kb.core.social import social_record
from kb.models import Paper
from kb.notes.status import note_for
from kb.repro.links import linked_reproductions
from kb.store.papers import get_paper
from kb.store.versions import aliases_of, versions_of


def paper_record(kb: KB, paper: Paper) -> dict[str, Any]:
    """The stable ``show --json`` object: the paper's fields, its note, social record,
    linked reproductions, the keys merged into it (``aliases``) and its ``versions`` (each
    record merged into it, as it came: a preprint and its published version), and the paper
    record of issue 16 (summary, discussion, code and dataset links, citations in the KB,
    institutions, what open APIs said)."""
    key = paper.key or ""
    record = paper.public_dict()
    record["note"] = note_for(kb, key)
    record["social"] = social_record(kb, key)
    record["reproductions"] = [r.model_dump() for r in linked_reproductions(kb, key)]
    record["aliases"] = aliases_of(kb.db, key)
    record["versions"] = [v.public_dict() for v in versions_of(kb.db, key)]
    record["summary"] = summary_of(kb, key)
    record["comments"] = [c.public_dict() for c in comment_threads(kb, key)]
    record["links"] = links_record(kb, key)
    record.update(citations_record(kb, key))
    record["institutions"] = [i.public_dict() for i in institutions_of(kb, paper)]
    record["enrichment"] = enrichment_record(kb, key)
    return record


def find(kb: KB, ref: str) -> Paper | None:
    return get_paper(kb.db, ref)
