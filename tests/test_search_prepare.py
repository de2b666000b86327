"""The search's impact lists made ahead through the CLI: ``mtlkb search --prepare`` and
after ``mtlkb import`` of many papers; the rankings stay FTS5's own."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from kbtest import run_cli

from kb.config import KB
from kb.core import search_lists
from kb.store import topk
from kb.store.search import fts_query

WORDS = "the of learning task multi model network loss gradient shared pareto".split()


@pytest.fixture(autouse=True)
def small_lists(monkeypatch) -> None:
    """Lists at test scale: a phrase in over 12 papers is broad; lists of 10."""
    monkeypatch.setattr(topk.lists, "SMALL", 12)
    monkeypatch.setattr(topk.lists, "LIST_LEN", 10)
    monkeypatch.setattr(search_lists, "PREPARE_AFTER", 30)


def _text(rng: random.Random, k: int) -> str:
    words = rng.choices(WORDS, weights=[1 / (r + 1) for r in range(len(WORDS))], k=k)
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["multi-task", "multitask"]))
    return " ".join(words)


def _bib(path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    path.write_text("\n".join(
        f"@article{{p{i},\n  title = {{{_text(rng, 6)}}},\n  author = {{Lee, Ann and "
        f"Chen, Bo}},\n  year = {{{2000 + i % 20}}},\n  abstract = {{{_text(rng, 40)}}}\n}}\n"
        for i in range(n)), encoding="utf-8")
    return path


def _lists(kb: KB) -> int:
    conn = sqlite3.connect(kb.db_path)
    try:
        return conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0]
    finally:
        conn.close()


def _reference(kb: KB, text: str, k: int) -> list[str]:
    conn = sqlite3.connect(kb.db_path)
    try:
        return [r[0] for r in conn.execute(
            "SELECT p.key FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
            "WHERE papers_fts MATCH ? ORDER BY papers_fts.rank, papers_fts.rowid LIMIT ?",
            [fts_query(text, conn), k])]
    finally:
        conn.close()


def test_a_large_import_prepares_the_lists_and_says_so(tmp_kb: KB, tmp_path: Path) -> None:
    r = run_cli(tmp_kb, "import", str(_bib(tmp_path / "refs.bib", 60)))
    assert r.returncode == 0, r.output
    lines = [line for line in r.stdout.splitlines() if line.startswith("search:")]
    assert len(lines) == 1 and "impact lists made" in lines[0], r.stdout
    assert r.stdout.splitlines()[-1].startswith("60 entries read")  # the summary stays last
    made = _lists(tmp_kb)
    assert made >= 3 and f"search: {made} impact lists" in lines[0]
    for text in ("the", "learning", "multi-task", "l*"):
        r = run_cli(tmp_kb, "search", text, "--json", "-n", "5")
        assert r.returncode == 0, r.output
        assert [h["key"] for h in json.loads(r.stdout)] == _reference(tmp_kb, text, 5), text


def test_a_small_import_or_no_prepare_leaves_the_lists_to_first_use(tmp_kb: KB,
                                                                  tmp_path: Path) -> None:
    r = run_cli(tmp_kb, "import", str(_bib(tmp_path / "a.bib", 20)))
    assert r.returncode == 0 and "search:" not in r.stdout, r.output
    r = run_cli(tmp_kb, "import", "--no-prepare", str(_bib(tmp_path / "b.bib", 60, seed=2)))
    assert r.returncode == 0 and "search:" not in r.stdout, r.output
    assert _lists(tmp_kb) == 0


def test_search_prepare_makes_the_lists_then_searches(tmp_kb: KB, tmp_path: Path) -> None:
    assert run_cli(tmp_kb, "import", "--no-prepare",
                   str(_bib(tmp_path / "refs.bib", 60))).returncode == 0
    r = run_cli(tmp_kb, "search", "--prepare")
    assert r.returncode == 0, r.output
    made = _lists(tmp_kb)
    assert made >= 3 and r.stdout.startswith(f"search: {made} impact lists made")
    r = run_cli(tmp_kb, "search", "--prepare")  # nothing left to make
    assert r.returncode == 0 and r.stdout.startswith("search: 0 impact lists made"), r.output
    r = run_cli(tmp_kb, "search", "--prepare", "the", "-n", "3")  # the line on stderr
    assert r.returncode == 0 and "search: 0 impact lists" in r.stderr, r.output
    keys = [line.split("\t")[0] for line in r.stdout.splitlines()[1:]]  # (under a header)
    assert keys == _reference(tmp_kb, "the", 3)


def test_search_without_a_query_or_prepare_fails_in_one_line(tmp_kb: KB) -> None:
    r = run_cli(tmp_kb, "search")
    assert r.returncode != 0 and "a query is needed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_prepare_on_a_read_only_kb_fails_in_one_line(tmp_kb: KB, tmp_path: Path) -> None:
    assert run_cli(tmp_kb, "import", "--no-prepare",
                   str(_bib(tmp_path / "refs.bib", 60))).returncode == 0
    tmp_kb.close()
    r = run_cli(tmp_kb, "search", "--prepare", env={"MTLKB_READ_ONLY": "1"})
    assert r.returncode == 1 and "read-only" in r.stderr, r.output
    assert len(r.stderr.strip().splitlines()) == 1
    assert _lists(tmp_kb) == 0
    r = run_cli(tmp_kb, "search", "the", env={"MTLKB_READ_ONLY": "1"})  # searching still works
    assert r.returncode == 0 and _reference(tmp_kb, "the", 1)[0] in r.stdout


def test_another_writer_puts_the_lists_off_after_an_import(tmp_kb: KB, tmp_path: Path,
                                                          monkeypatch) -> None:
    """The import is done when the lists are made: a store held by another process puts
    them off (one line), and the import still succeeds."""
    monkeypatch.setattr(search_lists, "IMPORT_WAIT_MS", 100)
    real = search_lists.prepare
    other = sqlite3.connect(tmp_kb.db_path, isolation_level=None)

    def held(kb, sample=2000, wait_ms=None):
        other.execute("BEGIN IMMEDIATE")  # another writer, from the import's end on
        return real(kb, sample, wait_ms)

    monkeypatch.setattr(search_lists, "prepare", held)
    try:
        r = run_cli(tmp_kb, "import", str(_bib(tmp_path / "refs.bib", 60)))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert r.returncode == 0, r.output
    assert "search: impact lists not made (another process is writing" in r.stdout
    assert r.stdout.splitlines()[-1].startswith("60 entries read") and r.stderr == ""
    assert _lists(tmp_kb) == 0
    monkeypatch.setattr(search_lists, "prepare", real)  # (no other writer now)
    assert run_cli(tmp_kb, "search", "--prepare").returncode == 0
    assert _lists(tmp_kb) >= 3
