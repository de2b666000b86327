"""One module per command group; each defines ``register(app)``.

These modules do not use ``from __future__ import annotations``: typer reads every command's
parameter annotations whenever it builds the CLI (``--help`` included), and string annotations
cost it a compile and an eval each (~3 ms a run for the whole CLI).
"""
