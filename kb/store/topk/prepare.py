"""Which lists to make ahead: the words, 1-4 letter prefixes and hyphenated terms that look
broad in a sample of the papers' own text (never a query set)."""

from __future__ import annotations

import re
import sqlite3
import unicodedata

from kb.store.fts import fold
from kb.store.topk import bm25, lists


def _sample(conn: sqlite3.Connection, sample: int) -> list[str]:
    return [fold(" ".join(t or "" for t in row)).lower() for row in conn.execute(
        "SELECT title, abstract, authors_text FROM papers WHERE rowid IN "
        "(SELECT rowid FROM papers ORDER BY random() LIMIT ?)", [sample])]


def _broad(counts: dict[str, int], rows: int, texts: int) -> list[str]:
    # broad if the sample says so with room to spare (the exact count decides at the build)
    return [t for t, k in counts.items() if k * rows / max(texts, 1) > lists.SMALL * 0.8]


def merge_segments(conn: sqlite3.Connection, wait_ms: int | None = None) -> None:
    """Merge the index's segments into one (FTS5's ``optimize``): a word's matches are then
    read from one doclist, not merged from a dozen (measured at 100,000 papers: a search's
    p50 about halved; the merge itself ~3 s CPU). Writes after it add small segments, which
    FTS5's automerge folds in as usual. Scores do not change, so the lists stay valid.
    ``wait_ms``: how long to wait for another writer (else the connection's own timeout)."""
    own = not conn.in_transaction
    before = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        if wait_ms is not None:
            conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        if own:
            conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
        except BaseException:
            if own:
                conn.execute("ROLLBACK")
            raise
        if own:
            conn.execute("COMMIT")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(before)}")


def prepare(conn: sqlite3.Connection, sample: int = 2000) -> int:
    """Make the lists of the words and 1-4 letter prefixes that look broad in a sample of
    the papers' text (each list is otherwise made by the first search that needs it).
    Returns how many lists were made."""
    rows, _ = bm25.totals(conn)
    if not rows:
        return 0
    seen: dict[str, int] = {}
    texts = _sample(conn, sample)
    for text in texts:
        words = set(re.findall(r"\w+", text))
        words |= {_plain(w) for w in words if not w.isascii()}  # as people type them
        for phrase in {f'"{w}"' for w in words} | {f'"{w[:n]}"*' for w in words
                                                  for n in (1, 2, 3, 4) if len(w) > n}:
            seen[phrase] = seen.get(phrase, 0) + 1
    have = lists.known(conn)
    return sum(lists.build_list(conn, p) is not None
               for p in _broad(seen, rows, len(texts)) if p not in have)


def _plain(word: str) -> str:
    """``word`` without accents (doković: dokovic). Its list is made under its own key,
    from FTS5's own matches of it, so no assumption on how FTS5 folds letters is made."""
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))


def broad_compounds(conn: sqlite3.Connection, sample: int = 2000) -> list[str]:
    """Hyphenated terms (``multi-task``) that look broad in a sample of the papers' text."""
    rows, _ = bm25.totals(conn)
    seen: dict[str, int] = {}
    texts = _sample(conn, sample) if rows else []
    for text in texts:
        for term_ in set(re.findall(r"\w+(?:-\w+)+", text)):
            seen[term_] = seen.get(term_, 0) + 1
    return sorted(_broad(seen, rows, len(texts)))
