"""FTS5's exact bm25 top k of a broad query without scoring every match (impact lists).

FTS5 scores every paper a query matches (~1 µs each), so a word in most of 100,000 papers
costs tens of milliseconds. Here a broad phrase (more than :data:`lists.SMALL` matches) gets
an *impact list*: its :data:`lists.LIST_LEN` best papers, best first, with each one's
weighted term frequency ``F`` and length ``D``, and a *bound*: the best term score of any
paper not in the list. An OR of phrases (``multi-task`` is ``"multi task" OR "multitask"``)
gets a list of its own, ranked by whole score, with ``F`` of each phrase. A query is
answered from the lists (and the narrow phrases' whole match sets): every candidate is
scored exactly as FTS5's ``bm25()`` does (same formula, same order of floating-point
operations: each list is checked against FTS5 bit for bit when made), reading best first
until the k-th best score beats the bound of every paper not read. Otherwise, and for the
shapes FTS5 ranks quicker (an AND of several words: few matches) or that are not handled
here, ``None`` sends the caller to FTS5's own full ranking, so the top k is always FTS5's.

Staying exact while other tools write: the index triggers (plain SQL, :mod:`kb.store.fts`)
note every written rowid in ``papers_fts_changed``. A noted paper's list entries are not
trusted: it is scored afresh from the index, and the phrases' document counts are counted
again. The bound stays valid for the papers not noted: their ``F`` and ``D`` did not
change, and a change of the average length by a factor ``r`` moves a term score by at
most ``r``. :func:`settle` (run by mtlkb's writes) drops the lists when over
:data:`lists.QUEUE_MAX` papers are noted; they are rebuilt, one phrase at a time, by the
next search that needs them on a writable store.

A broad hyphenated term also has its *postings* (every paper holding it, with ``D`` and
each phrase's ``F``, looked up by rowid): an AND of it and a broad word is then answered
by a threshold over the two lists, the term's share of any paper looked up, the word's
read in one pass over its matches for the papers whose bound could still win.

Modules: :mod:`.bm25` (FTS5's numbers), :mod:`.lists` (making, storing, reading lists and
postings), :mod:`.prepare` (which lists to make ahead; merging the index's segments),
:mod:`.shape` (the query), :mod:`.best` (the k best so far), :mod:`.walk` (one list best
first), :mod:`.ors` (an OR of phrases, less exclusions), :mod:`.ands` (an AND of two
units); here, :func:`top` picks the way a query is answered.
"""

from __future__ import annotations

import sqlite3

from kb.store.topk import ands, bm25, lists, ors, walk
from kb.store.topk.bm25 import idf, lengths, term, totals
from kb.store.topk.lists import (
    PhraseList,
    build_list,
    build_union,
    clear,
    create_tables,
    get_list,
    settle,
    unsettled,
)
from kb.store.topk.prepare import broad_compounds, merge_segments, prepare
from kb.store.topk.shape import Shape

SOUGHT_MAX = 0.9  # share of the papers a word sought paper by paper (-word) may hold

__all__ = [
    "PhraseList", "Shape", "broad_compounds", "build_list", "build_union",
    "clear", "create_tables", "get_list", "idf", "lengths", "merge_segments", "prepare",
    "settle", "term",
    "top", "totals", "unsettled",
]


def top(conn: sqlite3.Connection, shape: Shape, limit: int, build: bool = False
        ) -> list[tuple[float, int]] | None:
    """FTS5's bm25 top ``limit`` of ``shape`` as (score, rowid), best (lowest) first; or
    ``None`` when FTS5 must rank this query itself (as it does quickest for narrow
    queries and for an AND of several words, whose matches are few)."""
    phrases = shape.phrases()
    npos = len(phrases) - len(shape.excluded)
    if not phrases or any(len(g) > 1 for g in shape.groups):
        if len(shape.groups) == 1 and not shape.excluded:
            return ands.and_query(conn, shape.groups[0], phrases, limit)
        return None
    rows, tokens = bm25.totals(conn)
    if not rows or lists.too_many_changed(conn):
        return None  # more changed than rescoring is worth (a read-only KB cannot settle)
    # Made on first use: lists of words and prefixes only. Counting a multi-word phrase's
    # matches costs about what FTS5's ranking of it does: their lists are made ahead
    # (kb.store.search.prepare_lists: hyphenated terms).
    build = build and not any(" " in p for p in phrases[:npos])
    if npos == 1:  # one phrase (less narrow exclusions): its list, or FTS5 when it is narrow
        head = lists.list_head(conn, phrases[0])
        if head is None:
            if not build or bm25.count(conn, phrases[0]) <= lists.SMALL or lists.build_list(
                    conn, phrases[0]) is None:
                return None
            head = lists.list_head(conn, phrases[0])
        excluded: set[int] = set()
        sought: list[str] = []
        for phrase in shape.excluded:
            listed = lists.list_head(conn, phrase)
            df = listed[1] if listed and not lists.changed(conn) else None
            got = ors.excluded_set(conn, phrase) if df is None or df <= ors.EXCLUDED_MAX else None
            if got is not None:
                excluded |= got
            elif (" " not in phrase and not phrase.endswith("*")
                  and (df or bm25.count(conn, phrase)) <= rows * SOUGHT_MAX):
                sought.append(phrase)  # a word in too many papers: each paper read sought
            else:
                return None  # excludes most papers: FTS5 does that better
        return walk.one(conn, phrases[0], head, rows, tokens / rows, limit, excluded,
                        tuple(sought))
    if not shape.excluded:  # an OR with a list of its own (made ahead: hyphenated terms)
        head = lists.union_head(conn, " OR ".join(phrases))
        if head is not None:
            return walk.union(conn, phrases, head, rows, tokens / rows, limit)
    got = ors.phrase_data(conn, shape, build)
    if got is None:
        return None
    found, small = got
    if not found:
        return ors.from_small(shape, phrases, small, limit)
    return ors.ranked(conn, shape, phrases, npos, found, small, rows, tokens / rows, limit)
