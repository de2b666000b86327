"""KB discovery: --kb, $MTLKB_HOME, mtlkb.toml upward, cwd; init is idempotent."""

from pathlib import Path

from kb.config import KB
from kb.init import init_kb


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
