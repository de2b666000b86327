"""``mtlkb init``: create a KB folder; idempotent, never overwrites an existing file."""

from __future__ import annotations

from pathlib import Path

from kb.config import KB
from kb.site.mkdocs_config import default_mkdocs_yml

CONFIG_TEMPLATE = """\
# mtlkb knowledge base settings
[kb]
name = "{name}"

[arxiv]
# seconds before a request to the arXiv API is given up
timeout = 20
"""

GITIGNORE = """\
/site/
/.staging/
/mtlkb.db
/mtlkb.db-*
"""


def _write_new(path: Path, text: str, created: list[Path]) -> None:
    try:
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        return
    created.append(path)


def init_kb(kb: KB) -> list[Path]:
    """Create what is missing of ``kb``'s folder; return the paths created."""
    created: list[Path] = []
    if not kb.root.exists():
        kb.root.mkdir(parents=True)
        created.append(kb.root)
    for folder in (kb.notes_dir, kb.runs_dir):
        if not folder.exists():
            folder.mkdir()
            created.append(folder)
    _write_new(kb.config_path, CONFIG_TEMPLATE.format(name=kb.root.name), created)
    _write_new(kb.root / ".gitignore", GITIGNORE, created)
    _write_new(kb.mkdocs_path, default_mkdocs_yml(kb), created)
    existed = kb.db_path.exists()
    kb.db  # noqa: B018 - creates and migrates the store
    if not existed:
        created.append(kb.db_path)
    return created
