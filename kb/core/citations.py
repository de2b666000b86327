"""Citations inside the KB: ``mtlkb cite CITING CITED...`` and a paper's ``references`` /
``cited_by`` (the keys of the KB's papers it cites and that cite it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.config import KB, KBError
from kb.store import citations as store
from kb.store.lookup import resolve_key


@dataclass
class CiteChange:
    citing: str
    changed: list[str] = field(default_factory=list)    # cited keys added (or removed)
    unchanged: list[str] = field(default_factory=list)  # already so

    def as_json(self) -> dict:
        return {"citing": self.citing, "changed": self.changed, "unchanged": self.unchanged}


def cite(kb: KB, citing_ref: str, cited_refs: list[str], *, remove: bool = False,
         source: str = "manual") -> CiteChange:
    """Record (or with ``remove`` forget) that ``citing_ref`` cites each of ``cited_refs``.
    Every paper must be in the KB, and none may cite itself; otherwise nothing changes."""
    if not cited_refs:
        raise KBError("name at least one cited paper")
    with kb.write() as db:
        citing = resolve_key(db, citing_ref)
        if citing is None:
            raise KBError(f"no paper {citing_ref!r} in {kb.root}")
        cited: list[str] = []
        for ref in cited_refs:
            key = resolve_key(db, ref)
            if key is None:
                raise KBError(f"no paper {ref!r} in {kb.root} (nothing was recorded)")
            if key == citing:
                raise KBError(f"{citing} cannot cite itself (nothing was recorded)")
            if key not in cited:
                cited.append(key)
        change = CiteChange(citing)
        for key in cited:
            done = (store.remove_citation(db, citing, key) if remove
                    else store.add_citation(db, citing, key, source))
            (change.changed if done else change.unchanged).append(key)
    return change


def citations_record(kb: KB, key: str) -> dict[str, dict]:
    """``{"references": {"count", "keys"}, "cited_by": {"count", "keys"}}`` in the KB."""
    refs = store.references_of(kb.conn, key) if kb.has_store else []
    by = store.cited_by(kb.conn, key) if kb.has_store else []
    return {"references": {"count": len(refs), "keys": refs},
            "cited_by": {"count": len(by), "keys": by}}
