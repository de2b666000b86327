"""FTS5's exact bm25 top k of a broad query without scoring every match (impact lists).

FTS5 scores every paper a query matches (~1 µs each), so a word in most of 100,000 papers
costs tens of milliseconds. Here a broad phrase (more than :data:`SMALL` matches) gets an
*impact list*: its :data:`LIST_LEN` best papers, best first, with each one's weighted term
frequency ``F`` and length ``D``, and a *bound*: the best term score of any paper not in
the list. An OR of phrases (``multi-task`` is ``"multi task" OR "multitask"``) gets a list
of its own, ranked by whole score, with ``F`` of each phrase. A query is answered from the
lists (and the narrow phrases' whole match sets): every candidate is scored exactly as
FTS5's ``bm25()`` does (same formula, same order of floating-point operations: each list
is checked against FTS5 bit for bit when made), reading best first until the k-th best
score beats the bound of every paper not read. Otherwise, and for the shapes FTS5 ranks
quicker (an AND of several words: few matches) or that are not handled here (NEAR),
``None`` sends the caller to FTS5's own full ranking, so the top k is always FTS5's.

Staying exact while other tools write: the index triggers (plain SQL, :mod:`kb.store.fts`)
note every written rowid in ``papers_fts_changed``. A noted paper's list entries are not
trusted: it is scored afresh from the index, and the phrases' document counts are counted
again. The bound stays valid for the papers not noted: their ``F`` and ``D`` did not
change, and a change of the average length by a factor ``r`` moves a term score by at
most ``r``. :func:`settle` (run by mtlkb's writes) drops the lists when over
:data:`QUEUE_MAX` papers are noted; they are rebuilt, one phrase at a time, by the next
search that needs them on a writable store.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
from dataclasses import dataclass

from kb.store.fts import WEIGHTS

K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
LIST_LEN = 1000  # papers kept per list (~10 bytes each)
SMALL = 3000  # a phrase with at most this many matches is read whole, never listed
QUEUE_MAX = 64  # noted papers beyond which the lists are dropped
EXCLUDED_MAX = 30000  # papers an excluded phrase (-word) may match for a list to answer
RESOLVE_MAX = 40  # papers scored one by one (a seek each) before giving up on a query
_OPEN, _CLOSE = "\x01\x02\x03", "\x03\x02\x01"  # highlight() marks (never in real text)
_HIGHLIGHT = ", ".join(f"highlight(papers_fts, {c}, '{_OPEN}', '{_CLOSE}')"
                       for c in range(len(WEIGHTS)))
_BM25 = "bm25(papers_fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"
assert all(w == int(w) for w in WEIGHTS)  # F is then an integer, recovered exactly

TABLES = (
    "CREATE TABLE IF NOT EXISTS papers_fts_changed(rid INTEGER PRIMARY KEY)",
    # phrase: an FTS5 phrase, or an OR of phrases (then dfs and rows are set, the bound is
    # a whole score at the build's IDFs, and each entry's tfs holds F of each phrase)
    "CREATE TABLE IF NOT EXISTS papers_fts_lists(id INTEGER PRIMARY KEY, phrase TEXT UNIQUE "
    "NOT NULL, df INTEGER NOT NULL, bound REAL NOT NULL, avgdl REAL NOT NULL, dfs TEXT, "
    "rows INTEGER)",
    "CREATE TABLE IF NOT EXISTS papers_fts_top(list INTEGER NOT NULL, pos INTEGER NOT NULL, "
    "rid INTEGER NOT NULL, tf INTEGER NOT NULL, len INTEGER NOT NULL, tfs TEXT, "
    "PRIMARY KEY(list, pos)) WITHOUT ROWID",
)


def create_tables(conn: sqlite3.Connection) -> None:
    for sql in TABLES:
        conn.execute(sql)


def clear(conn: sqlite3.Connection) -> None:
    """Drop every list and the noted rowids (the index was rebuilt, or too much changed)."""
    conn.execute("DELETE FROM papers_fts_top")
    conn.execute("DELETE FROM papers_fts_lists")
    conn.execute("DELETE FROM papers_fts_changed")


def unsettled(conn: sqlite3.Connection) -> bool:
    """Whether :func:`settle` has work: noted rowids with no lists, or too many (one query)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM papers_fts_lists), "
        "(SELECT count(*) FROM (SELECT 1 FROM papers_fts_changed LIMIT ?))", [QUEUE_MAX + 1]
    ).fetchone()
    return bool(row[1]) and (not row[0] or row[1] > QUEUE_MAX)


def settle(conn: sqlite3.Connection) -> None:
    """After writes: forget noted rowids when there are no lists; drop the lists when more
    than :data:`QUEUE_MAX` papers changed since (rebuilding them beats rescoring those)."""
    if unsettled(conn):
        clear(conn)


# -- FTS5's numbers --------------------------------------------------------------------
def _varints(blob: bytes) -> list[int]:
    """SQLite's varints (as FTS5 stores its averages and document sizes)."""
    out, i, n = [], 0, len(blob)
    while i < n:
        v = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                v = (v << 8) | byte
                break
            v = (v << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(v)
    return out


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens in all columns) of the index: FTS5's averages record."""
    row = conn.execute("SELECT block FROM papers_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0, 0
    values = _varints(row[0])
    return values[0], sum(values[1:])


def lengths(conn: sqlite3.Connection, rids: list[int]) -> dict[int, int]:
    """Each paper's length in tokens (all columns), as bm25 reads it."""
    out: dict[int, int] = {}
    for i in range(0, len(rids), 900):
        chunk = rids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for rid, sz in conn.execute(
                f"SELECT id, sz FROM papers_fts_docsize WHERE id IN ({marks})", chunk):
            out[rid] = sum(_varints(sz))
    return out


def idf(rows: int, df: int) -> float:
    value = math.log((rows - df + 0.5) / (df + 0.5))
    return value if value > 0.0 else 1e-6


def term(idf_: float, tf: float, dl: float, avgdl: float) -> float:
    """One phrase's share of a paper's score, in fts5Bm25Function's order of operations."""
    return idf_ * ((tf * (K1 + 1.0)) / (tf + K1 * (1 - B + B * dl / avgdl)))


def count(conn: sqlite3.Connection, phrase: str) -> int:
    return conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?",
                        [phrase]).fetchone()[0]


# -- lists -------------------------------------------------------------------------------
@dataclass
class PhraseList:
    df: int
    bound: float  # best bm25 term factor tf*(k1+1)/(tf+K) outside the list, at ``avgdl``
    avgdl: float
    entries: list[tuple[int, int, int]]  # (rowid, F, D)


def get_list(conn: sqlite3.Connection, phrase: str) -> PhraseList | None:
    row = conn.execute("SELECT id, df, bound, avgdl FROM papers_fts_lists WHERE phrase = ?",
                       [phrase.lower()]).fetchone()
    if row is None:
        return None
    entries = conn.execute("SELECT rid, tf, len FROM papers_fts_top WHERE list = ? "
                           "ORDER BY pos", [row[0]]).fetchall()
    return PhraseList(row[1], row[2], row[3], entries)


def _union_head(conn: sqlite3.Connection, query: str) -> tuple | None:
    return conn.execute("SELECT id, df, bound, avgdl, dfs, rows FROM papers_fts_lists "
                        "WHERE phrase = ? AND dfs IS NOT NULL", [query.lower()]).fetchone()


def _list_head(conn: sqlite3.Connection, phrase: str
               ) -> tuple[int, float, float, int] | None:
    """(id, df, bound, avgdl) of the list of ``phrase``, if it has one."""
    return conn.execute("SELECT id, df, bound, avgdl FROM papers_fts_lists WHERE phrase = ?",
                        [phrase.lower()]).fetchone()


def build_list(conn: sqlite3.Connection, phrase: str) -> PhraseList | None:
    """Make (and store) the list of ``phrase`` from FTS5's own ranking of it alone; ``None``
    when the list cannot be trusted bit for bit, or the store cannot be written now."""
    stamp = _stamp(conn)
    rows, tokens = totals(conn)
    df = count(conn, phrase)
    if not rows or df <= SMALL:
        return None
    best = conn.execute(
        f"SELECT rowid, {_BM25} AS s FROM papers_fts WHERE papers_fts MATCH ? "
        "ORDER BY s, rowid LIMIT ?", [phrase, LIST_LEN + 1]).fetchall()
    dl = lengths(conn, [r[0] for r in best])
    avgdl, w = tokens / rows, idf(rows, df)
    entries = []
    for rid, s in best:
        g, d = -s, dl[rid]
        k = K1 * (1 - B + B * d / avgdl)
        tf = round(g * k / (w * (K1 + 1.0) - g))
        if term(w, tf, d, avgdl) != g:  # not FTS5's number: never answer from this list
            return None
        entries.append((rid, tf, d))
    bound = 0.0
    if len(entries) > LIST_LEN:
        _, tf, d = entries.pop()
        bound = term(1.0, tf, d, avgdl)
    if not _store(conn, phrase, df, bound, avgdl, [(*e, None) for e in entries], stamp):
        return None
    return PhraseList(df, bound, avgdl, entries)


def _stamp(conn: sqlite3.Connection) -> list:
    """FTS5's averages and structure records: any write to the index changes them."""
    return conn.execute("SELECT id, block FROM papers_fts_data WHERE id IN (1, 10) "
                        "ORDER BY id").fetchall()


def _store(conn: sqlite3.Connection, key: str, df: int, bound: float, avgdl: float,
           entries: list[tuple], stamp: list, dfs: str | None = None,
           rows: int | None = None) -> bool:
    """Write one list (replacing any of ``key``); ``False`` if the store cannot be written
    now (read-only, or another process holds the write lock: a search does not wait), or
    if the index changed since ``stamp`` was taken (the list may describe neither state)."""
    own = not conn.in_transaction
    wait = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        if own:
            conn.execute("PRAGMA busy_timeout = 50")
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute("SAVEPOINT topk_list")
        try:
            if _stamp(conn) != stamp:
                raise _Stale
            conn.execute("DELETE FROM papers_fts_top WHERE list = (SELECT id FROM "
                         "papers_fts_lists WHERE phrase = ?)", [key.lower()])
            cur = conn.execute(
                "INSERT OR REPLACE INTO papers_fts_lists(phrase, df, bound, avgdl, dfs, rows) "
                "VALUES (?,?,?,?,?,?)", [key.lower(), df, bound, avgdl, dfs, rows])
            conn.executemany(
                "INSERT INTO papers_fts_top(list, pos, rid, tf, len, tfs) VALUES (?,?,?,?,?,?)",
                [(cur.lastrowid, pos, *e) for pos, e in enumerate(entries)])
        except BaseException:
            conn.execute("ROLLBACK" if own else "ROLLBACK TO topk_list")
            if not own:
                conn.execute("RELEASE topk_list")
            raise
        conn.execute("COMMIT" if own else "RELEASE topk_list")
    except (sqlite3.OperationalError, _Stale):
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(wait)}")
    return True


class _Stale(Exception):
    """The index was written while a list was being made."""


def _shares(conn: sqlite3.Connection, phrase: str, rids: list[int]) -> dict[int, float]:
    """FTS5's share of ``phrase`` alone in each paper of ``rids`` holding it (one pass)."""
    import json

    return {rid: -s for rid, s in conn.execute(
        f"SELECT rowid, {_BM25} FROM papers_fts WHERE papers_fts MATCH ? AND rowid BETWEEN "
        "? AND ? AND +rowid IN (SELECT value FROM json_each(?))",
        [phrase, min(rids), max(rids), json.dumps(rids)])}


def build_union(conn: sqlite3.Connection, phrases: list[str]) -> bool:
    """Make the list of the query ``p1 OR p2 OR ...``: its best papers by whole score with
    each phrase's ``F``, checked bit for bit against FTS5; ``False`` if not made."""
    stamp = _stamp(conn)
    rows, tokens = totals(conn)
    query = " OR ".join(phrases)
    df = count(conn, query)
    if not rows or df <= SMALL:
        return False
    best = conn.execute(
        f"SELECT rowid, {_BM25} AS s FROM papers_fts WHERE papers_fts MATCH ? "
        "ORDER BY s, rowid LIMIT ?", [query, LIST_LEN + 1]).fetchall()
    rids = [r[0] for r in best]
    dl = lengths(conn, rids)
    avgdl = tokens / rows
    dfs = [count(conn, p) for p in phrases]
    weights = [idf(rows, d) for d in dfs]
    shares = [_shares(conn, p, rids) for p in phrases]
    entries = []
    for rid, s in best:
        d, total, tfs = dl[rid], 0.0, []
        for w, got in zip(weights, shares, strict=True):
            g = got.get(rid, 0.0)
            tf = round(g * K1 * (1 - B + B * d / avgdl) / (w * (K1 + 1.0) - g)) if g else 0
            if tf and term(w, tf, d, avgdl) != g:
                return False
            total += term(w, tf, d, avgdl) if tf else 0.0
            tfs.append(tf)
        if -total != s:  # not FTS5's number: never answer from this list
            return False
        entries.append((rid, 0, d, ",".join(map(str, tfs))))
    bound = 0.0
    if len(entries) > LIST_LEN:
        bound = -best[-1][1]
        entries.pop()
    return _store(conn, query, df, bound, avgdl, entries, stamp, ",".join(map(str, dfs)),
                  rows)


def _union(conn: sqlite3.Connection, phrases: list[str], head: tuple, rows: int,
           avgdl: float, limit: int) -> list[tuple[float, int]] | None:
    """``p1 OR p2 ...`` from its list, best first, until the k-th best beats the rest."""
    list_id, _, bound, built_avgdl, dfs_text, built_rows = head
    changed = [r[0] for r in conn.execute("SELECT rid FROM papers_fts_changed")]
    built = [idf(built_rows, int(d)) for d in dfs_text.split(",")]
    now = ([idf(rows, count(conn, p)) for p in phrases] if changed or rows != built_rows
           else built)
    grow = max(n / b for n, b in zip(now, built, strict=True)) * max(
        1.0, avgdl / built_avgdl) * (1 + 1e-9)
    best: list[tuple[float, int]] = []

    def offer(score: float, rid: int) -> None:
        item = (score, -rid)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)

    def score(tfs: list[int], dl: int, weights: list[float], avg: float) -> float:
        total = 0.0
        for w, tf in zip(weights, tfs, strict=True):
            total += term(w, tf, dl, avg) if tf else 0.0
        return total

    if changed:
        if any(_may_overlap(p) for p in phrases):
            return None
        dls = lengths(conn, changed)
        alive = [c for c in changed if c in dls]
        found = [_resolve(conn, p, alive) for p in phrases]
        for rid in alive:
            tfs = [f.get(rid, 0) for f in found]
            if any(tfs):
                offer(score(tfs, dls[rid], now, avgdl), rid)
    skip = set(changed)
    pos = 0
    while True:
        page = conn.execute("SELECT rid, len, tfs FROM papers_fts_top WHERE list = ? AND "
                            "pos >= ? ORDER BY pos LIMIT ?", [list_id, pos, _PAGE]).fetchall()
        for rid, dl, tfs in page:
            if rid not in skip:
                offer(score([int(t) for t in tfs.split(",")], dl, now, avgdl), rid)
        pos += len(page)
        rest = bound if len(page) < _PAGE else score(
            [int(t) for t in page[-1][2].split(",")], page[-1][1], built, built_avgdl)
        if len(best) >= limit and rest * grow < best[0][0]:
            return sorted((-sc, -nr) for sc, nr in best)
        if len(page) < _PAGE:
            return None


def _sample(conn: sqlite3.Connection, sample: int) -> list[str]:
    from kb.store.fts import fold

    return [fold(" ".join(t or "" for t in row)).lower() for row in conn.execute(
        "SELECT title, abstract, authors_text FROM papers WHERE rowid IN "
        "(SELECT rowid FROM papers ORDER BY random() LIMIT ?)", [sample])]


def _broad(counts: dict[str, int], rows: int, texts: int) -> list[str]:
    # broad if the sample says so with room to spare (the exact count decides at the build)
    return [t for t, k in counts.items() if k * rows / max(texts, 1) > SMALL * 0.8]


def prepare(conn: sqlite3.Connection, sample: int = 2000) -> int:
    """Make the lists of the words and 1-4 letter prefixes that look broad in a sample of
    the papers' text (each list is otherwise made by the first search that needs it).
    Returns how many lists were made."""
    import re

    rows, _ = totals(conn)
    if not rows:
        return 0
    seen: dict[str, int] = {}
    texts = _sample(conn, sample)
    for text in texts:
        words = set(re.findall(r"\w+", text))
        for phrase in {f'"{w}"' for w in words} | {f'"{w[:n]}"*' for w in words
                                                  for n in (1, 2, 3, 4) if len(w) > n}:
            seen[phrase] = seen.get(phrase, 0) + 1
    have = {r[0] for r in conn.execute("SELECT phrase FROM papers_fts_lists")}
    return sum(build_list(conn, p) is not None
               for p in _broad(seen, rows, len(texts)) if p not in have)


def broad_compounds(conn: sqlite3.Connection, sample: int = 2000) -> list[str]:
    """Hyphenated terms (``multi-task``) that look broad in a sample of the papers' text."""
    import re

    rows, _ = totals(conn)
    seen: dict[str, int] = {}
    texts = _sample(conn, sample) if rows else []
    for text in texts:
        for term_ in set(re.findall(r"\w+(?:-\w+)+", text)):
            seen[term_] = seen.get(term_, 0) + 1
    return sorted(_broad(seen, rows, len(texts)))


# -- the query ---------------------------------------------------------------------------
@dataclass
class Shape:
    """A query as OR of AND-groups of units, each unit a phrase or an OR of phrases, less
    the papers matching any excluded phrase. Phrases are FTS5 phrase strings, in the order
    FTS5 numbers them (the order of the rendered query)."""

    groups: list[list[list[str]]]
    excluded: list[str]

    def phrases(self) -> list[str]:
        return [p for g in self.groups for u in g for p in u] + self.excluded


def _and(values):
    out = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _or(values):
    out = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


def _matches(shape: Shape, has) -> bool | None:
    """Whether a paper matches (None: not known), ``has(i)`` saying it of phrase ``i``."""
    i = 0
    groups = []
    for g in shape.groups:
        units = []
        for u in g:
            units.append(_or(has(i + j) for j in range(len(u))))
            i += len(u)
        groups.append(_and(units))
    out = _or(groups)
    excluded = _or(has(i + j) for j in range(len(shape.excluded)))
    if out is False or excluded is True:
        return False
    if excluded is False:
        return out
    return None


def _may_overlap(phrase: str) -> bool:
    """Whether two instances of ``phrase`` could overlap (highlight() would merge them)."""
    words = phrase.strip('"*').split()
    if phrase.endswith("*") and len(words) > 1:
        return True
    for a in range(len(words)):
        for b in range(a + 1, len(words)):
            x, y = words[a].lower(), words[b].lower()
            if x[:1] == y[:1] and (min(len(x), len(y)) <= 3 or x[:2] == y[:2]):
                return True
    return False


def _resolve(conn: sqlite3.Connection, phrase: str, rids: list[int]) -> dict[int, int]:
    """``F`` of ``phrase`` in each paper of ``rids`` that holds it, counted from FTS5."""
    out: dict[int, int] = {}
    marks = ",".join("?" * len(rids))
    for row in conn.execute(
            f"SELECT rowid, {_HIGHLIGHT} FROM papers_fts WHERE papers_fts MATCH ? "
            f"AND rowid IN ({marks})", [phrase, *rids]):
        out[row[0]] = sum(int(w) * (text or "").count(_OPEN)
                          for w, text in zip(WEIGHTS, row[1:], strict=True))
    return out


@dataclass
class _Cand:
    rid: int
    known: dict[int, float]  # phrase index -> exact share (0.0: does not hold it)
    ub: float = 0.0


def top(conn: sqlite3.Connection, shape: Shape, limit: int, build: bool = False
        ) -> list[tuple[float, int]] | None:
    """FTS5's bm25 top ``limit`` of ``shape`` as (score, rowid), best (lowest) first; or
    ``None`` when FTS5 must rank this query itself (as it does quickest for narrow
    queries and for an AND of several words, whose matches are few)."""
    phrases = shape.phrases()
    npos = len(phrases) - len(shape.excluded)
    if not phrases or any(len(g) > 1 for g in shape.groups):
        if len(shape.groups) == 1 and not shape.excluded:
            return _and_query(conn, shape.groups[0], phrases, limit)
        return None
    rows, tokens = totals(conn)
    if not rows or conn.execute("SELECT count(*) FROM (SELECT 1 FROM papers_fts_changed "
                                "LIMIT ?)", [QUEUE_MAX + 1]).fetchone()[0] > QUEUE_MAX:
        return None  # more changed than rescoring is worth (a read-only KB cannot settle)
    # Made on first use: lists of words and prefixes only. Counting a multi-word phrase's
    # matches costs about what FTS5's ranking of it does: their lists are made ahead
    # (kb.store.search.prepare_lists: hyphenated terms).
    build = build and not any(" " in p for p in phrases[:npos])
    if npos == 1:  # one phrase (less narrow exclusions): its list, or FTS5 when it is narrow
        head = _list_head(conn, phrases[0])
        if head is None:
            if not build or count(conn, phrases[0]) <= SMALL or build_list(
                    conn, phrases[0]) is None:
                return None
            head = _list_head(conn, phrases[0])
        excluded: set[int] = set()
        for phrase in shape.excluded:  # (walking a match list is ~25x cheaper than bm25)
            got = conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
                               [phrase, EXCLUDED_MAX + 1]).fetchall()
            if len(got) > EXCLUDED_MAX:
                return None  # excludes most papers: FTS5 does that better
            excluded.update(r[0] for r in got)
        return _one(conn, phrases[0], head, rows, tokens / rows, limit, excluded)
    if not shape.excluded:  # an OR with a list of its own (made ahead: hyphenated terms)
        head = _union_head(conn, " OR ".join(phrases))
        if head is not None:
            return _union(conn, phrases, head, rows, tokens / rows, limit)
    got = _phrase_data(conn, shape, build)
    if got is None:
        return None
    lists, small = got
    if not lists:
        return _from_small(shape, phrases, small, limit)
    return _ranked(conn, shape, phrases, npos, lists, small, rows, tokens / rows, limit)


_PAGE = 64  # list entries read at a time (best first) for a one-phrase query


def _one(conn: sqlite3.Connection, phrase: str, head: tuple, rows: int, avgdl: float,
         limit: int, excluded: set[int]) -> list[tuple[float, int]] | None:
    """One phrase from its list, less the papers ``excluded``: read best first until the
    k-th best beats the rest. (An excluded phrase adds 0.0 to a matching paper's score.)"""
    list_id, df, bound, built_avgdl = head
    changed = [r[0] for r in conn.execute("SELECT rid FROM papers_fts_changed")]
    w = idf(rows, df if not changed else count(conn, phrase))
    r = max(1.0, avgdl / built_avgdl) * (1 + 1e-9)
    best: list[tuple[float, int]] = []  # min-heap of (share, -rowid)

    def offer(share: float, rid: int) -> None:
        item = (share, -rid)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)

    if changed:  # written since the list was made: scored from the index itself
        if _may_overlap(phrase):
            return None
        dls = lengths(conn, changed)
        for rid, tf in _resolve(conn, phrase, [c for c in changed if c in dls]).items():
            if rid not in excluded:
                offer(term(w, tf, dls[rid], avgdl), rid)
    skip = excluded | set(changed)
    pos = 0
    while True:
        page = conn.execute("SELECT rid, tf, len FROM papers_fts_top WHERE list = ? AND "
                            "pos >= ? ORDER BY pos LIMIT ?", [list_id, pos, _PAGE]).fetchall()
        for rid, tf, dl in page:
            if rid not in skip:
                offer(term(w, tf, dl, avgdl), rid)
        pos += len(page)
        # every entry not yet read (and every paper not listed) scored at most this at build
        rest = bound if len(page) < _PAGE else term(1.0, page[-1][1], page[-1][2], built_avgdl)
        if len(best) >= limit and w * rest * r < best[0][0]:
            return sorted((-0.0 - sh, -nr) for sh, nr in best)
        if len(page) < _PAGE:
            return None


@dataclass
class _Unit:
    """What is known of one unit of an AND: every paper's shares (``full``), or a list."""

    first: int  # index of its first phrase in the query
    phrases: list[str]
    full: dict[int, float] | None = None  # one narrow phrase: paper -> share
    entries: dict[int, tuple[list[int], int]] | None = None  # listed: paper -> (Fs, D)
    weights: list[float] | None = None
    cap: float = 0.0  # best score of the unit for a paper not in its list


def _and_query(conn: sqlite3.Connection, units: list[list[str]], phrases: list[str],
               limit: int) -> list[tuple[float, int]] | None:
    """An AND of units, each narrow (a phrase in at most :data:`SMALL` papers: all its
    papers' shares are read) or listed, one of them narrow: its papers are the candidates,
    scored from the lists (and from the index where a candidate is in no list)."""
    # Worth it only for a listed OR (a hyphenated term) AND a narrow word: FTS5 ranks an
    # AND of plain words quicker than the lists can be read (measured: 5-8 words, 2.5 ms).
    if len(units) != 2 or not any(len(a) > 1 and _union_head(conn, " OR ".join(a))
                                  for a in units):
        return None
    rows, tokens = totals(conn)
    changed = {r[0] for r in conn.execute("SELECT rid FROM papers_fts_changed")}
    if not rows or changed:
        return None
    avgdl = tokens / rows
    known: list[_Unit] = []
    first = 0
    for alts in units:
        unit = _Unit(first, alts)
        first += len(alts)
        key = " OR ".join(alts)
        if len(alts) > 1:
            head = _union_head(conn, key)
            if head is None:
                return None
            list_id, _, bound, built_avgdl, dfs_text, built_rows = head
            built = [idf(built_rows, int(d)) for d in dfs_text.split(",")]
            unit.weights = built if rows == built_rows else [idf(rows, count(conn, p))
                                                             for p in alts]
            grow = max(n / b for n, b in zip(unit.weights, built, strict=True))
            unit.cap = bound * grow * max(1.0, avgdl / built_avgdl) * (1 + 1e-9)
            unit.entries = {rid: ([int(t) for t in tfs.split(",")], dl) for rid, dl, tfs in
                            conn.execute("SELECT rid, len, tfs FROM papers_fts_top WHERE "
                                         "list = ?", [list_id])}
        else:
            head = _list_head(conn, alts[0])
            if head is None:
                got = conn.execute(
                    f"SELECT rowid, {_BM25} FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
                    [alts[0], SMALL + 1]).fetchall()
                if len(got) > SMALL:
                    return None
                unit.full = {rid: -sc for rid, sc in got}
            else:
                list_id, df, bound, built_avgdl = head
                unit.weights = [idf(rows, df)]
                unit.cap = unit.weights[0] * bound * max(1.0, avgdl / built_avgdl) * (
                    1 + 1e-9)
                unit.entries = {rid: ([tf], dl) for rid, tf, dl in conn.execute(
                    "SELECT rid, tf, len FROM papers_fts_top WHERE list = ?", [list_id])}
        known.append(unit)
    fulls = [u for u in known if u.full is not None]
    if fulls:  # the narrowest unit's papers are the only candidates
        pool = list(min(fulls, key=lambda u: len(u.full)).full)
        rest_ub = -math.inf
    else:  # every unit broad: the lists' bounds are too loose to prove an AND (measured)
        return None
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
                    shares[u.first + j] = term(w, tf, dl, avgdl) if tf else 0.0
            else:
                for j in range(len(u.phrases)):
                    shares[u.first + j] = None
                ub += u.cap
        if ok:
            ub += sum(x for x in shares if x is not None)
            scored.append((ub, rid, shares))
    scored.sort(key=lambda t: -t[0])
    if len(scored) < limit and rest_ub > -math.inf or (
            len(scored) >= limit and scored[limit - 1][0] <= rest_ub):
        return None  # the k-th best can never beat the papers in no list
    best: list[tuple[float, int]] = []
    seen: set[int] = set()
    resolved = 0

    def offer(rid: int, shares: list[float]) -> None:
        total = 0.0
        for x in shares:
            total += x
        item = (total, -rid)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)

    i = 0
    while i < len(scored):
        ub, rid, shares = scored[i]
        if len(best) >= limit and ub < best[0][0]:
            break
        if rid in seen:
            i += 1
            continue
        if None not in shares:
            offer(rid, shares)
            i += 1
            continue
        chunk = [t for t in scored[i:i + _CHUNK] if None in t[2]]
        resolved += len(chunk)
        if resolved > RESOLVE_MAX:
            return None
        dls = lengths(conn, [t[1] for t in chunk])
        for u in known:
            for j, phrase in enumerate(u.phrases):
                need = [t for t in chunk if t[2][u.first + j] is None]
                if not need:
                    continue
                if _may_overlap(phrase):
                    return None
                w = u.weights[j]
                tfs = _resolve(conn, phrase, [t[1] for t in need])
                for t in need:
                    tf = tfs.get(t[1], 0)
                    t[2][u.first + j] = term(w, tf, dls[t[1]], avgdl) if tf else 0.0
        for t in chunk:  # the AND needs every unit: some share of each
            seen.add(t[1])
            if all(any(t[2][u.first + j] > 0 for j in range(len(u.phrases))) for u in known):
                offer(t[1], t[2])
    if rest_ub > -math.inf and (len(best) < limit or rest_ub >= best[0][0]):
        return None  # papers in no list might still belong in the top k
    return sorted((-sc, -r) for sc, r in best)


def _phrase_data(conn: sqlite3.Connection, shape: Shape, build: bool
                 ) -> tuple[dict[str, PhraseList], dict[str, dict[int, float]]] | None:
    """Each phrase's list, or its whole match set with each paper's share (narrow ones)."""
    small: dict[str, dict[int, float]] = {}
    lists: dict[str, PhraseList] = {}
    for phrase in dict.fromkeys(shape.phrases()):
        found = get_list(conn, phrase)
        if found is None:
            got = conn.execute(
                f"SELECT rowid, {_BM25} FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
                [phrase, SMALL + 1]).fetchall()
            if len(got) <= SMALL:
                small[phrase] = {rid: -s for rid, s in got}  # -(0.0 + share): exact
                continue
            if phrase in shape.excluded or not build:
                return None
            found = build_list(conn, phrase)
            if found is None:
                return None
        if phrase in shape.excluded:  # a broad exclusion: FTS5 does that better
            return None
        lists[phrase] = found
    return lists, small


def _ranked(conn: sqlite3.Connection, shape: Shape, phrases: list[str], npos: int,
            lists: dict[str, PhraseList], small: dict[str, dict[int, float]], rows: int,
            avgdl: float, limit: int) -> list[tuple[float, int]] | None:
    """The top ``limit`` from the lists and the narrow phrases' sets, if they prove it."""
    kinds = [("list" if p in lists else "small") for p in phrases]
    changed = {r[0] for r in conn.execute("SELECT rid FROM papers_fts_changed")}
    weights = {p: idf(rows, lst.df if not changed else count(conn, p))
               for p, lst in lists.items()}
    for p in small:
        weights[p] = idf(rows, len(small[p]))
    cap = {p: weights[p] * lst.bound * max(1.0, avgdl / lst.avgdl) * (1 + 1e-9)
           for p, lst in lists.items()}
    # The best any paper never scored could do: in no list, no narrow set, not changed.
    rest_ub = -math.inf
    if _matches(shape, lambda i: None if kinds[i] == "list" else False) is not False:
        rest_ub = sum(cap[phrases[i]] for i in range(npos) if kinds[i] == "list")
    cands: dict[int, _Cand] = {}
    for i, p in enumerate(phrases[:npos]):
        if kinds[i] == "list":
            for rid, tf, dl in lists[p].entries:
                if rid not in changed:
                    cands.setdefault(rid, _Cand(rid, {})).known[i] = term(
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
            got = _shares(conn, phrases[i], [c.rid for c in need])
            for c in need:
                c.known[i] = got.get(c.rid, 0.0)
    best: list[tuple[float, int]] = []  # min-heap of (score, -rowid): the k-th best on top
    for c in live:
        score = 0.0
        for i in range(npos):
            score += c.known[i]
        if not score > 0.0:
            continue  # gone, or holds none of the phrases after all
        item = (score, -c.rid)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)
    if len(best) < limit or rest_ub >= best[0][0]:
        return None  # papers never scored might still belong in the top k
    return sorted((-s, -r) for s, r in best)


_CHUNK = 16  # candidates scored per round (one statement per phrase for those unknown)


def _from_small(shape: Shape, phrases: list[str], small: dict[str, dict[int, float]],
                limit: int) -> list[tuple[float, int]]:
    """Every phrase is narrow: each matching paper's share of each phrase is known."""
    npos = len(phrases) - len(shape.excluded)
    rids = set().union(*(small[p] for p in phrases[:npos]))
    scored = []
    for rid in rids:
        if _matches(shape, lambda i, rid=rid: rid in small[phrases[i]]):
            score = 0.0
            for p in phrases[:npos]:
                score += small[p].get(rid, 0.0)
            scored.append((-score, rid))
    return heapq.nsmallest(limit, scored)
