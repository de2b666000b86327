"""A paper's social record: vote, saved, collections (named, many to many) and reviews.

All of it lives in the store (tables ``paper_social``, ``collections``,
``collection_papers``, ``reviews``; SQL in :mod:`kb.store.social`, records in
:mod:`kb.models.social`), appears in ``show --json`` through :func:`social_record`, and
round-trips through the JSON export via :func:`export_social` / :func:`import_social`.
This module checks input and keeps the JSON shapes.
"""

from __future__ import annotations

from typing import Any

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.models.social import Collection, PaperSocial, Review, SocialRecord
from kb.store import social as store
from kb.store.lookup import all_keys, resolve_key

VOTES = {"up": 1, "down": -1, "none": 0, "+1": 1, "-1": -1, "0": 0, "1": 1, "clear": 0}
REVIEW_FIELDS = ("strength", "concern", "question")
MAX_TEXT = 20_000


def _key(kb: KB, ref: str) -> str:
    key = resolve_key(kb.conn, ref) if kb.has_store else None
    if key is None:
        raise KBError(f"no paper {ref!r} in {kb.root}")
    return key


def clean_name(name: str) -> str:
    """A collection name: one line, trimmed, not empty."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise KBError("a collection needs a name")
    if len(cleaned) > 200:
        raise KBError("a collection name is at most 200 characters")
    return cleaned


def _clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    if len(text) > MAX_TEXT:
        raise KBError(f"review text is at most {MAX_TEXT} characters")
    return text or None


def parse_vote(value: str | int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value in (-1, 0, 1):
        return value
    vote = VOTES.get(str(value).strip().lower())
    if vote is None:
        raise KBError(f"a vote is up, down or none, not {value!r}")
    return vote


# -- votes and saves ---------------------------------------------------------------------
def set_vote(kb: KB, ref: str, vote: str | int) -> tuple[str, int]:
    """Vote on a paper (up 1, down -1, none 0); returns ``(key, vote)``."""
    value = parse_vote(vote)
    with kb.write() as db:
        key = _key(kb, ref)
        store.set_vote(db, key, value, now_iso() if value else None)
    return key, value


def set_saved(kb: KB, ref: str, saved: bool = True) -> tuple[str, bool]:
    """Save (or unsave) a paper; returns ``(key, saved)``."""
    with kb.write() as db:
        key = _key(kb, ref)
        store.set_saved(db, key, saved, now_iso())
    return key, saved


def saved_papers(kb: KB) -> list[str]:
    """The keys of the saved papers, first saved first."""
    return store.saved_keys(kb.conn) if kb.has_store else []


# -- collections -------------------------------------------------------------------------
def collection_add(kb: KB, name: str, refs: list[str], description: str | None = None
                   ) -> list[str]:
    """Add papers to collection ``name`` (created if needed); returns the keys newly added."""
    name = clean_name(name)
    with kb.write() as db:
        keys = [_key(kb, r) for r in refs]
        stamp = now_iso()
        store.create_collection(db, name, stamp, description)
        return [key for key in dict.fromkeys(keys)
                if store.add_to_collection(db, name, key, stamp)]


def _existing(kb: KB, name: str) -> str:
    name = clean_name(name)
    if not kb.has_store or not store.collection_exists(kb.conn, name):
        raise KBError(f"no collection {name!r}")
    return name


def collection_remove(kb: KB, name: str, refs: list[str]) -> list[str]:
    """Remove papers from a collection; returns the keys that were in it."""
    with kb.write() as db:
        name = _existing(kb, name)
        return [key for key in dict.fromkeys(_key(kb, r) for r in refs)
                if store.remove_from_collection(db, name, key)]


def delete_collection(kb: KB, name: str) -> int:
    """Delete a collection (not its papers); returns how many papers it held."""
    with kb.write() as db:
        return store.delete_collection(db, _existing(kb, name))


def collections(kb: KB) -> list[Collection]:
    """Every collection with its papers' keys, by name."""
    return store.collections(kb.conn) if kb.has_store else []


def list_collections(kb: KB) -> list[dict[str, Any]]:
    """``collection list --json``: name, created_at, description, papers (a count)."""
    return [c.summary() for c in collections(kb)]


def collection_keys(kb: KB, name: str) -> list[str]:
    return store.collection_keys(kb.conn, _existing(kb, name))


# -- reviews -----------------------------------------------------------------------------
def add_review(kb: KB, ref: str, strength: str | None = None, concern: str | None = None,
               question: str | None = None, created_at: str | None = None) -> dict[str, Any]:
    """Record a structured review (at least one of strength, concern, question)."""
    values = {"strength": _clean_text(strength), "concern": _clean_text(concern),
              "question": _clean_text(question)}
    if not any(values.values()):
        raise KBError("a review needs a --strength, a --concern or a --question")
    with kb.write() as db:
        review = store.add_review(db, _key(kb, ref), **values,
                                  created_at=created_at or now_iso())
    return review.public_dict(with_key=True)


def reviews_for(kb: KB, key: str) -> list[dict[str, Any]]:
    return [r.public_dict() for r in store.reviews_of(kb.conn, key)]


# -- the record --------------------------------------------------------------------------
def record(kb: KB, key: str) -> SocialRecord:
    """A paper's social record (typed)."""
    return store.social_record(kb.conn, key) if kb.has_store else SocialRecord()


def social_record(kb: KB, key: str) -> dict[str, Any]:
    """``{vote: -1|0|1, saved: bool, collections: [names], reviews: [...]}`` of a paper."""
    return record(kb, key).public_dict()


# -- export / import ---------------------------------------------------------------------
def export_social(kb: KB) -> dict[str, Any]:
    """Everything social in the store, as plain JSON-able data (see :func:`import_social`)."""
    conn = kb.conn
    return {
        "version": 1,
        "papers": [p.model_dump() for p in store.paper_socials(conn)],
        "collections": [
            {"name": c.name, "created_at": c.created_at, "description": c.description,
             "papers": [{"key": k, "added_at": a} for k, a in store.collection_members(conn,
                                                                                     c.name)]}
            for c in store.collections(conn, order="binary")
        ],
        "reviews": [r.public_dict(with_key=True) for r in store.all_reviews(conn)],
    }


def _list(data: dict, field: str) -> list[dict]:
    value = data.get(field) or []
    if not isinstance(value, list):
        raise KBError(f"social export: {field!r} is not a list")
    return [v for v in value if isinstance(v, dict)]


def import_social(kb: KB, data: dict[str, Any]) -> dict[str, int]:
    """Restore what :func:`export_social` wrote. Idempotent: votes and saves of the papers
    listed are set, collections are merged, reviews not already present are added. Records
    naming papers not in the store are skipped (counted in ``skipped``).
    """
    if not isinstance(data, dict):
        raise KBError("social export: expected a JSON object")
    counts = {"votes": 0, "saved": 0, "collections": 0, "collection_papers": 0, "reviews": 0,
              "skipped": 0}
    with kb.write() as db:
        keys = all_keys(db)
        for item in _list(data, "papers"):
            key = item.get("key")
            if key not in keys:
                counts["skipped"] += 1
                continue
            try:
                vote = parse_vote(item.get("vote", 0))
            except KBError:
                vote = 0
            saved = bool(item.get("saved"))
            store.put_paper_social(db, PaperSocial(
                key=key, vote=vote, saved=saved, voted_at=_str(item.get("voted_at")),
                saved_at=_str(item.get("saved_at"))))
            counts["votes"] += bool(vote)
            counts["saved"] += saved
        for coll in _list(data, "collections"):
            try:
                name = clean_name(coll.get("name") or "")
            except KBError:
                counts["skipped"] += 1
                continue
            counts["collections"] += store.create_collection(
                db, name, _str(coll.get("created_at")) or now_iso(),
                _str(coll.get("description")), keep_description=True)
            members = coll.get("papers") or []
            for member in members if isinstance(members, list) else []:
                key = member.get("key") if isinstance(member, dict) else member
                if key not in keys:
                    counts["skipped"] += 1
                    continue
                added = (member.get("added_at") if isinstance(member, dict) else None)
                counts["collection_papers"] += store.add_to_collection(
                    db, name, key, _str(added) or now_iso())
        # Reviews carry no stable id across KBs: a review is its paper, text and date. The
        # target ends up with as many copies of each as the export holds (idempotent, and
        # two identical reviews written in the same second both survive).
        wanted: dict[tuple, int] = {}
        for rev in _list(data, "reviews"):
            key = rev.get("key") or rev.get("paper_key")
            vals = tuple(_str(rev.get(f)) for f in REVIEW_FIELDS)
            if key not in keys or not any(vals):
                counts["skipped"] += 1
                continue
            sig = (key, _str(rev.get("created_at")) or now_iso(), *vals)
            wanted[sig] = wanted.get(sig, 0) + 1
        for sig, n in wanted.items():
            key, created, *vals = sig
            have = store.count_reviews(db, key, created, *vals)
            for _ in range(n - have):
                store.add_review(db, key, *vals, created_at=created)
                counts["reviews"] += 1
    return counts


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


__all__ = [
    "Collection", "Review", "SocialRecord", "add_review", "clean_name", "collection_add",
    "collection_keys", "collection_remove", "collections", "delete_collection",
    "export_social", "import_social", "list_collections", "parse_vote", "record",
    "reviews_for", "saved_papers", "set_saved", "set_vote", "social_record",
]
