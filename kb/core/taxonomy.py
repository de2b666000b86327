"""The one topic taxonomy (``kb/data/taxonomy.toml``): loaded, and mirrored in ``topics``."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from kb.store.topics import put_topics

if TYPE_CHECKING:
    import sqlite_utils

TAXONOMY_PATH = Path(__file__).parent.parent / "data" / "taxonomy.toml"


class Topic(BaseModel):
    name: str
    title: str
    parent: str | None = None
    description: str | None = None
    source: str | None = None


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> tuple[Topic, ...]:
    """All topics in file order (areas and their subtopics)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(Topic(name=name, **fields) for name, fields in data.get("topics", {}).items())


def sync_taxonomy(db: sqlite_utils.Database) -> int:
    """Write the taxonomy's titles, parents and descriptions into ``topics`` (in a transaction)."""
    topics = load_taxonomy()
    put_topics(db, topics)
    return len(topics)
