"""Writing files safely: the one atomic-write helper of mtlkb (and its never-overwrite twin).

:func:`write_atomic` writes a temporary file beside the target, flushes it and renames it
over the target: a reader sees the old file or the new one, never half of one. An existing
file keeps its permission bits; a new one gets the usual ``0o666 & ~umask``.
:func:`write_new` creates a file only if the name is free (reading notes: never clobbered).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_atomic", "write_new"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _temp_beside(path: Path, data: bytes | Iterable[str], *, fsync: bool) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            if isinstance(data, bytes):
                _write_all(fd, data)
            else:  # text in pieces (a streamed export), never all in memory
                for chunk in data:
                    _write_all(fd, chunk.encode("utf-8"))
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path | str, data: str | bytes | Iterable[str], *, fsync: bool = True
                 ) -> Path:
    """Replace ``path`` with ``data`` (text is UTF-8, ``\\n`` line ends) atomically. ``data``
    may be text in pieces (an iterable of ``str``), written as they come."""
    path = Path(path)
    if not str(path.parent):
        path = Path(".") / path
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _temp_beside(path, raw, fsync=fsync)
    try:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_new(path: Path | str, data: str | bytes) -> bool:
    """Create ``path`` holding ``data`` atomically; ``False`` (and no change) if it exists.

    The temporary file is hard-linked to the name (``os.link`` fails when the name exists,
    so a file created concurrently, or a dangling symlink, is never clobbered). Where hard
    links are not supported the file is created with ``O_EXCL`` instead.
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        return False
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _temp_beside(path, raw, fsync=True)
    try:
        os.chmod(tmp, 0o644 & ~_umask())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                                 errno.EMLINK, errno.ENOSYS):
                raise
            return _write_exclusive(path, raw)
        _fsync_dir(folder)
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


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
