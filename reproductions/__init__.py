"""Runnable reproductions of multi-task-learning papers' claims.

``reproductions.registry`` lists them (metadata only, no torch); each experiment lives in
``reproductions.experiments.<name>`` and is imported when it runs.
"""
