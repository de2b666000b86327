"""Impact lists: their tables, making one (checked bit for bit against FTS5's ``bm25()``),
storing it without waiting on other writers, reading it, and dropping them all."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kb.store.topk import bm25

LIST_LEN = 1000  # papers kept per list (~10 bytes each)
SMALL = 3000  # a phrase with at most this many matches is read whole, never listed
QUEUE_MAX = 64  # noted papers beyond which the lists are dropped

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


def changed(conn: sqlite3.Connection) -> list[int]:
    """The papers written since the lists were made (their entries are not trusted)."""
    return [r[0] for r in conn.execute("SELECT rid FROM papers_fts_changed")]


def too_many_changed(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM (SELECT 1 FROM papers_fts_changed LIMIT ?)",
                        [QUEUE_MAX + 1]).fetchone()[0] > QUEUE_MAX


@dataclass
class PhraseList:
    df: int
    bound: float  # best bm25 term factor tf*(k1+1)/(tf+K) outside the list, at ``avgdl``
    avgdl: float
    entries: list[tuple[int, int, int]]  # (rowid, F, D)


def get_list(conn: sqlite3.Connection, phrase: str) -> PhraseList | None:
    row = list_head(conn, phrase)
    if row is None:
        return None
    return PhraseList(row[1], row[2], row[3], entries(conn, row[0]))


def entries(conn: sqlite3.Connection, list_id: int) -> list[tuple[int, int, int]]:
    """(rowid, F, D) of a phrase's list, best first."""
    return conn.execute("SELECT rid, tf, len FROM papers_fts_top WHERE list = ? "
                        "ORDER BY pos", [list_id]).fetchall()


def union_entries(conn: sqlite3.Connection, list_id: int) -> list[tuple[int, int, str]]:
    """(rowid, D, "F1,F2,...") of an OR's list, best first."""
    return conn.execute("SELECT rid, len, tfs FROM papers_fts_top WHERE list = ? "
                        "ORDER BY pos", [list_id]).fetchall()


def page(conn: sqlite3.Connection, list_id: int, pos: int, n: int, union: bool
         ) -> list[tuple]:
    """``n`` entries of a list from position ``pos``: (rowid, F, D) of a phrase's, (rowid,
    D, "F1,F2,...") of an OR's."""
    cols = "rid, len, tfs" if union else "rid, tf, len"
    return conn.execute(f"SELECT {cols} FROM papers_fts_top WHERE list = ? AND pos >= ? "
                        "ORDER BY pos LIMIT ?", [list_id, pos, n]).fetchall()


def union_head(conn: sqlite3.Connection, query: str) -> tuple | None:
    """(id, df, bound, avgdl, dfs, rows) of the list of the OR ``query``, if it has one."""
    return conn.execute("SELECT id, df, bound, avgdl, dfs, rows FROM papers_fts_lists "
                        "WHERE phrase = ? AND dfs IS NOT NULL", [query.lower()]).fetchone()


def list_head(conn: sqlite3.Connection, phrase: str
              ) -> tuple[int, int, float, float] | None:
    """(id, df, bound, avgdl) of the list of ``phrase``, if it has one."""
    return conn.execute("SELECT id, df, bound, avgdl FROM papers_fts_lists WHERE phrase = ?",
                        [phrase.lower()]).fetchone()


def known(conn: sqlite3.Connection) -> set[str]:
    """The (lower-case) keys of every list made."""
    return {r[0] for r in conn.execute("SELECT phrase FROM papers_fts_lists")}


def build_list(conn: sqlite3.Connection, phrase: str) -> PhraseList | None:
    """Make (and store) the list of ``phrase`` from FTS5's own ranking of it alone; ``None``
    when the list cannot be trusted bit for bit, or the store cannot be written now."""
    ranked = _ranked(conn, phrase)
    if ranked is None:
        return None
    stamp, rows, tokens, df, best = ranked
    dl = bm25.lengths(conn, [r[0] for r in best])
    avgdl, w = tokens / rows, bm25.idf(rows, df)
    found = []
    for rid, s in best:
        g, d = -s, dl[rid]
        tf = bm25.tf_of(g, w, d, avgdl)
        if bm25.term(w, tf, d, avgdl) != g:  # not FTS5's number: never answer from this list
            return None
        found.append((rid, tf, d))
    bound = 0.0
    if len(found) > LIST_LEN:
        _, tf, d = found.pop()
        bound = bm25.term(1.0, tf, d, avgdl)
    if not _store(conn, phrase, df, bound, avgdl, [(*e, None) for e in found], stamp):
        return None
    return PhraseList(df, bound, avgdl, found)


def build_union(conn: sqlite3.Connection, phrases: list[str]) -> bool:
    """Make the list of the query ``p1 OR p2 OR ...``: its best papers by whole score with
    each phrase's ``F``, checked bit for bit against FTS5; ``False`` if not made."""
    query = " OR ".join(phrases)
    ranked = _ranked(conn, query)
    if ranked is None:
        return False
    stamp, rows, tokens, df, best = ranked
    rids = [r[0] for r in best]
    dl = bm25.lengths(conn, rids)
    avgdl = tokens / rows
    dfs = [bm25.count(conn, p) for p in phrases]
    weights = [bm25.idf(rows, d) for d in dfs]
    got_shares = [bm25.shares(conn, p, rids) for p in phrases]
    found = []
    for rid, s in best:
        d, total, tfs = dl[rid], 0.0, []
        for w, got in zip(weights, got_shares, strict=True):
            g = got.get(rid, 0.0)
            tf = bm25.tf_of(g, w, d, avgdl) if g else 0
            if tf and bm25.term(w, tf, d, avgdl) != g:
                return False
            total += bm25.term(w, tf, d, avgdl) if tf else 0.0
            tfs.append(tf)
        if -total != s:  # not FTS5's number: never answer from this list
            return False
        found.append((rid, 0, d, ",".join(map(str, tfs))))
    bound = 0.0
    if len(found) > LIST_LEN:
        bound = -best[-1][1]
        found.pop()
    return _store(conn, query, df, bound, avgdl, found, stamp, ",".join(map(str, dfs)), rows)


REST = " #rest"  # key suffix of a union's postings (no FTS5 phrase or OR of them ends so)


def rest_key(phrases: list[str]) -> str:
    """The key of the postings of the OR of ``phrases`` (either order: one set a term)."""
    return (" OR ".join(sorted(p.lower() for p in phrases)) + REST).lower()  # (as stored)


def rest_head(conn: sqlite3.Connection, phrases: list[str]) -> tuple[int, list[str]] | None:
    """(id, its phrases in stored order) of the postings of the OR of ``phrases``."""
    row = conn.execute("SELECT id FROM papers_fts_lists WHERE phrase = ?",
                       [rest_key(phrases)]).fetchone()
    return None if row is None else (row[0], sorted(p.lower() for p in phrases))


def build_rest(conn: sqlite3.Connection, phrases: list[str]) -> bool:
    """Store every paper holding any of ``phrases`` with its length and each phrase's
    ``F`` (each checked bit for bit against FTS5's share), keyed by rowid: an AND with a
    hyphenated term then knows the term's share in any paper without walking its phrases'
    matches (a phrase's positions make that walk cost about what FTS5's ranking does)."""
    stamp = _stamp(conn)
    rows, tokens = bm25.totals(conn)
    if not rows:
        return False
    avgdl = tokens / rows
    canon = sorted(p.lower() for p in phrases)
    found: list[dict[int, float]] = []
    for p in canon:
        found.append(dict(conn.execute(
            f"SELECT rowid, -{bm25.bm25_sql()} FROM papers_fts WHERE papers_fts MATCH ?",
            [p]).fetchall()))
    rids = sorted(set().union(*found))
    if len(rids) <= SMALL:
        return False
    dl = bm25.lengths(conn, rids)
    weights = [bm25.idf(rows, len(f)) for f in found]
    out = []
    for rid in rids:
        d, tfs = dl[rid], []
        for w, got in zip(weights, found, strict=True):
            g = got.get(rid, 0.0)
            tf = bm25.tf_of(g, w, d, avgdl) if g else 0
            if tf and bm25.term(w, tf, d, avgdl) != g:
                return False  # not FTS5's number: never answer from these postings
            tfs.append(tf)
        out.append((rid, rid, 0, d, ",".join(map(str, tfs))))
    return _store(conn, rest_key(phrases), len(rids), 0.0, avgdl, out, stamp,
                  ",".join(str(len(f)) for f in found), rows, by_rowid=True)


def rest_lookup(conn: sqlite3.Connection, rest_id: int, rids: list[int]
                ) -> dict[int, tuple[int, list[int]]]:
    """(D, each phrase's F) of the papers of ``rids`` in the postings ``rest_id``."""
    out: dict[int, tuple[int, list[int]]] = {}
    for i in range(0, len(rids), 900):
        chunk = rids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for rid, dl, tfs in conn.execute(
                f"SELECT pos, len, tfs FROM papers_fts_top WHERE list = ? AND pos IN ({marks})",
                [rest_id, *chunk]):
            out[rid] = (dl, [int(t) for t in tfs.split(",")])
    return out


def _ranked(conn: sqlite3.Connection,
            query: str) -> tuple[list, int, int, int, list[tuple[int, float]]] | None:
    """What a list of ``query`` starts from: the index's stamp, its row and token totals, the
    query's document count, and FTS5's own best ``LIST_LEN + 1`` (rowid, bm25); ``None``
    when the query matches too few papers to need a list."""
    stamp = _stamp(conn)
    rows, tokens = bm25.totals(conn)
    df = bm25.count(conn, query)
    if not rows or df <= SMALL:
        return None
    best = conn.execute(
        f"SELECT rowid, {bm25.bm25_sql()} AS s FROM papers_fts WHERE papers_fts MATCH ? "
        "ORDER BY s, rowid LIMIT ?", [query, LIST_LEN + 1]).fetchall()
    return stamp, rows, tokens, df, best


def _stamp(conn: sqlite3.Connection) -> list:
    """FTS5's averages and structure records: any write to the index changes them."""
    return conn.execute("SELECT id, block FROM papers_fts_data WHERE id IN (1, 10) "
                        "ORDER BY id").fetchall()


class _Stale(Exception):
    """The index was written while a list was being made."""


def _store(conn: sqlite3.Connection, key: str, df: int, bound: float, avgdl: float,
           rows_: list[tuple], stamp: list, dfs: str | None = None,
           rows: int | None = None, by_rowid: bool = False) -> bool:
    """Write one list (replacing any of ``key``); ``False`` if the store cannot be written
    now (read-only, or another process holds the write lock: a search does not wait), or
    if the index changed since ``stamp`` was taken (the list may describe neither state).
    ``by_rowid``: each entry brings its own position (its rowid: postings looked up)."""
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
                [(cur.lastrowid, *e) for e in rows_] if by_rowid else
                [(cur.lastrowid, pos, *e) for pos, e in enumerate(rows_)])
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
