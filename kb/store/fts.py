"""The FTS5 index over papers, kept in step by triggers in plain SQL that any tool runs.

``papers_fts`` is a plain external-content FTS5 table (``porter unicode61``, prefix indexes
of 1-3 characters) over title, abstract, authors, topics, note text, the paper record's text
(our summary, the discussion's comments, the structured reviews) and the paper's ids (DOI,
arXiv id). Its content is the view ``papers_fts_content``, which folds the letters unicode61
keeps apart (ø æ œ ł ß đ ð þ ı: ``Søgaard`` is indexed as ``Sogaard``) with ``replace()``.

Design: everything the index needs is plain SQL, so ``sqlite3``, sqlite-utils and Datasette
keep it in step in the same transaction as their own write (no function of mtlkb's is needed,
and FTS5's own ``integrity-check`` holds):

- ``papers`` has insert, update and delete triggers that write the index directly. An
  ``INSERT OR REPLACE`` deletes the row it replaces without firing the delete trigger
  (unless ``recursive_triggers`` is on), so a BEFORE INSERT trigger notes the indexed text
  of any row the new one could replace (same key, arXiv id or rowid) in
  ``papers_fts_replaced``, and the AFTER INSERT trigger takes out of the index those of the
  noted rows that are gone (or whose rowid the new row took).
- ``paper_topics`` / ``paper_authors`` / ``authors.name`` writes note the paper's key in
  ``papers_text_pending`` (unless the paper's text already names the new topic or author,
  which is what mtlkb's writer does); so do all writes of ``paper_summaries``, ``comments``
  and ``reviews``. :func:`catch_up` recomputes ``topics_text``, ``authors_text`` and
  ``record_text`` of the noted papers: mtlkb runs it when it opens a writable store and
  before committing its own writes. A row trigger recomputing the text itself would re-index
  a paper once per row of a multi-row insert.
- Every insert, indexed update and delete also notes the paper's rowid in
  ``papers_fts_changed``, so the impact lists of :mod:`kb.store.topk` (fast exact top k)
  rescore exactly the papers written since they were made.
- On open, :func:`keep_in_step` checks (one query) that every trigger is there; a tool that
  dropped them (sqlite-utils ``transform()`` does) leaves writes unindexed that nothing
  recorded, so the index is then rebuilt and the texts recomputed (only then, not per open).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the CLI imports this module for search's help text: nothing heavy)
    import sqlite3

# Indexed columns of the content view, in FTS column order, and the bm25 weight of each.
FTS_COLUMNS = ["title", "abstract", "authors_text", "topics_text", "note_text", "record_text",
               "ids"]
# (integers: the impact lists of kb.store.topk recover weighted term frequencies exactly)
WEIGHTS = [10.0, 1.0, 5.0, 3.0, 1.0, 1.0, 10.0]
RANK = "bm25(" + ", ".join(str(w) for w in WEIGHTS) + ")"
TOKENIZE_ARG = "tokenize = 'porter unicode61', prefix = '1 2 3'"
_ALL = ", ".join(FTS_COLUMNS)
# Columns of papers the index reads (ids is doi and arxiv_id).
SOURCE_COLUMNS = [*FTS_COLUMNS[:-1], "doi", "arxiv_id"]
# What a search looks in, in words (the help of ``mtlkb search``).
SEARCHED = ("title, abstract, authors, topics, notes, the paper record (our summary, "
            "discussion comments, structured reviews), DOI, arXiv id")

# Letters unicode61 does not fold (no canonical decomposition), as ASCII.
FOLD = {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
        "ß": "ss", "ẞ": "ss", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
        "ı": "i"}
FOLD_TABLE = str.maketrans(FOLD)

# The paper record's tables whose text is ``record_text``: (trigger stem, table, the
# columns whose update changes the text).
RECORD_TABLES = (
    ("summaries", "paper_summaries", "paper_key, summary"),
    ("comments", "comments", "paper_key, body"),
    ("reviews", "reviews", "paper_key, strength, concern, question"),
)
TRIGGERS = (
    "mtlkb_papers_bi", "mtlkb_papers_ai", "mtlkb_papers_ad", "mtlkb_papers_au",
    "mtlkb_topics_ai", "mtlkb_topics_ad", "mtlkb_topics_au",
    "mtlkb_authors_ai", "mtlkb_authors_ad", "mtlkb_authors_au", "mtlkb_author_name_au",
    *(f"mtlkb_{stem}_{op}" for stem, _, _ in RECORD_TABLES for op in ("ai", "ad", "au")),
)
_OLD = ("papers_ai", "papers_ad", "papers_au")  # the triggers of schema 7 and before


def fold(text: str) -> str:
    """``text`` with the letters of :data:`FOLD` folded, as the index holds it."""
    return text.translate(FOLD_TABLE)


def _fold_sql(expr: str) -> str:
    out = expr
    for a, b in FOLD.items():
        out = f"replace({out}, '{a}', '{b}')"
    # ASCII text (nearly all of it) skips the 17 replaces: its UTF-8 has a byte a character
    # (two length counts in C, ~20x cheaper than a GLOB for the letters themselves)
    return f"CASE WHEN length(CAST({expr} AS BLOB)) = length({expr}) THEN {expr} ELSE {out} END"


def _values(prefix: str) -> str:
    """The indexed values of a papers row (``new.``, ``old.`` or ``''``), folded."""
    cols = [_fold_sql(f"{prefix}{c}") for c in FTS_COLUMNS[:-1]]
    cols.append(f"trim(coalesce({prefix}doi, '') || ' ' || coalesce({prefix}arxiv_id, ''))")
    return ", ".join(cols)


_TOPICS_TEXT = (
    "coalesce((SELECT group_concat(topic, ' ') FROM (SELECT topic FROM paper_topics "
    "WHERE paper_key = papers.key ORDER BY topic)), '')"
)
_AUTHORS_TEXT = (
    "coalesce((SELECT group_concat(name, '; ') FROM (SELECT a.name FROM paper_authors pa "
    "JOIN authors a ON a.id = pa.author_id WHERE pa.paper_key = papers.key "
    "ORDER BY pa.position)), '')"
)
# Our summary, then the comments and the reviews, each oldest first (their ids grow).
_RECORD_TEXT = (
    "coalesce((SELECT group_concat(t, ' ') FROM (SELECT 0 AS o, 0 AS i, summary AS t "
    "FROM paper_summaries WHERE paper_key = papers.key "
    "UNION ALL SELECT 1, id, body FROM comments WHERE paper_key = papers.key "
    "UNION ALL SELECT 2, id, nullif(ltrim(coalesce(' ' || strength, '') || "
    "coalesce(' ' || concern, '') || coalesce(' ' || question, '')), '') FROM reviews "
    "WHERE paper_key = papers.key ORDER BY o, i)), '')"
)
_HAS_RECORD = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE paper_key = papers.key)"
                          for _, table, _ in RECORD_TABLES)


def _create(conn: sqlite3.Connection, name: str, content: str | None = None) -> None:
    """The FTS5 table ``name``: external content ``content``, or its own copy of the text."""
    external = f"content='{content}', content_rowid='rid', " if content else ""
    conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5({_ALL}, {external}{TOKENIZE_ARG})")


def _note_changed(rid: str) -> str:
    """A trigger statement noting ``rid`` for :mod:`kb.store.topk`. Not ``INSERT OR IGNORE``:
    an outer statement's conflict policy (an upsert's) overrides a trigger's own."""
    return (f"INSERT INTO papers_fts_changed(rid) SELECT {rid} WHERE NOT EXISTS "
            f"(SELECT 1 FROM papers_fts_changed WHERE rid = {rid});")


def _create_triggers(conn: sqlite3.Connection) -> None:
    for name in TRIGGERS + _OLD:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    ins = (f"INSERT INTO papers_fts(rowid, {_ALL}) VALUES (new.rowid, {_values('new.')}); "
           f"{_note_changed('new.rowid')}")
    delete = (f"INSERT INTO papers_fts(papers_fts, rowid, {_ALL}) "
              f"VALUES ('delete', old.rowid, {_values('old.')}); {_note_changed('old.rowid')}")
    conn.execute(
        "CREATE TRIGGER mtlkb_papers_bi BEFORE INSERT ON papers BEGIN "
        "DELETE FROM papers_fts_replaced; "
        f"INSERT INTO papers_fts_replaced(rid, {_ALL}) SELECT rowid, {_values('')} FROM papers "
        "WHERE key = new.key OR arxiv_id = new.arxiv_id OR rowid = new.rowid; END"
    )
    conn.execute(
        "CREATE TRIGGER mtlkb_papers_ai AFTER INSERT ON papers BEGIN "
        f"INSERT INTO papers_fts(papers_fts, rowid, {_ALL}) SELECT 'delete', rid, {_ALL} "
        "FROM papers_fts_replaced r WHERE r.rid = new.rowid "
        "OR NOT EXISTS (SELECT 1 FROM papers WHERE rowid = r.rid); "
        "INSERT INTO papers_fts_changed(rid) SELECT rid FROM papers_fts_replaced r "
        "WHERE NOT EXISTS (SELECT 1 FROM papers_fts_changed c WHERE c.rid = r.rid); "
        f"DELETE FROM papers_fts_replaced; {ins} END"
    )
    conn.execute(
        "CREATE TRIGGER mtlkb_papers_ad AFTER DELETE ON papers BEGIN "
        f"{delete} DELETE FROM papers_fts_replaced WHERE rid = old.rowid; END"
    )
    differs = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ["rowid", *SOURCE_COLUMNS])
    conn.execute(
        f"CREATE TRIGGER mtlkb_papers_au AFTER UPDATE ON papers WHEN {differs} BEGIN "
        f"{delete} {ins} DELETE FROM papers_fts_replaced WHERE rid = old.rowid; END"
    )
    note = "INSERT OR IGNORE INTO papers_text_pending(key) VALUES"
    conn.execute(
        "CREATE TRIGGER mtlkb_topics_ai AFTER INSERT ON paper_topics WHEN NOT EXISTS ("
        "SELECT 1 FROM papers WHERE key = new.paper_key AND "
        "instr(' ' || topics_text || ' ', ' ' || new.topic || ' ')) "
        f"BEGIN {note} (new.paper_key); END"
    )
    conn.execute(f"CREATE TRIGGER mtlkb_topics_ad AFTER DELETE ON paper_topics "
                 f"BEGIN {note} (old.paper_key); END")
    conn.execute(f"CREATE TRIGGER mtlkb_topics_au AFTER UPDATE ON paper_topics "
                 f"BEGIN {note} (old.paper_key); {note} (new.paper_key); END")
    conn.execute(
        "CREATE TRIGGER mtlkb_authors_ai AFTER INSERT ON paper_authors WHEN NOT EXISTS ("
        "SELECT 1 FROM papers p, authors a WHERE p.key = new.paper_key "
        "AND a.id = new.author_id AND "
        "instr('; ' || p.authors_text || '; ', '; ' || a.name || '; ')) "
        f"BEGIN {note} (new.paper_key); END"
    )
    conn.execute(f"CREATE TRIGGER mtlkb_authors_ad AFTER DELETE ON paper_authors "
                 f"BEGIN {note} (old.paper_key); END")
    conn.execute(f"CREATE TRIGGER mtlkb_authors_au AFTER UPDATE ON paper_authors "
                 f"BEGIN {note} (old.paper_key); {note} (new.paper_key); END")
    conn.execute(
        "CREATE TRIGGER mtlkb_author_name_au AFTER UPDATE OF name ON authors BEGIN "
        f"{note.replace('VALUES', '')} SELECT paper_key FROM paper_authors "
        "WHERE author_id = new.id; END"
    )
    # Summary, comment and review writes always note the paper: the text is recomputed once
    # per paper at catch_up, however many rows a statement wrote.
    for stem, table, columns in RECORD_TABLES:
        conn.execute(f"CREATE TRIGGER mtlkb_{stem}_ai AFTER INSERT ON {table} "
                     f"BEGIN {note} (new.paper_key); END")
        conn.execute(f"CREATE TRIGGER mtlkb_{stem}_ad AFTER DELETE ON {table} "
                     f"BEGIN {note} (old.paper_key); END")
        conn.execute(f"CREATE TRIGGER mtlkb_{stem}_au AFTER UPDATE OF {columns} ON {table} "
                     f"BEGIN {note} (old.paper_key); {note} (new.paper_key); END")


def ensure_fts(conn: sqlite3.Connection) -> None:
    """(Re)create the FTS5 index over papers with its triggers, and repopulate it."""
    from kb.store import topk  # (topk imports this module)

    for name in TRIGGERS + _OLD:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DROP TABLE IF EXISTS papers_fts_vocab")
    conn.execute("DROP TABLE IF EXISTS papers_fts")
    conn.execute("DROP VIEW IF EXISTS papers_fts_content")
    conn.execute(
        f"CREATE VIEW papers_fts_content(rid, {_ALL}) AS SELECT rowid, {_values('')} FROM papers"
    )
    # (scratch rows only; made anew, as the indexed columns may have changed)
    conn.execute("DROP TABLE IF EXISTS papers_fts_replaced")
    conn.execute(f"CREATE TABLE papers_fts_replaced(rid INTEGER PRIMARY KEY, {_ALL})")
    conn.execute("CREATE TABLE IF NOT EXISTS papers_text_pending(key TEXT PRIMARY KEY)")
    # Before the triggers: an update they saw would take rows out of the empty new index.
    recompute_texts(conn, everything=True)
    topk.create_tables(conn)
    topk.clear(conn)  # the lists describe the index being replaced
    _create(conn, "papers_fts", "papers_fts_content")
    # Persistent ranking: title, ids and authors count more than abstract and note text.
    conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('rank', ?)", [RANK])
    # Merge index segments 8 at a time, not 4: a large import merges each row fewer times.
    conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 8)")
    conn.execute("CREATE VIRTUAL TABLE papers_fts_vocab USING fts5vocab(papers_fts, 'row')")
    _create_triggers(conn)
    conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")


def recompute_texts(conn: sqlite3.Connection, everything: bool = False) -> int:
    """Recompute ``topics_text``, ``authors_text`` and ``record_text`` of the papers noted
    in ``papers_text_pending`` (or of all papers) from their rows; returns the rows changed.

    A noted paper's links or record changed, so its text is what they say, empty if none
    are left. With ``everything`` (a repair, a migration), a paper without such rows keeps
    its text: it may have been written as text alone (a tool, a benchmark), and blanking it
    would lose it.
    """
    if everything:
        where = ""
        topics = (f"CASE WHEN EXISTS (SELECT 1 FROM paper_topics WHERE paper_key = papers.key) "
                  f"THEN {_TOPICS_TEXT} ELSE topics_text END")
        authors = (f"CASE WHEN EXISTS (SELECT 1 FROM paper_authors WHERE paper_key = "
                   f"papers.key) THEN {_AUTHORS_TEXT} ELSE authors_text END")
        record = f"CASE WHEN {_HAS_RECORD} THEN {_RECORD_TEXT} ELSE record_text END"
    else:
        where = "WHERE key IN (SELECT key FROM papers_text_pending)"
        topics, authors, record = _TOPICS_TEXT, _AUTHORS_TEXT, _RECORD_TEXT
    cur = conn.execute(
        "UPDATE papers SET topics_text = t.topics, authors_text = t.authors, "
        f"record_text = t.record FROM (SELECT key AS k, {topics} AS topics, {authors} AS "
        f"authors, {record} AS record FROM papers {where}) t WHERE papers.key = t.k AND ("
        "papers.topics_text IS NOT t.topics OR papers.authors_text IS NOT t.authors "
        "OR papers.record_text IS NOT t.record)"
    )
    conn.execute("DELETE FROM papers_text_pending")
    return cur.rowcount


def state(conn: sqlite3.Connection) -> tuple[bool, bool]:
    """(every trigger is there, some paper's text is pending): one query."""
    marks = ", ".join("?" * len(TRIGGERS))
    row = conn.execute(
        f"SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
        f"({marks})), EXISTS (SELECT 1 FROM papers_text_pending)", TRIGGERS
    ).fetchone()
    return row[0] == len(TRIGGERS), bool(row[1])


def catch_up(conn: sqlite3.Connection) -> None:
    """Recompute the pending papers' texts (the index follows through the triggers), and
    settle the impact lists (:func:`kb.store.topk.settle`)."""
    from kb.store import topk

    if state(conn)[1]:
        recompute_texts(conn)
    topk.settle(conn)


def keep_in_step(conn: sqlite3.Connection) -> str | None:
    """Repair the triggers (and rebuild the index) if a tool dropped any, and catch up the
    pending texts. One query when all is well. Says what it repaired, if anything.
    ``conn`` must be writable; runs in its own ``BEGIN IMMEDIATE`` unless in a transaction."""
    from kb.store import topk

    complete, pending = state(conn)
    if complete and not pending and not topk.unsettled(conn):
        return None
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        complete, pending = state(conn)
        done = None
        if not complete:
            ensure_fts(conn)
            done = "the search index's triggers were missing: restored, index rebuilt"
        elif pending:
            recompute_texts(conn)
        topk.settle(conn)
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
    return done


def integrity_check(conn: sqlite3.Connection) -> None:
    """FTS5's own check of the index against the content (raises when they differ)."""
    own = not conn.in_transaction
    try:
        conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        if own and conn.in_transaction:  # the check writes nothing; free the write lock
            conn.execute("ROLLBACK")


def index_differences(conn: sqlite3.Connection, limit: int = 10) -> list[tuple]:
    """Where ``papers_fts`` differs from an index built afresh from ``papers`` (empty when in
    step): rows of (term, doc, column, offset) found in only one of the two."""
    own = not conn.in_transaction
    for name in ("fts_live_v", "fts_check_v", "fts_check"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    _create(conn, "temp.fts_check")
    conn.execute(
        f"INSERT INTO temp.fts_check(rowid, {_ALL}) SELECT rid, {_ALL} FROM papers_fts_content"
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
        if own and conn.in_transaction:
            conn.execute("COMMIT")  # (temporary tables only)
