"""Reproductions inside the KB: runs recorded (:mod:`~kb.repro.runs`), run
(:mod:`~kb.repro.execute`), linked to papers (:mod:`~kb.repro.links`), swept over methods x seeds
(:mod:`~kb.repro.sweep`). The runnable code is the ``reproductions`` package."""
