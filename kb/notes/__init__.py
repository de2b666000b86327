"""Reading notes: one Markdown file per paper in ``notes/``, written by people.

The tool creates a note from the template (:func:`ensure_note`), never rewrites one, and
reads them back (:func:`kb.notes.index.sync_notes`) to index their text and show status.
"""

from kb.notes.create import ensure_note, ensure_notes, note_path

__all__ = ["ensure_note", "ensure_notes", "note_path"]
