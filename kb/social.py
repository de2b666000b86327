"""A paper's social record: vote, saved, collections (named, many to many) and reviews.

All of it lives in the store (tables ``paper_social``, ``collections``,
``collection_papers``, ``reviews``), appears in ``show --json`` through
:func:`social_record`, and round-trips through the JSON export via :func:`export_social` /
:func:`import_social`.
"""

from __future__ import annotations

from typing import Any

from kb.config import KB, KBError
from kb.store.papers import now_iso, resolve_key

VOTES = {"up": 1, "down": -1, "none": 0, "+1": 1, "-1": -1, "0": 0, "1": 1, "clear": 0}
REVIEW_FIELDS = ("strength", "concern", "question")
MAX_TEXT = 20_000


def _key(kb: KB, ref: str) -> str:
    key = resolve_key(kb.db, ref)
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
def _ensure_row(db, key: str) -> None:
    db.conn.execute("INSERT OR IGNORE INTO paper_social (paper_key) VALUES (?)", [key])


def set_vote(kb: KB, ref: str, vote: str | int) -> tuple[str, int]:
    """Vote on a paper (up 1, down -1, none 0); returns ``(key, vote)``."""
    value = parse_vote(vote)
    with kb.write() as db:
        key = _key(kb, ref)
        _ensure_row(db, key)
        db.conn.execute(
            "UPDATE paper_social SET vote = ?, voted_at = ? WHERE paper_key = ?",
            [value, now_iso() if value else None, key],
        )
    return key, value


def set_saved(kb: KB, ref: str, saved: bool = True) -> tuple[str, bool]:
    """Save (or unsave) a paper; returns ``(key, saved)``."""
    with kb.write() as db:
        key = _key(kb, ref)
        _ensure_row(db, key)
        db.conn.execute(
            "UPDATE paper_social SET saved = ?, saved_at = CASE WHEN ? THEN "
            "COALESCE(CASE WHEN saved = 1 THEN saved_at END, ?) END WHERE paper_key = ?",
            [int(saved), int(saved), now_iso(), key],
        )
    return key, saved


def saved_papers(kb: KB) -> list[str]:
    return [r[0] for r in kb.db.conn.execute(
        "SELECT paper_key FROM paper_social WHERE saved = 1 ORDER BY saved_at, paper_key")]


# -- collections -------------------------------------------------------------------------
def collection_add(kb: KB, name: str, refs: list[str], description: str | None = None
                   ) -> list[str]:
    """Add papers to collection ``name`` (created if needed); returns the keys newly added."""
    name = clean_name(name)
    added = []
    with kb.write() as db:
        keys = [_key(kb, r) for r in refs]
        stamp = now_iso()
        db.conn.execute(
            "INSERT OR IGNORE INTO collections (name, created_at, description) VALUES (?, ?, ?)",
            [name, stamp, description],
        )
        if description is not None:
            db.conn.execute("UPDATE collections SET description = ? WHERE name = ?",
                            [description, name])
        for key in dict.fromkeys(keys):
            cur = db.conn.execute(
                "INSERT OR IGNORE INTO collection_papers (collection, paper_key, added_at) "
                "VALUES (?, ?, ?)", [name, key, stamp])
            if cur.rowcount:
                added.append(key)
    return added


def collection_remove(kb: KB, name: str, refs: list[str]) -> list[str]:
    """Remove papers from a collection; returns the keys that were in it."""
    name = clean_name(name)
    removed = []
    with kb.write() as db:
        if not _collection_exists(kb, name):
            raise KBError(f"no collection {name!r}")
        for key in dict.fromkeys(_key(kb, r) for r in refs):
            cur = db.conn.execute(
                "DELETE FROM collection_papers WHERE collection = ? AND paper_key = ?",
                [name, key])
            if cur.rowcount:
                removed.append(key)
    return removed


def delete_collection(kb: KB, name: str) -> int:
    """Delete a collection (not its papers); returns how many papers it held."""
    name = clean_name(name)
    with kb.write() as db:
        if not _collection_exists(kb, name):
            raise KBError(f"no collection {name!r}")
        n = db.conn.execute("SELECT count(*) FROM collection_papers WHERE collection = ?",
                            [name]).fetchone()[0]
        db.conn.execute("DELETE FROM collection_papers WHERE collection = ?", [name])
        db.conn.execute("DELETE FROM collections WHERE name = ?", [name])
    return n


def _collection_exists(kb: KB, name: str) -> bool:
    return kb.db.conn.execute("SELECT 1 FROM collections WHERE name = ?", [name]).fetchone() \
        is not None


def list_collections(kb: KB) -> list[dict[str, Any]]:
    return [
        {"name": n, "created_at": c, "description": d, "papers": count}
        for n, c, d, count in kb.db.conn.execute(
            "SELECT c.name, c.created_at, c.description, count(cp.paper_key) FROM collections c "
            "LEFT JOIN collection_papers cp ON cp.collection = c.name "
            "GROUP BY c.name ORDER BY c.name COLLATE NOCASE, c.name")
    ]


def collection_keys(kb: KB, name: str) -> list[str]:
    name = clean_name(name)
    if not _collection_exists(kb, name):
        raise KBError(f"no collection {name!r}")
    return [r[0] for r in kb.db.conn.execute(
        "SELECT paper_key FROM collection_papers WHERE collection = ? "
        "ORDER BY added_at, paper_key", [name])]


# -- reviews -----------------------------------------------------------------------------
def add_review(kb: KB, ref: str, strength: str | None = None, concern: str | None = None,
               question: str | None = None, created_at: str | None = None) -> dict[str, Any]:
    """Record a structured review (at least one of strength, concern, question)."""
    values = {"strength": _clean_text(strength), "concern": _clean_text(concern),
              "question": _clean_text(question)}
    if not any(values.values()):
        raise KBError("a review needs a --strength, a --concern or a --question")
    with kb.write() as db:
        key = _key(kb, ref)
        stamp = created_at or now_iso()
        cur = db.conn.execute(
            "INSERT INTO reviews (paper_key, strength, concern, question, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [key, values["strength"], values["concern"], values["question"], stamp])
        rid = cur.lastrowid
    return {"id": rid, "key": key, **values, "created_at": stamp}


def reviews_for(kb: KB, key: str) -> list[dict[str, Any]]:
    return [
        {"id": i, "strength": s, "concern": c, "question": q, "created_at": t}
        for i, s, c, q, t in kb.db.conn.execute(
            "SELECT id, strength, concern, question, created_at FROM reviews "
            "WHERE paper_key = ? ORDER BY created_at, id", [key])
    ]


def delete_review(kb: KB, review_id: int) -> bool:
    with kb.write() as db:
        return db.conn.execute("DELETE FROM reviews WHERE id = ?", [review_id]).rowcount > 0


# -- the record --------------------------------------------------------------------------
def social_record(kb: KB, key: str) -> dict[str, Any]:
    """``{vote: -1|0|1, saved: bool, collections: [names], reviews: [...]}`` of a paper."""
    conn = kb.db.conn
    row = conn.execute("SELECT vote, saved FROM paper_social WHERE paper_key = ?",
                       [key]).fetchone()
    return {
        "vote": int(row[0]) if row else 0,
        "saved": bool(row[1]) if row else False,
        "collections": [r[0] for r in conn.execute(
            "SELECT collection FROM collection_papers WHERE paper_key = ? "
            "ORDER BY collection COLLATE NOCASE, collection", [key])],
        "reviews": reviews_for(kb, key),
    }


# -- export / import ---------------------------------------------------------------------
def export_social(kb: KB) -> dict[str, Any]:
    """Everything social in the store, as plain JSON-able data (see :func:`import_social`)."""
    conn = kb.db.conn
    papers = [
        {"key": k, "vote": v, "saved": bool(s), "voted_at": va, "saved_at": sa}
        for k, v, s, va, sa in conn.execute(
            "SELECT paper_key, vote, saved, voted_at, saved_at FROM paper_social "
            "WHERE vote != 0 OR saved != 0 ORDER BY paper_key")
    ]
    collections = []
    for name, created, desc in conn.execute(
            "SELECT name, created_at, description FROM collections ORDER BY name"):
        collections.append({
            "name": name, "created_at": created, "description": desc,
            "papers": [{"key": k, "added_at": a} for k, a in conn.execute(
                "SELECT paper_key, added_at FROM collection_papers WHERE collection = ? "
                "ORDER BY added_at, paper_key", [name])],
        })
    reviews = [
        {"id": i, "key": k, "strength": s, "concern": c, "question": q, "created_at": t}
        for i, k, s, c, q, t in conn.execute(
            "SELECT id, paper_key, strength, concern, question, created_at FROM reviews "
            "ORDER BY id")
    ]
    return {"version": 1, "papers": papers, "collections": collections, "reviews": reviews}


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
        conn = db.conn
        keys = {r[0] for r in conn.execute("SELECT key FROM papers")}
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
            _ensure_row(db, key)
            conn.execute(
                "UPDATE paper_social SET vote = ?, saved = ?, voted_at = ?, saved_at = ? "
                "WHERE paper_key = ?",
                [vote, int(saved), _str(item.get("voted_at")), _str(item.get("saved_at")), key])
            counts["votes"] += bool(vote)
            counts["saved"] += saved
        for coll in _list(data, "collections"):
            try:
                name = clean_name(coll.get("name") or "")
            except KBError:
                counts["skipped"] += 1
                continue
            cur = conn.execute(
                "INSERT OR IGNORE INTO collections (name, created_at, description) "
                "VALUES (?, ?, ?)",
                [name, _str(coll.get("created_at")) or now_iso(), _str(coll.get("description"))])
            counts["collections"] += cur.rowcount > 0
            members = coll.get("papers") or []
            for member in members if isinstance(members, list) else []:
                key = member.get("key") if isinstance(member, dict) else member
                if key not in keys:
                    counts["skipped"] += 1
                    continue
                added = (member.get("added_at") if isinstance(member, dict) else None)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO collection_papers (collection, paper_key, added_at) "
                    "VALUES (?, ?, ?)", [name, key, _str(added) or now_iso()])
                counts["collection_papers"] += cur.rowcount > 0
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
            have = conn.execute(
                "SELECT count(*) FROM reviews WHERE paper_key = ? AND created_at = ? "
                "AND strength IS ? AND concern IS ? AND question IS ?",
                [key, created, *vals]).fetchone()[0]
            for _ in range(n - have):
                conn.execute(
                    "INSERT INTO reviews (paper_key, strength, concern, question, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", [key, *vals, created])
                counts["reviews"] += 1
    return counts


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
