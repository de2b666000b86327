"""FTS5's own numbers, read or worked out exactly as FTS5 does: the index's row and token
counts, each paper's length, idf and a phrase's share of bm25 (``fts5Bm25Function``'s
order of floating-point operations), and a phrase's ``F`` or share in given papers."""

from __future__ import annotations

import json
import math
import sqlite3

from kb.store import fts

K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
_OPEN, _CLOSE = "\x01\x02\x03", "\x03\x02\x01"  # highlight() marks (never in real text)
# (read when a statement is made: another helper may add an FTS column)
assert all(w == int(w) for w in fts.WEIGHTS)  # F is then an integer, recovered exactly


def bm25_sql() -> str:
    """``bm25(papers_fts, w1, w2, ...)`` with the index's column weights."""
    return "bm25(papers_fts, " + ", ".join(str(w) for w in fts.WEIGHTS) + ")"


def _highlight_sql() -> str:
    return ", ".join(f"highlight(papers_fts, {c}, '{_OPEN}', '{_CLOSE}')"
                     for c in range(len(fts.WEIGHTS)))


def varints(blob: bytes) -> list[int]:
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
    values = varints(row[0])
    return values[0], sum(values[1:])


def lengths(conn: sqlite3.Connection, rids: list[int]) -> dict[int, int]:
    """Each paper's length in tokens (all columns), as bm25 reads it."""
    out: dict[int, int] = {}
    for i in range(0, len(rids), 900):
        chunk = rids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for rid, sz in conn.execute(
                f"SELECT id, sz FROM papers_fts_docsize WHERE id IN ({marks})", chunk):
            out[rid] = sum(varints(sz))
    return out


def idf(rows: int, df: int) -> float:
    value = math.log((rows - df + 0.5) / (df + 0.5))
    return value if value > 0.0 else 1e-6


def term(idf_: float, tf: float, dl: float, avgdl: float) -> float:
    """One phrase's share of a paper's score, in fts5Bm25Function's order of operations."""
    return idf_ * ((tf * (K1 + 1.0)) / (tf + K1 * (1 - B + B * dl / avgdl)))


def tf_of(share: float, idf_: float, dl: float, avgdl: float) -> int:
    """The ``F`` a share of bm25 was worked out from (exact: ``F`` is an integer)."""
    return round(share * K1 * (1 - B + B * dl / avgdl) / (idf_ * (K1 + 1.0) - share))


def count(conn: sqlite3.Connection, phrase: str) -> int:
    return conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?",
                        [phrase]).fetchone()[0]


def shares(conn: sqlite3.Connection, phrase: str, rids: list[int]) -> dict[int, float]:
    """FTS5's share of ``phrase`` alone in each paper of ``rids`` holding it: one pass over
    the phrase's matches, bm25 worked out only for those papers (no seek a paper)."""
    if not rids:
        return {}
    return {rid: -s for rid, s in conn.execute(
        f"SELECT rowid, {bm25_sql()} FROM papers_fts WHERE papers_fts MATCH ? AND rowid "
        "BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))",
        [phrase, min(rids), max(rids), json.dumps(rids)])}


def holding(conn: sqlite3.Connection, words: tuple[str, ...], rids: list[int]) -> set[int]:
    """The papers of ``rids`` holding any of ``words`` (FTS5 phrases of one word each):
    each sought in the index (no auxiliary function, so a seek costs a few µs)."""
    out: set[int] = set()
    if not rids:
        return out
    marks = ",".join("?" * len(rids))
    for word in words:
        out.update(r[0] for r in conn.execute(
            f"SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN ({marks})",
            [word, *rids]))
    return out


def may_overlap(phrase: str) -> bool:
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


def resolve(conn: sqlite3.Connection, phrase: str, rids: list[int]) -> dict[int, int]:
    """``F`` of ``phrase`` in each paper of ``rids`` that holds it, counted from FTS5."""
    out: dict[int, int] = {}
    marks = ",".join("?" * len(rids))
    for row in conn.execute(
            f"SELECT rowid, {_highlight_sql()} FROM papers_fts WHERE papers_fts MATCH ? "
            f"AND rowid IN ({marks})", [phrase, *rids]):
        out[row[0]] = sum(int(w) * (text or "").count(_OPEN)
                          for w, text in zip(fts.WEIGHTS, row[1:], strict=True))
    return out
