"""Reading notes: one Markdown file per paper in ``notes/``, written by people.

The tool creates a note from the template (:func:`kb.notes.create.ensure_note`), never
rewrites one, and reads them back (:func:`kb.notes.index.sync_notes`) to index their text
and show status. Import the submodules directly: this package stays empty so that the
``sync_notes`` every command runs does not pay for the rendering code and its models.
"""
