"""``mtlkb demo``: the whole tool on the bundled MTL canon, offline, in one command.

Creates (or reuses) a KB, imports the canon, syncs the taxonomy, writes the notes of the
surveys and of every paper with a reproduction, runs each reproduction at smoke scale on the
CPU (skipping those already run with the same config), and builds the site. Run again, it
changes nothing a user wrote and finishes faster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kb.config import KB
from kb.core.bib_import import run as import_bib
from kb.core.canon_record import load_canon_record
from kb.core.init import init_kb
from kb.core.taxonomy import sync_taxonomy
from kb.notes.create import ensure_note
from kb.repro.execute import execute_run
from kb.repro.links import linked_papers
from kb.repro.runs import runs_for
from kb.site.build import build_site as build
from kb.store.lookup import key_of_arxiv
from reproductions import registry

CANON_PATH = Path(__file__).parent.parent / "data" / "canon.bib"
SURVEY_ARXIV_IDS = ("1706.05098", "2009.09796")

Say = Callable[[str], None]


def _step(say: Say, n: int, text: str) -> None:
    say(f"[{n}/5] {text}")


def import_canon(kb: KB, say: Say) -> None:
    report = import_bib(kb, [CANON_PATH], strict=True, dry_run=False, progress=False)
    with kb.write() as db:
        sync_taxonomy(db)
    say(f"      {report.summary()}")
    say(f"      {load_canon_record(kb).summary()}")


def note_keys(kb: KB) -> list[str]:
    """The surveys and every paper linked to a reproduction."""
    keys = [k for k in (key_of_arxiv(kb.conn, a) for a in SURVEY_ARXIV_IDS) if k]
    for repro in registry.REPRODUCTIONS:
        keys += [p.key for p in linked_papers(kb, repro.id)]
    return list(dict.fromkeys(keys))


def write_notes(kb: KB, say: Say) -> None:
    keys = note_keys(kb)
    before = {p.name for p in kb.notes_dir.glob("*.md")}
    for key in keys:
        ensure_note(kb, key)
    new = len({p.name for p in kb.notes_dir.glob("*.md")} - before)
    say(f"      {len(keys)} notes ({new} new, the others kept as they are)")


def run_reproductions(kb: KB, say: Say, rerun: bool = False) -> None:
    from reproductions import runner

    for repro in registry.REPRODUCTIONS:
        config = runner.make_config(repro.id, "smoke", 0).model_dump()
        previous = [
            r for r in runs_for(kb, repro.id, include_reference=False)
            if r.status == "done" and r.scale == "smoke" and r.config == config
        ]
        if previous and not rerun:
            say(f"      {repro.id}: already run ({previous[0].id}), skipped")
            continue
        start = time.perf_counter()
        run = execute_run(kb, repro, scale="smoke", seed=0, device="cpu")
        held = sum(1 for v in run.verdicts if v.get("passed"))
        say(f"      {repro.id}: {run.status}, {held}/{len(run.verdicts)} checks held "
            f"({time.perf_counter() - start:.1f} s)")


def build_site(kb: KB, say: Say) -> Path:
    result = build(kb)
    say(f"      pages generated in {result.generate_s:.1f} s, built in {result.mkdocs_s:.1f} s")
    return result.index


def run(kb: KB, *, say: Say = print, rerun: bool = False) -> Path:
    """Do the whole demo on ``kb``; return the path of the built ``site/index.html``."""
    start = time.perf_counter()
    _step(say, 1, f"knowledge base at {kb.root}")
    init_kb(kb)
    _step(say, 2, "importing the MTL canon")
    import_canon(kb, say)
    _step(say, 3, "writing reading notes")
    write_notes(kb, say)
    _step(say, 4, "running every reproduction at smoke scale on the CPU")
    run_reproductions(kb, say, rerun=rerun)
    _step(say, 5, "building the site")
    index = build_site(kb, say)
    say(f"done in {time.perf_counter() - start:.1f} s")
    return index
