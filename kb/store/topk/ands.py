"""An AND of two units (a unit: a phrase, or an OR of phrases such as a hyphenated term),
one of them a hyphenated term with a list. With a narrow unit, its papers are the
candidates, scored from the other unit's list and, where a candidate is in no list, from
the index; with both units listed, a threshold over the two lists (:func:`all_listed`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kb.store.topk import bm25, lists
from kb.store.topk.best import Best
from kb.store.topk.ors import narrow_set
from kb.store.topk.walk import SLACK, union_weights

RESOLVE_MAX = 40  # papers scored one by one (a seek each) before giving up on a query
CHUNK = 16  # candidates scored per round (one statement per phrase for those unknown)
# Listed AND, a word in at least SEEK_DF of the papers: its share sought paper by paper
# (~12 µs each with highlight()) for up to one paper per SEEK_PER holding it, then one
# walk of its matches (~0.15 µs a match) for those left. Measured at 100,000 papers.
SEEK_DF, SEEK_PER, SEEK_CHUNK = 0.3, 250, 32


@dataclass
class _Unit:
    """What is known of one unit of an AND: every paper's shares (``full``), or a list."""

    first: int  # index of its first phrase in the query
    phrases: list[str]
    full: dict[int, float] | None = None  # one narrow phrase: paper -> share
    listed: dict[int, list[float]] | None = None  # listed: paper -> share of each phrase
    weights: list[float] | None = None
    cap: float = 0.0  # best score of the unit for a paper not in its list
    rest: tuple[int, list[int]] | None = None  # its postings: id, where each phrase's F is
    df: int = 0  # papers holding it (a word's: what a walk of its matches reads)


def and_query(conn: sqlite3.Connection, units: list[list[str]], phrases: list[str],
              limit: int) -> list[tuple[float, int]] | None:
    """The top ``limit`` of an AND of ``units``, or ``None`` (FTS5 ranks it)."""
    # Worth it only for a listed OR (a hyphenated term) AND one more unit: FTS5 ranks an
    # AND of plain words quicker than the lists can be read (measured: 5-8 words, 2.5 ms).
    if len(units) != 2 or not any(len(a) > 1 and lists.union_head(conn, " OR ".join(a))
                                  for a in units):
        return None
    rows, tokens = bm25.totals(conn)
    if not rows or lists.changed(conn):
        return None
    avgdl = tokens / rows
    known: list[_Unit] = []
    first = 0
    for alts in units:
        unit = _Unit(first, alts)
        first += len(alts)
        if len(alts) > 1:
            head = lists.union_head(conn, " OR ".join(alts))
            if head is None:
                return None
            list_id, _, bound, built_avgdl, _, _ = head
            built, unit.weights = union_weights(conn, alts, head, rows, False)
            grow = max(n / b for n, b in zip(unit.weights, built, strict=True))
            unit.cap = bound * grow * max(1.0, avgdl / built_avgdl) * SLACK
            unit.listed = _listed(lists.union_entries(conn, list_id), unit.weights, avgdl)
            rest = lists.rest_head(conn, alts)
            if rest is not None:
                unit.rest = (rest[0], [rest[1].index(p.lower()) for p in alts])
        else:
            head = lists.list_head(conn, alts[0])
            if head is None:
                unit.full = narrow_set(conn, alts[0])
                if unit.full is None:
                    return None
            else:
                list_id, df, bound, built_avgdl = head
                unit.df = df
                unit.weights = [bm25.idf(rows, df)]
                unit.cap = unit.weights[0] * bound * max(1.0, avgdl / built_avgdl) * SLACK
                unit.listed = _listed(lists.entries(conn, list_id), unit.weights, avgdl)
        known.append(unit)
    fulls = [u for u in known if u.full is not None]
    if not fulls:  # every unit broad: a threshold over the lists
        return all_listed(conn, known, phrases, avgdl, limit)
    # the narrowest unit's papers are the only candidates
    pool = list(min(fulls, key=lambda u: len(u.full)).full)
    scored: list[tuple[float, int, list[float | None]]] = []
    for rid in pool:
        shares: list[float | None] = [0.0] * len(phrases)
        ub, ok = 0.0, True
        for u in known:
            if u.full is not None:
                if rid not in u.full:
                    ok = False
                    break
                shares[u.first] = u.full[rid]
            elif rid in u.listed:
                shares[u.first:u.first + len(u.phrases)] = u.listed[rid]
            else:
                for j in range(len(u.phrases)):
                    shares[u.first + j] = None
                ub += u.cap
        if ok:
            ub += sum(x for x in shares if x is not None)
            scored.append((ub, rid, shares))
    scored.sort(key=lambda t: -t[0])
    best = Best(limit)
    seen: set[int] = set()
    resolved = 0

    def offer(rid: int, shares: list[float]) -> None:
        total = 0.0
        for x in shares:
            total += x
        best.offer(total, rid)

    i = 0
    while i < len(scored):
        ub, rid, shares = scored[i]
        if best.full() and ub < best.kth():
            break
        if rid in seen:
            i += 1
            continue
        if None not in shares:
            offer(rid, shares)
            i += 1
            continue
        chunk = [t for t in scored[i:i + CHUNK] if None in t[2]]
        resolved += len(chunk)
        if resolved > RESOLVE_MAX:
            return None
        dls = bm25.lengths(conn, [t[1] for t in chunk])
        for u in known:
            for j, phrase in enumerate(u.phrases):
                need = [t for t in chunk if t[2][u.first + j] is None]
                if not need:
                    continue
                if bm25.may_overlap(phrase):
                    return None
                w = u.weights[j]
                tfs = bm25.resolve(conn, phrase, [t[1] for t in need])
                for t in need:
                    tf = tfs.get(t[1], 0)
                    t[2][u.first + j] = bm25.term(w, tf, dls[t[1]], avgdl) if tf else 0.0
        for t in chunk:  # the AND needs every unit: some share of each
            seen.add(t[1])
            if all(any(t[2][u.first + j] > 0 for j in range(len(u.phrases))) for u in known):
                offer(t[1], t[2])
    return best.ranking()


def _listed(entries: list[tuple], weights: list[float], avgdl: float
            ) -> dict[int, list[float]]:
    """Each listed paper's share of each phrase of a unit, from its list's entries: (rowid,
    F, D) of a phrase's, (rowid, D, "F1,F2,...") of an OR's. What :func:`bm25.term` gives,
    its length factor worked out once a paper (the same operations, in the same order)."""
    k1, b, kp1 = bm25.K1, bm25.B, bm25.K1 + 1.0
    out = {}
    if len(weights) == 1:
        w = weights[0]
        for rid, tf, dl in entries:
            out[rid] = [w * ((tf * kp1) / (tf + k1 * (1 - b + b * dl / avgdl)))]
        return out
    for rid, dl, text in entries:
        k = k1 * (1 - b + b * dl / avgdl)
        out[rid] = [w * ((tf * kp1) / (tf + k)) if tf else 0.0
                    for w, tf in zip(weights, map(int, text.split(",")), strict=True)]
    return out


def all_listed(conn: sqlite3.Connection, units: list[_Unit], phrases: list[str],
               avgdl: float, limit: int) -> list[tuple[float, int]] | None:
    """An AND of two units that both have lists (a threshold algorithm). A paper in both
    lists is scored from them; a paper in neither scores at most the sum of the units'
    bounds (``rest``), which the k-th best must beat; a paper in one list at most its
    share of that unit plus the other's bound, so only those above ``rest`` are scored:
    the other unit's shares looked up in its postings (a hyphenated term's), or for a word
    sought paper by paper (a word in most papers, while few can still win) and read in one
    pass of FTS5 over its matches for the rest (cheaper than bm25 of every match); words
    first, then look-ups only while they could reach the k-th best. A unit with a phrase of
    several words and no postings is not walked (slower than FTS5's own ranking of the
    query): no answer if one of its papers could still reach the k-th best."""
    first, second = units
    rows = bm25.totals(conn)[0]
    rest = first.cap + second.cap  # (each cap has the slack of rounding in it)
    best = Best(limit)
    sides = []  # (unit to resolve, its papers to resolve best bound first)
    for u, other in ((second, first), (first, second)):
        need = []
        mine, cap = u.listed, u.cap
        for rid, got in other.listed.items():
            if rid not in mine:
                ub = _total(got) + cap
                if ub > rest:  # could beat the papers in no list
                    need.append((ub, rid, got))
        sides.append((u, need))
    both = first.listed.keys() & second.listed.keys()
    for rid in both:
        best.offer(_total(first.listed[rid] + second.listed[rid]), rid)
    sides.sort(key=lambda side: side[0].rest is not None)  # words first, look-ups after

    def offer(u: _Unit, need: list[tuple], found: dict[int, list[float]]) -> None:
        for _, rid, got in need:
            mine = found.get(rid)
            if mine is not None:  # (the AND needs some share of each unit)
                best.offer(_total(mine + got if u is first else got + mine), rid)

    for u, need in sides:
        if u.rest is None and u.df >= rows * SEEK_DF and not u.phrases[0].endswith("*"):
            # A word in most papers (a walk of its matches costs 4-7 ms at 100,000): its
            # share sought paper by paper, best bound first, while the k-th best allows.
            # (Not a prefix: one of 4 letters or more has no index of its own, and a seek
            # would merge its words' lists each time.)
            need.sort(key=lambda t: -t[0])
            i = 0
            while i < min(len(need), u.df // SEEK_PER) and (
                    not best.full() or need[i][0] >= best.kth()):
                chunk = need[i:i + SEEK_CHUNK]
                i += len(chunk)
                offer(u, chunk, _from_seeks(conn, u, [t[1] for t in chunk], avgdl))
            need = need[i:]
        if best.full():
            need = [t for t in need if t[0] >= best.kth()]
        if not need:
            continue
        if u.rest is not None:
            found = _from_rest(conn, u, [t[1] for t in need], avgdl)
        elif not any(" " in p for p in u.phrases):
            found = _from_walk(conn, u, [t[1] for t in need])
        else:
            return None  # (need holds a paper that could reach the k-th best)
        offer(u, need, found)
    if not best.full() or rest >= best.kth():
        return None  # papers in no list might still belong in the top k
    return best.ranking()


def _from_seeks(conn: sqlite3.Connection, u: _Unit, rids: list[int], avgdl: float
                ) -> dict[int, list[float]]:
    """The shares of ``u``'s words in the papers of ``rids`` holding any: each paper sought
    in the index, ``F`` counted from highlight() (a seek with bm25() measured ~0.4 ms for a
    word in 41,000 papers: bm25() counts the word's matches for its IDF), the share
    worked out as :func:`bm25.term` does."""
    dls = bm25.lengths(conn, rids)
    found = [bm25.resolve(conn, p, rids) for p in u.phrases]
    out = {}
    for rid in rids:
        tfs = [f.get(rid, 0) for f in found]
        if any(tfs):
            out[rid] = [bm25.term(w, tf, dls[rid], avgdl) if tf else 0.0
                        for w, tf in zip(u.weights, tfs, strict=True)]
    return out


def _from_walk(conn: sqlite3.Connection, u: _Unit, rids: list[int]
               ) -> dict[int, list[float]]:
    """The shares of ``u``'s phrases in the papers of ``rids`` holding any, one pass each."""
    found = [bm25.shares(conn, p, rids) for p in u.phrases]
    out = {}
    for rid in rids:
        got = [f.get(rid, 0.0) for f in found]
        if any(got):
            out[rid] = got
    return out


def _from_rest(conn: sqlite3.Connection, u: _Unit, rids: list[int], avgdl: float
               ) -> dict[int, list[float]]:
    """The shares of ``u``'s phrases in the papers of ``rids`` holding any, from its
    postings."""
    rest_id, where = u.rest
    term = bm25.term
    out = {}
    for rid, (dl, tfs) in lists.rest_lookup(conn, rest_id, rids).items():
        out[rid] = [term(w, tfs[where[j]], dl, avgdl) if tfs[where[j]] else 0.0
                    for j, w in enumerate(u.weights)]
    return out


def _total(shares: list[float | None]) -> float:
    """A paper's score: its phrases' shares added in the query's order (as FTS5 does)."""
    total = 0.0
    for x in shares:
        total += x
    return total
