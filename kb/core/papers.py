"""Operations on papers already in the store: list as JSON, tag, untag, remove."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kb.config import KB, KBError
from kb.store.papers import add_topics, delete_paper, iter_papers, remove_topics, resolve_key


def json_array(items: Iterable[object]) -> Iterator[str]:
    """``items`` as the text of ``json.dumps(list(items), indent=2, ensure_ascii=False,
    default=str)`` (no final newline), an item at a time."""
    sep = "[\n  "
    for item in items:  # (json.dumps writes an empty array as [])
        text = json.dumps(item, indent=2, ensure_ascii=False, default=str)
        yield sep + text.replace("\n", "\n  ")
        sep = ",\n  "
    yield "[]" if sep == "[\n  " else "\n]"


def list_json(kb: KB, *, topic: str | None = None, sort: str = "key",
              limit: int | None = None) -> Iterator[str]:
    """``list --json``: the papers' public records as a JSON array, streamed."""
    return json_array(p.public_dict() for p in iter_papers(kb.db, topic=topic, sort=sort,
                                                           limit=limit))


@dataclass
class TagReport:
    key: str
    changed: list[str] = field(default_factory=list)    # topics added (tag) or removed (untag)
    unchanged: list[str] = field(default_factory=list)  # already there / were not there


def _key(kb: KB, db, ref: str) -> str:
    key = resolve_key(db, ref)
    if key is None:
        raise KBError(f"no paper {ref!r}")
    return key


def tag(kb: KB, ref: str, topics: list[str]) -> TagReport:
    """Add ``topics`` to a paper; the report says which it already had."""
    wanted = [t for t in dict.fromkeys(t.strip() for t in topics) if t]
    with kb.write() as db:
        key = _key(kb, db, ref)
        added = add_topics(db, key, wanted)
    return TagReport(key, added, [t for t in wanted if t not in added])


def untag(kb: KB, ref: str, topics: list[str]) -> TagReport:
    """Remove ``topics`` from a paper; the report says which it did not have."""
    wanted = list(dict.fromkeys(topics))
    with kb.write() as db:
        key = _key(kb, db, ref)
        removed = remove_topics(db, key, wanted)
    return TagReport(key, removed, [t for t in wanted if t not in removed])


def resolve_all(kb: KB, refs: list[str]) -> list[str]:
    """The keys ``refs`` name, in order; the first unknown one raises :class:`KBError`."""
    return [_key(kb, kb.conn, ref) for ref in refs]


def remove(kb: KB, keys: list[str]) -> None:
    """Remove papers and their links (note files stay on disk)."""
    with kb.write() as db:
        for key in keys:
            delete_paper(db, key)
