"""An OR of phrases (less narrow exclusions) from the phrases' lists and the narrow ones'
whole match sets: the candidates that could beat every unscored paper are scored in one
FTS5 pass per phrase."""

from __future__ import annotations

import heapq
import math
import sqlite3

from kb.store.topk import bm25, lists
from kb.store.topk.best import Best
from kb.store.topk.shape import Shape, matches
from kb.store.topk.walk import SLACK


def narrow_set(conn: sqlite3.Connection, phrase: str) -> dict[int, float] | None:
    """Every paper holding ``phrase`` with its share, if at most :data:`lists.SMALL` do."""
    got = conn.execute(
        f"SELECT rowid, {bm25.bm25_sql()} FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
        [phrase, lists.SMALL + 1]).fetchall()
    if len(got) > lists.SMALL:
        return None
    return {rid: -s for rid, s in got}  # -(0.0 + share): exact


def phrase_data(conn: sqlite3.Connection, shape: Shape, build: bool
                ) -> tuple[dict[str, lists.PhraseList], dict[str, dict[int, float]]] | None:
    """Each phrase's list, or its whole match set with each paper's share (narrow ones)."""
    small: dict[str, dict[int, float]] = {}
    found_lists: dict[str, lists.PhraseList] = {}
    npos = len(shape.phrases()) - len(shape.excluded)
    if set(shape.excluded) & set(shape.phrases()[:npos]):
        return None  # (a phrase both wanted and excluded: FTS5 says what that means)
    for phrase in dict.fromkeys(shape.phrases()):
        if phrase in shape.excluded:  # the papers it excludes (walked: no bm25 needed)
            got = excluded_set(conn, phrase)
            if got is None:
                return None
            small[phrase] = dict.fromkeys(got, 0.0)
            continue
        found = lists.get_list(conn, phrase)
        if found is None:
            got = narrow_set(conn, phrase)
            if got is not None:
                small[phrase] = got
                continue
            if not build:
                return None
            found = lists.build_list(conn, phrase)
            if found is None:
                return None
        found_lists[phrase] = found
    return found_lists, small


EXCLUDED_MAX = 30000  # papers an excluded phrase (-word) may match for a list to answer


def excluded_set(conn: sqlite3.Connection, phrase: str) -> set[int] | None:
    """The papers an excluded phrase matches, if not most of them (then FTS5 does better).
    Walking a match list is ~25x cheaper than working out bm25 for it."""
    got = conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
                       [phrase, EXCLUDED_MAX + 1]).fetchall()
    return None if len(got) > EXCLUDED_MAX else {r[0] for r in got}


def ranked(conn: sqlite3.Connection, shape: Shape, phrases: list[str], npos: int,
           found: dict[str, lists.PhraseList], small: dict[str, dict[int, float]], rows: int,
           avgdl: float, limit: int) -> list[tuple[float, int]] | None:
    """The top ``limit`` from the lists and the narrow phrases' sets, if they prove it."""
    kinds = [("list" if p in found else "small") for p in phrases]
    changed = set(lists.changed(conn))
    weights = {p: bm25.idf(rows, lst.df if not changed else bm25.count(conn, p))
               for p, lst in found.items()}
    for p in small:
        weights[p] = bm25.idf(rows, len(small[p]))
    cap = {p: weights[p] * lst.bound * max(1.0, avgdl / lst.avgdl) * SLACK
           for p, lst in found.items()}
    # The best any paper never scored could do: in no list, no narrow set, not changed.
    rest_ub = -math.inf
    if matches(shape, lambda i: None if kinds[i] == "list" else False) is not False:
        rest_ub = sum(cap[phrases[i]] for i in range(npos) if kinds[i] == "list")
    # Each candidate's share of each wanted phrase (None: not known yet).
    term = bm25.term
    rows_of: dict[int, list[float | None]] = {}
    for i, p in enumerate(phrases[:npos]):
        if kinds[i] == "list":
            w = weights[p]
            for rid, tf, dl in found[p].entries:
                if rid not in changed:
                    row = rows_of.get(rid)
                    if row is None:
                        row = rows_of[rid] = [None] * npos
                    row[i] = term(w, tf, dl, avgdl)
        else:
            for rid in small[p]:
                if rid not in rows_of:
                    rows_of[rid] = [None] * npos
    for rid in changed:
        if rid not in rows_of:
            rows_of[rid] = [None] * npos
    # (top() sends here only an OR of phrases less narrow exclusions: a paper matches when
    # it holds one of the phrases and none of the excluded ones)
    out = set().union(*(small[p] for p in phrases[npos:]))
    narrow = [(i, small[phrases[i]]) for i in range(npos) if kinds[i] == "small"]
    caps = [cap[phrases[i]] if kinds[i] == "list" else 0.0 for i in range(npos)]
    live: list[tuple[float, float, int, list[float | None]]] = []  # (ub, lb, rowid, row)
    for rid, row in rows_of.items():
        if rid in out:
            continue
        for i, got in narrow:
            row[i] = got.get(rid, 0.0)
        ub = lb = 0.0
        for x, c in zip(row, caps, strict=True):
            if x is None:
                ub += c
            else:
                ub += x
                lb += x
        if rid in changed:  # (its list entries were not trusted: nothing known of it)
            ub, lb = (math.inf if None in row else ub), 0.0
        live.append((ub, lb, rid, row))
    if len(live) < limit:
        return None
    live.sort(key=lambda t: -t[0])
    if live[limit - 1][0] <= rest_ub:
        return None  # the k-th best can never beat the papers not scored
    # Only a paper that could beat the unscored ones matters (if none can, no answer).
    # Every live paper matches (it holds a phrase and none excluded) and scores at least
    # its known shares: none scoring at most less than the k-th best of those can be in.
    lows = sorted((t[1] for t in live), reverse=True)
    floor = lows[limit - 1]
    live = [t for t in live if t[0] > rest_ub and t[0] >= floor]
    for i in range(npos):  # unknown shares: one pass of FTS5 per phrase (not a seek each)
        need = [t for t in live if t[3][i] is None]
        if need:
            got = bm25.shares(conn, phrases[i], [t[2] for t in need])
            for t in need:
                t[3][i] = got.get(t[2], 0.0)
    best = Best(limit)
    for _, _, rid, row in live:
        score = 0.0
        for x in row:
            score += x
        if not score > 0.0:
            continue  # gone, or holds none of the phrases after all
        best.offer(score, rid)
    if not best.full() or rest_ub >= best.kth():
        return None  # papers never scored might still belong in the top k
    return best.ranking()


def from_small(shape: Shape, phrases: list[str], small: dict[str, dict[int, float]],
               limit: int) -> list[tuple[float, int]]:
    """Every phrase is narrow: each matching paper's share of each phrase is known."""
    npos = len(phrases) - len(shape.excluded)
    rids = set().union(*(small[p] for p in phrases[:npos]))
    scored = []
    for rid in rids:
        if matches(shape, lambda i, rid=rid: rid in small[phrases[i]]):
            score = 0.0
            for p in phrases[:npos]:
                score += small[p].get(rid, 0.0)
            scored.append((-score, rid))
    return heapq.nsmallest(limit, scored)
