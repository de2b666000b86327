"""Making the search's impact lists (:mod:`kb.store.topk`) ahead of the searches that need
them: on request (``mtlkb search --prepare``) and after an import of many papers (which
drops the lists: they describe the index before it)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kb.config import KB, KBError

PREPARE_AFTER = 5000  # papers written by one import from which it prepares the lists
IMPORT_WAIT_MS = 2000  # how long that waits for another writer before putting it off


@dataclass
class Prepared:
    made: int  # lists made now
    total: int  # lists the store holds
    papers: int
    seconds: float

    def line(self) -> str:
        return (f"search: {self.made} impact lists made for the broad words, prefixes and "
                f"hyphenated terms of {self.papers:,} papers in {self.seconds:.1f} s "
                f"({self.total} in all)")


def prepare(kb: KB, sample: int = 2000, wait_ms: int | None = None) -> Prepared:
    """Make the lists a search of a broad word, prefix or hyphenated term would otherwise
    make on first use (or answer without, by FTS5's slower full ranking)."""
    from kb.store.search import prepare_lists
    from kb.store.topk import lists, totals

    if kb.read_only:
        raise KBError(f"{kb.root}: the knowledge base is read-only here (no search lists "
                      "were made; searches are ranked by FTS5 alone)")
    conn = kb.conn
    t0 = time.perf_counter()
    made = prepare_lists(conn, sample, wait_ms)
    return Prepared(made, len(lists.known(conn)), totals(conn)[0],
                    time.perf_counter() - t0)


def after_import(kb: KB, written: int) -> str | None:
    """Prepare the lists when one import wrote at least :data:`PREPARE_AFTER` papers; the
    line to print. The import is done by then: another process holding the store (a second
    import) only puts the lists off, it fails nothing."""
    import sqlite3

    if written < PREPARE_AFTER or kb.read_only:
        return None
    try:
        return prepare(kb, wait_ms=IMPORT_WAIT_MS).line() + " (--no-prepare skips this)"
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return ("search: impact lists not made (another process is writing the store); "
                "`mtlkb search --prepare` makes them")
