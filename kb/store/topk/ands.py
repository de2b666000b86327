"""An AND of units (a unit: a phrase, or an OR of phrases such as a hyphenated term), one
of them narrow: its papers are the candidates, scored from the other units' lists and,
where a candidate is in no list, from the index."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kb.store.topk import bm25, lists
from kb.store.topk.best import Best
from kb.store.topk.walk import SLACK, union_weights

RESOLVE_MAX = 40  # papers scored one by one (a seek each) before giving up on a query
CHUNK = 16  # candidates scored per round (one statement per phrase for those unknown)


@dataclass
class _Unit:
    """What is known of one unit of an AND: every paper's shares (``full``), or a list."""

    first: int  # index of its first phrase in the query
    phrases: list[str]
    full: dict[int, float] | None = None  # one narrow phrase: paper -> share
    entries: dict[int, tuple[list[int], int]] | None = None  # listed: paper -> (Fs, D)
    weights: list[float] | None = None
    cap: float = 0.0  # best score of the unit for a paper not in its list


def and_query(conn: sqlite3.Connection, units: list[list[str]], phrases: list[str],
              limit: int) -> list[tuple[float, int]] | None:
    """The top ``limit`` of an AND of ``units``, or ``None`` (FTS5 ranks it)."""
    # Worth it only for a listed OR (a hyphenated term) AND a narrow word: FTS5 ranks an
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
            unit.entries = {rid: ([int(t) for t in tfs.split(",")], dl)
                            for rid, dl, tfs in lists.union_entries(conn, list_id)}
        else:
            head = lists.list_head(conn, alts[0])
            if head is None:
                from kb.store.topk.ors import narrow_set

                unit.full = narrow_set(conn, alts[0])
                if unit.full is None:
                    return None
            else:
                list_id, df, bound, built_avgdl = head
                unit.weights = [bm25.idf(rows, df)]
                unit.cap = unit.weights[0] * bound * max(1.0, avgdl / built_avgdl) * SLACK
                unit.entries = {rid: ([tf], dl)
                                for rid, tf, dl in lists.entries(conn, list_id)}
        known.append(unit)
    fulls = [u for u in known if u.full is not None]
    if not fulls:  # every unit broad: the lists' bounds are too loose to prove an AND
        return None
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
            elif rid in u.entries:
                tfs, dl = u.entries[rid]
                for j, (w, tf) in enumerate(zip(u.weights, tfs, strict=True)):
                    shares[u.first + j] = bm25.term(w, tf, dl, avgdl) if tf else 0.0
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
