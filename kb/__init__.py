"""mtlkb: a literature knowledge base and reading-notes CLI for multi-task learning research."""

__version__ = "0.1.0"
