"""The social tables (``paper_social``, ``collections``, ``collection_papers``, ``reviews``),
read as :mod:`kb.models.social` records. Writers take the connection of an open write
transaction; nothing here checks input (see :mod:`kb.core.social`)."""

from __future__ import annotations

from typing import Any

from kb.models.social import Collection, PaperSocial, Review, SocialRecord
from kb.store.rows import conn_of, rows

_REVIEW = "SELECT id, paper_key AS key, strength, concern, question, created_at FROM reviews"


# -- votes and saves ---------------------------------------------------------------------
def _ensure(db: Any, key: str) -> None:
    conn_of(db).execute("INSERT OR IGNORE INTO paper_social (paper_key) VALUES (?)", [key])


def set_vote(db: Any, key: str, vote: int, stamp: str | None) -> None:
    _ensure(db, key)
    conn_of(db).execute("UPDATE paper_social SET vote = ?, voted_at = ? WHERE paper_key = ?",
                        [vote, stamp, key])


def set_saved(db: Any, key: str, saved: bool, stamp: str) -> None:
    """Save (keeping the first save's time) or unsave."""
    _ensure(db, key)
    conn_of(db).execute(
        "UPDATE paper_social SET saved = ?, saved_at = CASE WHEN ? THEN "
        "COALESCE(CASE WHEN saved = 1 THEN saved_at END, ?) END WHERE paper_key = ?",
        [int(saved), int(saved), stamp, key])


def put_paper_social(db: Any, item: PaperSocial) -> None:
    _ensure(db, item.key)
    conn_of(db).execute(
        "UPDATE paper_social SET vote = ?, saved = ?, voted_at = ?, saved_at = ? "
        "WHERE paper_key = ?",
        [item.vote, int(item.saved), item.voted_at, item.saved_at, item.key])


def saved_keys(db: Any) -> list[str]:
    return [r[0] for r in conn_of(db).execute(
        "SELECT paper_key FROM paper_social WHERE saved = 1 ORDER BY saved_at, paper_key")]


def paper_socials(db: Any) -> list[PaperSocial]:
    """Every paper with a vote or a save."""
    return [PaperSocial(**r) for r in rows(
        db, "SELECT paper_key AS key, vote, saved, voted_at, saved_at FROM paper_social "
        "WHERE vote != 0 OR saved != 0 ORDER BY paper_key")]


# -- collections -------------------------------------------------------------------------
def collection_exists(db: Any, name: str) -> bool:
    return conn_of(db).execute("SELECT 1 FROM collections WHERE name = ?",
                               [name]).fetchone() is not None


def create_collection(db: Any, name: str, stamp: str, description: str | None, *,
                      keep_description: bool = False) -> bool:
    """Create it if new (True); a given ``description`` replaces an existing collection's
    unless ``keep_description``."""
    conn = conn_of(db)
    created = conn.execute(
        "INSERT OR IGNORE INTO collections (name, created_at, description) VALUES (?, ?, ?)",
        [name, stamp, description]).rowcount > 0
    if description is not None and not created and not keep_description:
        conn.execute("UPDATE collections SET description = ? WHERE name = ?",
                     [description, name])
    return created


def add_to_collection(db: Any, name: str, key: str, stamp: str) -> bool:
    return conn_of(db).execute(
        "INSERT OR IGNORE INTO collection_papers (collection, paper_key, added_at) "
        "VALUES (?, ?, ?)", [name, key, stamp]).rowcount > 0


def remove_from_collection(db: Any, name: str, key: str) -> bool:
    return conn_of(db).execute(
        "DELETE FROM collection_papers WHERE collection = ? AND paper_key = ?",
        [name, key]).rowcount > 0


def delete_collection(db: Any, name: str) -> int:
    """Delete a collection (not its papers); returns how many papers it held."""
    conn = conn_of(db)
    n = conn.execute("SELECT count(*) FROM collection_papers WHERE collection = ?",
                     [name]).fetchone()[0]
    conn.execute("DELETE FROM collection_papers WHERE collection = ?", [name])
    conn.execute("DELETE FROM collections WHERE name = ?", [name])
    return n


def collection_keys(db: Any, name: str) -> list[str]:
    """The papers of a collection, in the order they were added."""
    return [r[0] for r in conn_of(db).execute(
        "SELECT paper_key FROM collection_papers WHERE collection = ? "
        "ORDER BY added_at, paper_key", [name])]


def collections(db: Any, *, order: str = "nocase") -> list[Collection]:
    """Every collection with its papers, by name (``nocase``: case-insensitively first)."""
    members: dict[str, list[str]] = {}
    for name, key in conn_of(db).execute(
            "SELECT collection, paper_key FROM collection_papers "
            "ORDER BY collection, added_at, paper_key"):
        members.setdefault(name, []).append(key)
    by = "name COLLATE NOCASE, name" if order == "nocase" else "name"
    return [Collection(**r, papers=members.get(r["name"], [])) for r in rows(
        db, f"SELECT name, created_at, description FROM collections ORDER BY {by}")]


def collections_of(db: Any, key: str) -> list[str]:
    return [r[0] for r in conn_of(db).execute(
        "SELECT collection FROM collection_papers WHERE paper_key = ? "
        "ORDER BY collection COLLATE NOCASE, collection", [key])]


# -- reviews -----------------------------------------------------------------------------
def add_review(db: Any, key: str, strength: str | None, concern: str | None,
               question: str | None, created_at: str) -> Review:
    cur = conn_of(db).execute(
        "INSERT INTO reviews (paper_key, strength, concern, question, created_at) "
        "VALUES (?, ?, ?, ?, ?)", [key, strength, concern, question, created_at])
    return Review(id=cur.lastrowid, key=key, strength=strength, concern=concern,
                  question=question, created_at=created_at)


def reviews_of(db: Any, key: str) -> list[Review]:
    return [Review(**r) for r in rows(
        db, f"{_REVIEW} WHERE paper_key = ? ORDER BY created_at, id", [key])]


def all_reviews(db: Any) -> list[Review]:
    return [Review(**r) for r in rows(db, f"{_REVIEW} ORDER BY id")]


def count_reviews(db: Any, key: str, created_at: str, strength: str | None,
                  concern: str | None, question: str | None) -> int:
    """How many copies of this exact review the store holds."""
    return conn_of(db).execute(
        "SELECT count(*) FROM reviews WHERE paper_key = ? AND created_at = ? "
        "AND strength IS ? AND concern IS ? AND question IS ?",
        [key, created_at, strength, concern, question]).fetchone()[0]


# -- the record --------------------------------------------------------------------------
def social_record(db: Any, key: str) -> SocialRecord:
    row = conn_of(db).execute("SELECT vote, saved FROM paper_social WHERE paper_key = ?",
                              [key]).fetchone()
    return SocialRecord(vote=int(row[0]) if row else 0, saved=bool(row[1]) if row else False,
                        collections=collections_of(db, key), reviews=reviews_of(db, key))


def all_social_records(db: Any) -> dict[str, SocialRecord]:
    """:func:`social_record` of every paper that has one (vote, save, collection or review),
    in three queries: the site reads them all."""
    conn = conn_of(db)
    out: dict[str, SocialRecord] = {}

    def of(key: str) -> SocialRecord:
        return out.setdefault(key, SocialRecord())

    for key, vote, saved in conn.execute("SELECT paper_key, vote, saved FROM paper_social"):
        rec = of(key)
        rec.vote, rec.saved = int(vote), bool(saved)
    for key, name in conn.execute(
            "SELECT paper_key, collection FROM collection_papers "
            "ORDER BY paper_key, collection COLLATE NOCASE, collection"):
        of(key).collections.append(name)
    for r in rows(db, f"{_REVIEW} ORDER BY paper_key, created_at, id"):
        of(r["key"]).reviews.append(Review(**r))
    return out


def collection_members(db: Any, name: str) -> list[tuple[str, str]]:
    """``(key, added_at)`` of a collection's papers, in the order they were added."""
    return [(r[0], r[1]) for r in conn_of(db).execute(
        "SELECT paper_key, added_at FROM collection_papers WHERE collection = ? "
        "ORDER BY added_at, paper_key", [name])]
