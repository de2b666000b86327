"""Keep note-derived data (search text, status) in step with the files in ``notes/``."""

from __future__ import annotations

from kb.config import KB


def refresh_notes(kb: KB) -> None:
    """Re-read the notes that changed on disk since the last command (cheap: stat only)."""
    from kb.notes.index import sync_notes

    sync_notes(kb)
