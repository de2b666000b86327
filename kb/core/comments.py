"""A paper's discussion: threaded comments with author and time; edit and delete of one's
own. The author is ``[user] name`` of ``mtlkb.toml``, else the OS user."""

from __future__ import annotations

import getpass
from typing import Any

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.models.record import Comment
from kb.store import comments as store
from kb.store.lookup import resolve_key

MAX_COMMENT = 20_000


def current_user(kb: KB) -> str:
    """Who is commenting: ``[user] name`` in ``mtlkb.toml``, else the OS login name."""
    user = kb.settings.get("user", {})
    if not isinstance(user, dict):
        raise KBError(f"{kb.config_path}: [user] must be a table")
    name = user.get("name")
    if name is not None:
        name = " ".join(str(name).split())
        if not name:
            raise KBError(f"{kb.config_path}: [user] name is empty")
        return name
    try:
        return getpass.getuser() or "anonymous"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "anonymous"


def clean_body(text: Any) -> str:
    body = str(text or "").replace("\x00", "").strip()
    if not body:
        raise KBError("a comment needs some text")
    if len(body) > MAX_COMMENT:
        raise KBError(f"a comment is at most {MAX_COMMENT} characters")
    return body


def _key(kb: KB, ref: str) -> str:
    key = resolve_key(kb.conn, ref) if kb.has_store else None
    if key is None:
        raise KBError(f"no paper {ref!r} in {kb.root}")
    return key


def _existing(db: Any, comment_id: int) -> Comment:
    found = store.get_comment(db, comment_id)
    if found is None:
        raise KBError(f"no comment #{comment_id}")
    return found


def add_comment(kb: KB, ref: str, text: str, reply_to: int | None = None) -> Comment:
    """Comment on a paper, or reply to comment ``reply_to`` (of the same paper)."""
    body = clean_body(text)
    author = current_user(kb)
    with kb.write() as db:
        key = _key(kb, ref)
        if reply_to is not None:
            parent = _existing(db, reply_to)
            if parent.key != key:
                raise KBError(f"comment #{reply_to} is on {parent.key}, not on {key}")
        return store.add_comment(db, key, author, body, now_iso(), reply_to)


def _own(kb: KB, db: Any, comment_id: int, verb: str, ref: str | None) -> Comment:
    found = _existing(db, comment_id)
    if ref is not None and found.key != _key(kb, ref):
        raise KBError(f"comment #{comment_id} is on {found.key}, not on {_key(kb, ref)}")
    me = current_user(kb)
    if found.author != me:
        raise KBError(f"comment #{comment_id} is {found.author}'s; you ({me}) may only "
                      f"{verb} your own")
    return found


def edit_comment(kb: KB, comment_id: int, text: str, ref: str | None = None) -> Comment:
    """Replace the text of one's own comment (its time stays; ``edited_at`` is set); with
    ``ref``, the comment must be on that paper."""
    body = clean_body(text)
    with kb.write() as db:
        _own(kb, db, comment_id, "edit", ref)
        store.edit_comment(db, comment_id, body, now_iso())
        found = store.get_comment(db, comment_id)
    assert found is not None
    return found


def delete_comment(kb: KB, comment_id: int, ref: str | None = None) -> int:
    """Delete one's own comment and the replies under it; returns how many went."""
    with kb.write() as db:
        _own(kb, db, comment_id, "delete", ref)
        return store.delete_comment(db, comment_id)


def threads(comments: list[Comment]) -> list[Comment]:
    """Comments as threads: newest thread first, replies under their parent oldest first."""
    by_id = {c.id: c.model_copy(update={"replies": []}) for c in comments}
    roots: list[Comment] = []
    for c in sorted(by_id.values(), key=lambda c: (c.created_at, c.id)):
        parent = by_id.get(c.parent_id) if c.parent_id is not None else None
        if parent is None:
            roots.append(c)
        else:
            parent.replies.append(c)

    return sorted(roots, key=lambda c: (c.created_at, c.id), reverse=True)


def comment_threads(kb: KB, key: str) -> list[Comment]:
    """A paper's discussion as threads (see :func:`threads`)."""
    return threads(store.comments_of(kb.conn, key)) if kb.has_store else []


def list_comments(kb: KB, ref: str) -> tuple[str, list[Comment]]:
    key = _key(kb, ref)
    return key, comment_threads(kb, key)
