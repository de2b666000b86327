"""KB discovery: --kb, $MTLKB_HOME, mtlkb.toml upward, cwd; init is idempotent."""

from pathlib import Path

from kb.config import KB
from kb.core.init import init_kb


def test_find_order(tmp_path: Path, monkeypatch):
    top = tmp_path / "top"
    deep = top / "a" / "b"
    deep.mkdir(parents=True)
    (top / "mtlkb.toml").write_text("")
    monkeypatch.delenv("MTLKB_HOME", raising=False)
    assert KB.find(cwd=deep).root == top.resolve()
    assert KB.find(cwd=tmp_path).root == tmp_path.resolve()
    monkeypatch.setenv("MTLKB_HOME", str(tmp_path / "env"))
    assert KB.find(cwd=deep).root == (tmp_path / "env").resolve()
    assert KB.find(tmp_path / "explicit", cwd=deep).root == (tmp_path / "explicit").resolve()


def test_init_is_idempotent_and_never_overwrites(tmp_path: Path):
    kb = KB(tmp_path / "new")
    created = init_kb(kb)
    assert kb.config_path in created and kb.db_path in created and kb.notes_dir in created
    kb.config_path.write_text("# mine\n")
    (kb.root / ".gitignore").write_text("mine\n")
    assert init_kb(KB(kb.root)) == []
    assert kb.config_path.read_text() == "# mine\n"
    assert (kb.root / ".gitignore").read_text() == "mine\n"


def _store_behind(root: Path) -> str:
    """A store migrated up to, not including, its last migration; returns that one's name."""
    import sqlite_utils

    from kb.store.db import connect
    from kb.store.migrations import migrations

    root.mkdir(parents=True)
    db = sqlite_utils.Database(connect(root / "mtlkb.db"))
    last = migrations.pending(db)[-1].name
    migrations.apply(db, stop_before=last)
    db.close()
    return last


def test_conn_on_a_current_store_opens_no_sqlite_utils_database(tmp_path: Path):
    kb = KB(tmp_path / "kb")
    init_kb(kb)
    kb.close()
    again = KB(kb.root)
    assert again.conn.execute("SELECT count(*) FROM papers").fetchone() == (0,)
    assert "db" not in again.__dict__
    assert again.db.conn is again.conn  # one connection, wrapped on demand
    again.close()
    assert "conn" not in again.__dict__ and "db" not in again.__dict__


def test_conn_migrates_a_store_that_is_behind(tmp_path: Path):
    from kb.store.db import connect, schema_is_current

    last = _store_behind(tmp_path / "kb")
    conn = connect(tmp_path / "kb" / "mtlkb.db")
    assert not schema_is_current(conn)
    conn.close()
    kb = KB(tmp_path / "kb")
    assert schema_is_current(kb.conn)
    names = [r[0] for r in kb.conn.execute("SELECT name FROM _sqlite_migrations")]
    assert names[-1] == last
    kb.close()


def test_search_command_migrates_a_store_that_is_behind(tmp_path: Path):
    from kbtest import run_cli

    from kb.store.db import connect, schema_is_current

    _store_behind(tmp_path / "kb")
    (tmp_path / "kb" / "mtlkb.toml").write_text("")
    r = run_cli(tmp_path / "kb", "search", "anything")
    assert r.returncode == 0 and r.stdout == "no match\n", r.stderr
    conn = connect(tmp_path / "kb" / "mtlkb.db")
    assert schema_is_current(conn)
    conn.close()
