"""``mtlkb merge A B`` and ``mtlkb split KEY``: the user's last word on identity (issue 15).

``merge`` makes paper B one of paper A's versions: B's record is kept whole, its key stays
an alias of A, its topics, collections, reviews, reproduction links, social record and
paper record (comments, code/dataset links, citations, institutions, summary) go to A.
``split`` undoes a merge, automatic or not: the merged-away key becomes a paper of its own
again, from its record as it came, and the pair is never merged automatically again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.config import KB, KBError
from kb.models import Paper, PaperVersion
from kb.notes.create import note_path
from kb.store import versions as v
from kb.store.lookup import resolve_key
from kb.store.papers import PaperWriter, delete_paper, get_paper, topics_of

BY_USER = "merged by `mtlkb merge`"


@dataclass
class MergeReport:
    into: str  # the paper that stays
    merged: str  # the key merged into it (now an alias)
    cited_as: str  # the kind of version the paper is cited as now
    aliases: list[str] = field(default_factory=list)  # every key that now names ``into``
    notes_left: Path | None = None  # B's note: left as it is (a note is never rewritten)


@dataclass
class SplitReport:
    key: str  # the paper split off (its own key again)
    source: str  # the paper it was a version of
    dropped: list[str] = field(default_factory=list)  # identifiers the other paper kept


def _paper(db, ref: str) -> Paper:
    paper = get_paper(db, ref)
    if paper is None:
        raise KBError(f"no paper {ref!r}")
    return paper


def merge(kb: KB, ref_a: str, ref_b: str) -> MergeReport:
    """Merge paper ``ref_b`` into paper ``ref_a`` (both: a key, alias, arXiv id or DOI)."""
    with kb.write() as db:
        a, b = _paper(db, ref_a), _paper(db, ref_b)
        assert a.key is not None and b.key is not None
        if a.key == b.key:
            raise KBError(f"{ref_a!r} and {ref_b!r} are already one paper ({a.key!r})")
        kept_a, kept_b = v.versions_of(db, a.key), v.versions_of(db, b.key)
        if not kept_a:
            v.put_version(db, a.key, PaperVersion(key=a.key, kind=v.version_kind(a), record=a,
                                                  added_at=a.added_at))
            kept_a = v.versions_of(db, a.key)
        a_kind, b_kind = v.cited_kind(kept_a, a), v.cited_kind(kept_b, b)
        v.move_links(db, b.key, a.key)  # B's own versions (if any) come along
        if not kept_b:
            v.put_version(db, a.key, PaperVersion(key=b.key, kind=b_kind, record=b,
                                                  why=BY_USER, added_at=b.added_at))
        delete_paper(db, b.key)  # its note row goes; the note file stays on disk
        v.add_alias(db, b.key, a.key, BY_USER)
        v.remove_split(db, a.key, b.key)
        writer = PaperWriter(db)  # its indexes no longer hold B
        row = writer.read(a.key)
        writer.write_row(a.key, row, v.combine(row, a_kind, b, b_kind))
        writer.flush()
        cited = max(a_kind, b_kind, key=v.RANK.__getitem__)
        report = MergeReport(a.key, b.key, cited, v.aliases_of(db, a.key))
    left = note_path(kb, b.key)
    report.notes_left = left if left.is_file() else None
    return report


def split(kb: KB, key: str) -> SplitReport:
    """Make the merged-away ``key`` a paper of its own again, from its record as it came."""
    with kb.write() as db:
        source = v.alias_target(db, key)
        if source is None:
            if resolve_key(db, key) == key and v.aliases_of(db, key):
                raise KBError(
                    f"{key!r} is the paper's own key; split one of the keys merged into it: "
                    + ", ".join(v.aliases_of(db, key)))
            raise KBError(f"{key!r} is not a key merged into another paper")
        record = v.version_record(db, source, key)
        if record is None:
            raise KBError(f"{key!r} was merged into {source!r} before records were kept as "
                          "versions: its own fields are not known, so it cannot be split")
        v.remove_alias(db, key)
        v.remove_version(db, source, key)
        remaining = v.versions_of(db, source)
        writer = PaperWriter(db)
        row = writer.read(source)
        if remaining:
            # The row is made again from the records that remain (topics stay).
            writer.write_row(source, row, v.rebuild(remaining, source, topics_of(db, source)))
        if len(remaining) <= 1:
            v.clear_versions(db, source)  # one record is no versions
        writer = PaperWriter(db)  # the row's identifiers are settled: index them again
        added = writer.add_new(record.model_copy(update={"key": key}))
        if added.key != key:  # cannot happen: the alias held the key until now
            raise KBError(f"{key!r} could not be given back to its record")
        stored = writer.read(key)
        dropped = []
        if record.arxiv_id and stored.arxiv_id != record.arxiv_id:
            dropped.append(f"arXiv id {record.arxiv_id}")
        if record.doi and stored.doi != record.doi:
            dropped.append(f"DOI {record.doi}")
        v.add_split(db, source, key)
        return SplitReport(key, source, dropped)
