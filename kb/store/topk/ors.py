"""An OR of phrases (less narrow exclusions) from the phrases' lists and the narrow ones'
whole match sets: the candidates that could beat every unscored paper are scored in one
FTS5 pass per phrase."""

from __future__ import annotations

import heapq
import math
import sqlite3
from dataclasses import dataclass

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
    for phrase in dict.fromkeys(shape.phrases()):
        found = lists.get_list(conn, phrase)
        if found is None:
            got = narrow_set(conn, phrase)
            if got is not None:
                small[phrase] = got
                continue
            if phrase in shape.excluded or not build:
                return None
            found = lists.build_list(conn, phrase)
            if found is None:
                return None
        if phrase in shape.excluded:  # a broad exclusion: FTS5 does that better
            return None
        found_lists[phrase] = found
    return found_lists, small


@dataclass
class _Cand:
    rid: int
    known: dict[int, float]  # phrase index -> exact share (0.0: does not hold it)
    ub: float = 0.0


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
    cands: dict[int, _Cand] = {}
    for i, p in enumerate(phrases[:npos]):
        if kinds[i] == "list":
            for rid, tf, dl in found[p].entries:
                if rid not in changed:
                    cands.setdefault(rid, _Cand(rid, {})).known[i] = bm25.term(
                        weights[p], tf, dl, avgdl)
        else:
            for rid in small[p]:
                cands.setdefault(rid, _Cand(rid, {}))
    for rid in changed:
        cands.setdefault(rid, _Cand(rid, {}))
    # (top() sends here only an OR of phrases less narrow exclusions: a paper matches when
    # it holds one of the phrases and none of the excluded ones)
    out = set().union(*(small[p] for p in phrases[npos:]))
    narrow = [(i, small[phrases[i]]) for i in range(npos) if kinds[i] == "small"]
    live = []
    for c in cands.values():
        if c.rid in out:
            continue
        for i, got in narrow:
            c.known[i] = got.get(c.rid, 0.0)
        unknown = [i for i in range(npos) if i not in c.known]
        if c.rid in changed and unknown:
            c.ub = math.inf
        else:
            c.ub = sum(c.known.get(i, 0.0) for i in range(npos)) + sum(
                cap[phrases[i]] for i in unknown)
        live.append(c)
    live.sort(key=lambda c: -c.ub)
    if len(live) < limit or live[limit - 1].ub <= rest_ub:
        return None  # the k-th best can never beat the papers not scored
    # Only a paper that could beat the unscored ones matters (if none can, no answer).
    live = [c for c in live if c.ub > rest_ub]
    for i in range(npos):  # unknown shares: one pass of FTS5 per phrase (not a seek each)
        need = [c for c in live if i not in c.known]
        if need:
            got = bm25.shares(conn, phrases[i], [c.rid for c in need])
            for c in need:
                c.known[i] = got.get(c.rid, 0.0)
    best = Best(limit)
    for c in live:
        score = 0.0
        for i in range(npos):
            score += c.known[i]
        if not score > 0.0:
            continue  # gone, or holds none of the phrases after all
        best.offer(score, c.rid)
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
