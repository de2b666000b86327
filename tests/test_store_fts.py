"""Any tool may write the store (plain sqlite3, sqlite-utils): search, list and show follow.

The writers here never load mtlkb: a bare ``sqlite3`` connection, or sqlite-utils on one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest
from kbtest import make_paper, put, run_cli

from kb.config import KB
from kb.core.init import init_kb
from kb.models import Author
from kb.store.fts import TRIGGERS, index_differences, integrity_check
from kb.store.search import search_results

STAMP = "2026-01-01T00:00:00+00:00"


def _seed(kb: KB) -> None:
    put(kb, make_paper(topics=["surveys"]),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020,
                   abstract="We identify conflicting gradients as a cause of negative transfer."))
    kb.close()


def _other_tool(kb: KB) -> sqlite3.Connection:
    """A connection as another tool opens it: nothing of mtlkb's registered."""
    return sqlite3.connect(kb.db_path)


def _keys(kb: KB, text: str) -> list[str]:
    return [h.key for h in search_results(kb.conn, text, limit=100).hits]


def _in_step(kb: KB) -> None:
    integrity_check(kb.conn)  # FTS5's own check, rank=1: index == content
    assert index_differences(kb.conn) == []


def test_plain_sqlite3_insert_update_delete(tmp_kb):
    _seed(tmp_kb)
    with _other_tool(tmp_kb) as c:
        c.execute("INSERT INTO papers (key, title, abstract, added_at, modified_at) VALUES "
                  "('new2024', 'Routing Experts for Dense Prediction', 'Sparse gates.', ?, ?)",
                  [STAMP, STAMP])
        c.execute("UPDATE papers SET title = 'Projecting Conflicting Gradients' "
                  "WHERE key = 'yu2020gradient'")
        c.execute("UPDATE papers SET year = 1999, venue = 'Nowhere' WHERE key = 'new2024'")
        c.execute("DELETE FROM papers WHERE key = 'ruder2017overview'")
    c.close()
    assert _keys(tmp_kb, "routing experts") == ["new2024"]
    assert _keys(tmp_kb, "projecting") == ["yu2020gradient"]
    assert _keys(tmp_kb, "surgery") == []  # the old title is out of the index
    assert _keys(tmp_kb, "overview") == []
    _in_step(tmp_kb)
    tmp_kb.close()
    out = run_cli(tmp_kb, "list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {p["key"]: p for p in json.loads(out.stdout)}
    assert set(rows) == {"new2024", "yu2020gradient"} and rows["new2024"]["year"] == 1999
    shown = run_cli(tmp_kb, "show", "yu2020gradient")
    assert "Projecting Conflicting Gradients" in shown.stdout
    found = run_cli(tmp_kb, "search", "dense", "prediction")
    assert found.returncode == 0 and "new2024" in found.stdout


def test_replace_and_upsert_of_another_tool(tmp_kb):
    """INSERT OR REPLACE deletes the old row without its delete trigger: still in step."""
    _seed(tmp_kb)
    with _other_tool(tmp_kb) as c:
        c.execute("INSERT OR REPLACE INTO papers (key, title, abstract, added_at, modified_at) "
                  "VALUES ('yu2020gradient', 'PCGrad Revisited', 'Projections.', ?, ?)",
                  [STAMP, STAMP])
        c.execute("INSERT OR IGNORE INTO papers (key, title, added_at, modified_at) "
                  "VALUES ('yu2020gradient', 'Ignored Title', ?, ?)", [STAMP, STAMP])
        c.execute("INSERT INTO papers (key, title, added_at, modified_at) VALUES "
                  "('ruder2017overview', 'Upserted Overview', ?, ?) ON CONFLICT(key) DO UPDATE "
                  "SET title = excluded.title", [STAMP, STAMP])
    c.close()
    assert _keys(tmp_kb, "pcgrad") == ["yu2020gradient"]
    assert _keys(tmp_kb, "surgery") == [] and _keys(tmp_kb, "ignored") == []
    assert _keys(tmp_kb, "upserted") == ["ruder2017overview"]
    _in_step(tmp_kb)


def test_links_written_by_another_tool_reach_search(tmp_kb):
    _seed(tmp_kb)
    with _other_tool(tmp_kb) as c:
        c.execute("INSERT INTO topics (name) VALUES ('gradient-methods')")
        c.execute("INSERT INTO paper_topics (paper_key, topic) VALUES "
                  "('yu2020gradient', 'gradient-methods')")
        c.execute("DELETE FROM paper_topics WHERE paper_key = 'ruder2017overview'")
        c.execute("INSERT INTO authors (id, name, first, last) VALUES "
                  "(900, 'Chelsea Finn', 'Chelsea', 'Finn')")
        c.execute("INSERT INTO paper_authors (paper_key, position, author_id) VALUES "
                  "('yu2020gradient', 1, 900)")
        c.execute("UPDATE authors SET name = 'Sebastian Ruder-Renamed' WHERE name LIKE '%Ruder'")
    c.close()
    assert _keys(tmp_kb, "finn") == ["yu2020gradient"]
    assert _keys(tmp_kb, '"gradient methods"') == ["yu2020gradient"]
    assert _keys(tmp_kb, "surveys") == []  # untagged
    assert _keys(tmp_kb, "renamed") == ["ruder2017overview"]
    row = tmp_kb.conn.execute(
        "SELECT authors_text, topics_text FROM papers WHERE key = 'yu2020gradient'").fetchone()
    assert row == ("Tianhe Yu; Chelsea Finn", "gradient-methods")
    _in_step(tmp_kb)
    tmp_kb.close()
    listed = run_cli(tmp_kb, "list", "-t", "gradient-methods")
    assert "yu2020gradient" in listed.stdout


def test_sqlite_utils_writes(tmp_kb):
    import sqlite_utils

    _seed(tmp_kb)
    db = sqlite_utils.Database(tmp_kb.db_path)
    papers = db["papers"]
    papers.insert({"key": "su1", "title": "Nash Bargaining for Tasks", "added_at": STAMP,
                   "modified_at": STAMP})
    papers.update("yu2020gradient", {"abstract": "Bargaining over gradient directions."})
    papers.upsert({"key": "su1", "title": "Nash Bargaining for Multi-Task Learning",
                   "added_at": STAMP, "modified_at": STAMP}, pk="key")
    papers.insert({"key": "ruder2017overview", "title": "Replaced Overview", "added_at": STAMP,
                   "modified_at": STAMP}, replace=True)
    papers.insert_all([{"key": f"bulk{i}", "title": f"Bulk Paper {i} on routing",
                        "added_at": STAMP, "modified_at": STAMP} for i in range(30)])
    papers.delete("bulk3")
    db.close()
    assert set(_keys(tmp_kb, "bargaining")) == {"su1", "yu2020gradient"}
    assert _keys(tmp_kb, '"bargaining for tasks"') == []
    assert _keys(tmp_kb, "replaced") == ["ruder2017overview"]
    assert len(_keys(tmp_kb, "routing")) == 29
    _in_step(tmp_kb)


def test_transform_by_another_tool_is_repaired_on_open(tmp_kb):
    """sqlite-utils' transform() drops the triggers: mtlkb restores them and reindexes."""
    import sqlite_utils

    _seed(tmp_kb)
    db = sqlite_utils.Database(tmp_kb.db_path)
    db["papers"].transform(types={"month": str})
    db["paper_topics"].transform()
    db["papers"].insert({"key": "after", "title": "Written While Unindexed", "added_at": STAMP,
                         "modified_at": STAMP})
    db.close()
    kb = KB(tmp_kb.root)
    try:
        names = {r[0] for r in kb.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert set(TRIGGERS) <= names
        assert _keys(kb, "unindexed") == ["after"]
        _in_step(kb)
        with _other_tool(kb) as c:  # and the restored triggers work
            c.execute("UPDATE papers SET title = 'Indexed Again' WHERE key = 'after'")
        c.close()
        assert _keys(kb, "indexed again") == ["after"]
    finally:
        kb.close()


def test_a_current_store_opens_with_one_query(tmp_kb, monkeypatch):
    """No rebuild, no recompute on an ordinary open."""
    import kb.store.fts as fts

    _seed(tmp_kb)
    monkeypatch.setattr(fts, "ensure_fts", lambda conn: pytest.fail("rebuilt"))
    monkeypatch.setattr(fts, "recompute_texts", lambda *a, **k: pytest.fail("recomputed"))
    assert _keys(tmp_kb, "surgery") == ["yu2020gradient"]


def test_a_store_from_before_is_upgraded(tmp_path):
    """A store with the old word-pair index (schema 7) gets the plain index when opened."""
    kb = KB(tmp_path / "old")
    init_kb(kb)
    put(kb, make_paper())
    with kb.write() as db:
        for trig in TRIGGERS:
            db.execute(f"DROP TRIGGER {trig}")
        db.execute("DROP TABLE papers_fts_vocab")
        db.execute("DROP TABLE papers_fts")
        db.execute("DROP VIEW papers_fts_content")
        db["papers"].enable_fts(["title", "abstract", "authors_text", "topics_text",
                                 "note_text"], create_triggers=True, tokenize="porter")
        db.execute("DELETE FROM _sqlite_migrations WHERE name LIKE 'm008%'")
    kb.close()
    kb = KB(tmp_path / "old")
    try:
        assert _keys(kb, "multi-task learning") == ["ruder2017overview"]
        assert _keys(kb, "1706.05098") == ["ruder2017overview"]  # the ids are searchable
        _in_step(kb)
    finally:
        kb.close()


def test_query_language_on_a_store(tmp_kb):
    put(tmp_kb,
        make_paper(),
        make_paper(arxiv_id=None, doi="10.1145/3292500.3330989", title="A multitask approach",
                   authors=[Author(first="Anders", last="Søgaard")], abstract="Parsing."),
        make_paper(arxiv_id=None, title="Straße und Łódź: multi task routing",
                   authors=[Author(first="Đorđe", last="Æsir")], abstract="tasks far away "
                   "from each other in a long sentence about multi things"))
    def key(title_start: str) -> str:
        return tmp_kb.conn.execute("SELECT key FROM papers WHERE title LIKE ?",
                                   [title_start + "%"]).fetchone()[0]

    ruder, soga, stra = key("An Overview"), key("A multitask"), key("Straße")
    assert set(_keys(tmp_kb, "multitask")) == {ruder, soga, stra}
    assert set(_keys(tmp_kb, "multi-task")) == {ruder, soga, stra}
    assert _keys(tmp_kb, "sogaard") == [soga] and _keys(tmp_kb, "Søgaard") == [soga]
    assert _keys(tmp_kb, "strasse lodz") == [stra] and _keys(tmp_kb, "djordje") == []
    assert _keys(tmp_kb, "dorde aesir") == [stra]
    assert _keys(tmp_kb, "10.1145/3292500.3330989") == [soga]
    assert _keys(tmp_kb, "doi:10.1145/3292500.3330989") == [soga]
    assert _keys(tmp_kb, "arXiv:1706.05098") == [ruder]
    assert set(_keys(tmp_kb, "multitask -routing")) == {ruder, soga}
    assert set(_keys(tmp_kb, "NOT routing multi-task")) == {ruder, soga}
    assert _keys(tmp_kb, "-routing") == []
    assert _keys(tmp_kb, "routing NEAR/2 multi") == [stra]
    assert _keys(tmp_kb, "tasks NEAR/3 things") == []
    assert _keys(tmp_kb, "tasks NEAR/15 things") == [stra]
    assert set(_keys(tmp_kb, '"multi ta"*')) == {ruder, stra}


def _read_only(folder) -> None:
    for p in folder.rglob("*"):
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)


def test_a_read_only_kb_reads_and_refuses_writes_in_one_line(tmp_kb):
    """As root chmod does not stop writes (os.access says writable): MTLKB_READ_ONLY=1 then
    stands in for the folder's mode, and SQLite's mode=ro / immutable=1 still refuse writes."""
    _seed(tmp_kb)
    root = tmp_kb.root
    _read_only(root)
    env = {}
    try:
        if os.access(root, os.W_OK):  # root: the permission bits are not enforced
            env = {"MTLKB_READ_ONLY": "1"}
        else:
            assert KB(root).read_only
        for args, want in ((["list"], "yu2020gradient"), (["search", "surgery"], "yu2020"),
                           (["show", "yu2020gradient"], "Gradient Surgery"),
                           (["export", "--format", "bibtex"], "@")):
            out = run_cli(root, *args, env=env)
            assert out.returncode == 0, (args, out.stderr)
            assert want in out.stdout, args
        out = run_cli(root, "tag", "yu2020gradient", "newtopic", env=env)
        assert out.returncode != 0
        assert "read-only" in out.stderr and len(out.stderr.strip().splitlines()) == 1
        assert not (root / "mtlkb.db-shm").exists() or env  # nothing was created
    finally:
        root.chmod(0o755)
        for p in root.rglob("*"):
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_read_only_connection_without_shm(tmp_kb):
    """No -shm beside a WAL store and none can be made: read through immutable=1."""
    from kb.store.db import connect

    _seed(tmp_kb)
    assert not (tmp_kb.root / "mtlkb.db-shm").exists()
    conn = connect(tmp_kb.db_path, read_only=True)
    try:
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 2
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("DELETE FROM papers")
    finally:
        conn.close()


def test_a_repair_keeps_text_written_without_links(tmp_kb):
    """Papers whose authors or topics exist only as text (no link rows) keep that text."""
    from kb.store.fts import ensure_fts

    with _other_tool(tmp_kb) as c:
        c.execute("INSERT INTO papers (key, title, authors_text, topics_text, added_at, "
                  "modified_at) VALUES ('textonly', 'A Paper', 'Ada Lovelace', 'history', ?, ?)",
                  [STAMP, STAMP])
    c.close()
    with tmp_kb.write() as db:
        ensure_fts(db.conn)
    assert _keys(tmp_kb, "lovelace history") == ["textonly"]
    _in_step(tmp_kb)


def test_read_commands_on_a_read_only_kb_take_no_write_lock(tmp_kb, tmp_path):
    """A stale run row (its process gone) is swept only where the KB can be written: on a
    read-only KB, show and repro list read it as it is; the site builds from it elsewhere."""
    import socket

    _seed(tmp_kb)
    other = _other_tool(tmp_kb)
    other.execute("INSERT INTO runs (id, reproduction, status, started_at, pid, host) VALUES "
                  "('r1', 'kendall-uncertainty', 'running', '2026-01-01', 999999999, ?)",
                  [socket.gethostname()])
    other.commit()
    env = {"MTLKB_READ_ONLY": "1"}
    for args, want in ((["show", "yu2020gradient"], "Gradient Surgery"),
                       (["repro", "list"], "kendall-uncertainty"),
                       (["search", "gradient", "OR", "overview", "surgery"], "yu2020gradient"),
                       (["site", "build", "--site-dir", str(tmp_path / "site")], "site built")):
        out = run_cli(tmp_kb.root, *args, env=env)
        assert out.returncode == 0, (args, out.stderr)
        assert want in out.stdout, (args, out.stdout)
        assert "Traceback" not in out.output
    assert other.execute("SELECT status FROM runs").fetchone()[0] == "running"  # untouched
    out = run_cli(tmp_kb.root, "repro", "list")  # writable: the sweep runs
    assert out.returncode == 0
    assert other.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
    other.close()


def test_search_help_documents_the_syntax_and_precedence(tmp_kb):
    out = run_cli(tmp_kb, "search", "--help")
    for line in ('"a phrase"', "multi-task", "pref*", "a OR b", "-word", "NEAR/3",
                 "sogaard finds Søgaard", "arXiv:1705.07115"):
        assert line in out.stdout, line
    _seed(tmp_kb)
    # AND binds tighter than OR: surgery OR (overview AND gradient) -> only yu2020gradient
    assert _keys(tmp_kb, "surgery OR overview gradient") == ["yu2020gradient"]
    assert set(_keys(tmp_kb, "surgery OR overview")) == {"yu2020gradient",
                                                         "ruder2017overview"}
