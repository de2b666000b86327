"""The FTS5 index over papers: its table, the word-pair twin columns, the sync triggers.

``papers_fts`` is an external-content FTS5 table over title, abstract, authors, topics and
note text, plus one twin column of word pairs for each (see :mod:`kb.store.pairs`). Its
content is the view ``papers_fts_content``, which shows the twins as empty text: FTS5 reads
content only for snippets, and snippets are always made for the words, never the pairs. The
triggers call ``mtlkb_pairs()``, which :func:`kb.store.db.connect` registers on every
connection mtlkb opens; a tool that writes ``papers`` without it fails cleanly (no such
function) rather than leave the index out of step.

FTS5's own ``rebuild`` and ``integrity-check`` read the twins from that view as empty, so
this module rebuilds with :func:`ensure_fts` and checks with :func:`index_differences`.
"""

from __future__ import annotations

import sqlite3

from kb.store.pairs import FUNCTION, TOKENIZE_ARG, register, tokenizer

# Indexed columns of papers, in FTS column order, and the bm25 weight of each.
FTS_COLUMNS = ["title", "abstract", "authors_text", "topics_text", "note_text"]
WEIGHTS = [10.0, 1.0, 5.0, 3.0, 1.0]
PAIR_COLUMNS = [f"{c}_pairs" for c in FTS_COLUMNS]
# A twin weighs what its column weighs, so a phrase scores as if matched in the column.
RANK = "bm25(" + ", ".join(str(w) for w in WEIGHTS + WEIGHTS) + ")"
_ALL = ", ".join(FTS_COLUMNS + PAIR_COLUMNS)

_OLD_TRIGGERS = ("papers_ai", "papers_ad", "papers_au")  # sqlite-utils' names, reused


def _values(prefix: str) -> str:
    words = ", ".join(f"{prefix}{c}" for c in FTS_COLUMNS)
    # (an empty note or topic list, the usual case, skips the call into Python)
    pairs = ", ".join(
        f"CASE WHEN {prefix}{c} <> '' THEN {FUNCTION}({prefix}{c}) END" for c in FTS_COLUMNS
    )
    return f"{words}, {pairs}"


def _create(conn: sqlite3.Connection, name: str, content: str | None = None) -> None:
    """The FTS5 table ``name``: external content ``content``, or its own copy of the text."""
    external = f"content='{content}', content_rowid='rid', " if content else ""
    conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5({_ALL}, {external}{TOKENIZE_ARG})")


def ensure_fts(conn: sqlite3.Connection) -> None:
    """(Re)create the FTS5 index over papers with its sync triggers, and repopulate it."""
    register(conn)
    for name in _OLD_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DROP TABLE IF EXISTS papers_fts")
    conn.execute("DROP VIEW IF EXISTS papers_fts_content")
    blanks = ", ".join("''" for _ in PAIR_COLUMNS)
    conn.execute(
        f"CREATE VIEW papers_fts_content(rid, {_ALL}) AS "
        f"SELECT rowid, {', '.join(FTS_COLUMNS)}, {blanks} FROM papers"
    )
    _create(conn, "papers_fts", "papers_fts_content")
    fill = (
        f"INSERT INTO papers_fts(rowid, {_ALL}) SELECT rowid, {_values('')} FROM papers "
        "WHERE rowid BETWEEN ? AND ?"
    )
    cur = conn.execute(f"SELECT rowid, {', '.join(FTS_COLUMNS)} FROM papers ORDER BY rowid")
    while rows := cur.fetchmany(500):  # the pairs of 500 papers at a time, then their rows
        tokenizer().prepare(text for row in rows for text in row[1:])
        conn.execute(fill, [rows[0][0], rows[-1][0]])
    # Persistent ranking: title and authors count more than abstract and note text.
    conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('rank', ?)", [RANK])
    # Merge index segments 8 at a time, not 4: a large import merges each row fewer times
    # (15 % less FTS work for 20,000 papers), and a search checks a few more segments.
    conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 8)")
    delete = (
        f"INSERT INTO papers_fts(papers_fts, rowid, {_ALL}) "
        f"VALUES ('delete', old.rowid, {_values('old.')});"
    )
    insert = f"INSERT INTO papers_fts(rowid, {_ALL}) VALUES (new.rowid, {_values('new.')});"
    conn.execute(f"CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN {insert} END")
    conn.execute(f"CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN {delete} END")
    # Only a change to an indexed column touches the index (not modified_at, year, ...).
    conn.execute(
        f"CREATE TRIGGER papers_au AFTER UPDATE OF {', '.join(FTS_COLUMNS)} ON papers "
        f"BEGIN {delete} {insert} END"
    )


def index_differences(conn: sqlite3.Connection, limit: int = 10) -> list[tuple]:
    """Where ``papers_fts`` differs from an index built afresh from ``papers`` (empty when in
    step): rows of (term, doc, column, offset) found in only one of the two."""
    register(conn)
    conn.execute("DROP TABLE IF EXISTS temp.fts_check")
    conn.execute("DROP TABLE IF EXISTS temp.fts_check_v")
    conn.execute("DROP TABLE IF EXISTS temp.fts_live_v")
    _create(conn, "temp.fts_check")
    conn.execute(
        f"INSERT INTO temp.fts_check(rowid, {_ALL}) SELECT rowid, {_values('')} FROM papers"
    )
    for name, schema, table in (("fts_check_v", "temp", "fts_check"),
                                ("fts_live_v", "main", "papers_fts")):
        conn.execute(
            f"CREATE VIRTUAL TABLE temp.{name} USING fts5vocab({schema}, {table}, 'instance')"
        )
    try:
        return conn.execute(
            "SELECT * FROM (SELECT * FROM temp.fts_live_v EXCEPT SELECT * FROM temp.fts_check_v) "
            "UNION ALL "
            "SELECT * FROM (SELECT * FROM temp.fts_check_v EXCEPT SELECT * FROM temp.fts_live_v) "
            "LIMIT ?",
            [limit],
        ).fetchall()
    finally:
        for name in ("fts_live_v", "fts_check_v", "fts_check"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
