"""One list read best first, a page at a time, until the k-th best beats every paper not
read: a phrase's list (less excluded papers) or an OR's own list (a hyphenated term)."""

from __future__ import annotations

import sqlite3

from kb.store.topk import bm25, lists
from kb.store.topk.best import Best

PAGE = 64  # list entries read at a time (best first)
SLACK = 1 + 1e-9  # room for floating-point rounding in a bound


def one(conn: sqlite3.Connection, phrase: str, head: tuple, rows: int, avgdl: float,
        limit: int, excluded: set[int], sought: tuple[str, ...] = ()
        ) -> list[tuple[float, int]] | None:
    """One phrase from its list, less the papers ``excluded`` and those holding a word of
    ``sought`` (each paper read is sought in the index: for a word in too many papers to
    list them all): read best first until the k-th best beats the rest. (An excluded
    phrase adds 0.0 to a matching paper's score.)"""
    list_id, df, bound, built_avgdl = head
    changed = lists.changed(conn)
    w = bm25.idf(rows, df if not changed else bm25.count(conn, phrase))
    r = max(1.0, avgdl / built_avgdl) * SLACK
    best = Best(limit)
    if changed:  # written since the list was made: scored from the index itself
        if bm25.may_overlap(phrase):
            return None
        dls = bm25.lengths(conn, changed)
        found = bm25.resolve(conn, phrase, [c for c in changed if c in dls])
        out = bm25.holding(conn, sought, list(found))
        for rid, tf in found.items():
            if rid not in excluded and rid not in out:
                best.offer(bm25.term(w, tf, dls[rid], avgdl), rid)
    skip = excluded | set(changed)
    pos = 0
    while True:
        got = lists.page(conn, list_id, pos, PAGE, union=False)
        out = bm25.holding(conn, sought, [e[0] for e in got if e[0] not in skip])
        for rid, tf, dl in got:
            if rid not in skip and rid not in out:
                best.offer(bm25.term(w, tf, dl, avgdl), rid)
        pos += len(got)
        # every entry not yet read (and every paper not listed) scored at most this at build
        rest = bound if len(got) < PAGE else bm25.term(1.0, got[-1][1], got[-1][2], built_avgdl)
        if best.full() and w * rest * r < best.kth():
            return best.ranking()
        if len(got) < PAGE:
            return None


def union_weights(conn: sqlite3.Connection, phrases: list[str], head: tuple, rows: int,
                  changed: bool) -> tuple[list[float], list[float]]:
    """(IDFs when the OR's list was made, IDFs now) of each phrase."""
    _, _, _, _, dfs_text, built_rows = head
    built = [bm25.idf(built_rows, int(d)) for d in dfs_text.split(",")]
    now = ([bm25.idf(rows, bm25.count(conn, p)) for p in phrases]
           if changed or rows != built_rows else built)
    return built, now


def score(tfs: list[int], dl: int, weights: list[float], avgdl: float) -> float:
    """A paper's score for an OR of phrases, from each phrase's ``F``."""
    total = 0.0
    for w, tf in zip(weights, tfs, strict=True):
        total += bm25.term(w, tf, dl, avgdl) if tf else 0.0
    return total


def union(conn: sqlite3.Connection, phrases: list[str], head: tuple, rows: int,
          avgdl: float, limit: int) -> list[tuple[float, int]] | None:
    """``p1 OR p2 ...`` from its list, best first, until the k-th best beats the rest."""
    list_id, _, bound, built_avgdl, _, _ = head
    changed = lists.changed(conn)
    built, now = union_weights(conn, phrases, head, rows, bool(changed))
    grow = max(n / b for n, b in zip(now, built, strict=True)) * max(
        1.0, avgdl / built_avgdl) * SLACK
    best = Best(limit)
    if changed:
        if any(bm25.may_overlap(p) for p in phrases):
            return None
        dls = bm25.lengths(conn, changed)
        alive = [c for c in changed if c in dls]
        found = [bm25.resolve(conn, p, alive) for p in phrases]
        for rid in alive:
            tfs = [f.get(rid, 0) for f in found]
            if any(tfs):
                best.offer(score(tfs, dls[rid], now, avgdl), rid)
    skip = set(changed)
    pos = 0
    while True:
        got = lists.page(conn, list_id, pos, PAGE, union=True)
        for rid, dl, tfs in got:
            if rid not in skip:
                best.offer(score([int(t) for t in tfs.split(",")], dl, now, avgdl), rid)
        pos += len(got)
        rest = bound if len(got) < PAGE else score(
            [int(t) for t in got[-1][2].split(",")], got[-1][1], built, built_avgdl)
        if best.full() and rest * grow < best.kth():
            return best.ranking()
        if len(got) < PAGE:
            return None
