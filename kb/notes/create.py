"""Creating reading notes: ``notes/{key}.md``, atomically, and never over an existing file.

A new note is written to a temporary file beside its final name, flushed, then hard-linked
to that name (``os.link`` fails when the name exists, so a note created concurrently, or a
dangling symlink, is never clobbered); the temporary name is then removed. An interrupted
command leaves at most a hidden ``.*.tmp`` file, never half a note. Where hard links are
not supported the file is created with ``O_EXCL`` instead.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from kb.config import KB, KBError
from kb.keys import is_safe_key

NOTE_SUFFIX = ".md"


def note_path(kb: KB, key: str) -> Path:
    """``notes/{key}.md``; a key that is not a safe file name is refused (:class:`KBError`)."""
    if not isinstance(key, str) or not is_safe_key(key):
        raise KBError(f"{key!r} is not a safe note name")
    notes_dir = kb.notes_dir
    path = notes_dir / f"{key}{NOTE_SUFFIX}"
    if path.parent != notes_dir or path.name in {".", ".."} or os.sep in key or (
        os.altsep and os.altsep in key
    ):
        raise KBError(f"{key!r} is not a safe note name")
    return path


def write_new_file(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` atomically; ``False`` (and no change) if it exists."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        return False
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644 & ~_umask())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                                 errno.EMLINK, errno.ENOSYS):
                raise
            return _write_exclusive(path, data)
        _fsync_dir(folder)
        return True
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _write_exclusive(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def ensure_note(kb: KB, key: str) -> Path:
    """The path of paper ``key``'s note, created from the template in effect if missing.

    An existing file (whatever it holds) is left exactly as it is. Safe to call inside an
    open ``kb.write()`` transaction (it only reads the store).
    """
    return created_note(kb, key)[0]


def created_note(kb: KB, key: str, template: str | None = None) -> tuple[Path, bool]:
    """Like :func:`ensure_note`, and whether this call created the file."""
    from kb.notes.render import load_template, render_note
    from kb.store.papers import get_paper

    path = note_path(kb, key)
    if os.path.lexists(path):
        return path, False
    paper = get_paper(kb.db, key)
    if paper is None or paper.key != key:
        raise KBError(f"no paper {key!r} in {kb.root}")
    if template is None:
        template, _ = load_template(kb)
    return path, write_new_file(path, render_note(paper, template, key=key))


def ensure_notes(kb: KB, keys: list[str]) -> list[Path]:
    """:func:`ensure_note` for many papers (bulk imports): the template is read once.

    Keys that are not safe file names or not in the store raise :class:`KBError` like
    :func:`ensure_note`; notes created before the error are kept.
    """
    from kb.notes.render import load_template

    template, _ = load_template(kb)
    return [created_note(kb, key, template)[0] for key in keys]
