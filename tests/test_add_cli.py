"""``mtlkb add`` end to end: the real command (in-process), the real ``arxiv`` client, a local
arXiv stand-in on 127.0.0.1 (``$MTLKB_ARXIV_API``), a KB made with ``mtlkb init``.

The proxy variables point at a closed port in every run: requests to the local endpoint must
not go through them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from arxiv_server import ArxivServer, free_port
from kbtest import run_cli


@pytest.fixture(scope="module")
def server():
    with ArxivServer() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset(server):
    server.serve_feeds()
    server.requests.clear()


@pytest.fixture(scope="module")
def _template(tmp_path_factory, server) -> Path:
    """A KB made once with ``mtlkb init`` (copied for each test)."""
    root = tmp_path_factory.mktemp("template") / "kb"
    r = mtlkb(None, "--kb", str(root), "init", url=None)
    assert r.returncode == 0, r.stderr
    # Retries after a 503 wait this long (default 3 s, as arXiv asks): keep the tests fast.
    config = root / "mtlkb.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "timeout = 20", "timeout = 20\nretry_delay = 0.05"), encoding="utf-8")
    return root


@pytest.fixture
def kb_dir(_template, tmp_path) -> Path:
    return Path(shutil.copytree(_template, tmp_path / "kb"))


def mtlkb(kb: Path | None, *args: str, url: str | None, timeout: float = 60):
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy that is not there: 127.0.0.1 only
    env = {"NO_PROXY": None, "no_proxy": None, "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "http_proxy": dead, "https_proxy": dead, "MTLKB_ARXIV_API": url}
    return run_cli(kb, *args, env=env, timeout=timeout)


def listing(kb: Path) -> list[dict]:
    """Every paper in the store, read directly (faster than ``mtlkb list --json``)."""
    from kb.config import KB
    from kb.store.papers import list_papers

    store = KB(kb)
    try:
        return [p.model_dump() for p in list_papers(store.db)]
    finally:
        store.close()


def assert_one_line_error(r, *fragments: str) -> str:
    assert r.returncode != 0
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_add_many_ids_in_one_request(kb_dir, server):
    r = mtlkb(kb_dir, "add", "1706.05098", "arXiv:2009.09796v1",
              "https://arxiv.org/abs/1705.07115v2", "http://arxiv.org/pdf/hep-ex/0406020v1.pdf",
              "--no-note", url=server.url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "added ruder2017overview  An Overview of Multi-Task Learning in Deep Neural Networks",
        "added crawshaw2020multi  Multi-Task Learning with Deep Neural Networks: A Survey",
        "added kendall2017multi  Multi-Task Learning Using Uncertainty to Weigh Losses for "
        "Scene Geometry and Semantics",
        "added tricomi2004sparticle  Sparticle Reconstruction at LHC",
    ]
    assert server.id_lists == [["1706.05098", "2009.09796", "1705.07115", "hep-ex/0406020"]]
    papers = {p["key"]: p for p in listing(kb_dir)}
    k = papers["kendall2017multi"]
    assert [a["last"] for a in k["authors"]] == ["Kendall", "Gal", "Cipolla"]
    assert (k["arxiv_id"], k["arxiv_version"], k["year"]) == ("1705.07115", 3, 2017)
    assert k["url"] == "https://arxiv.org/abs/1705.07115" and k["venue"] == "arXiv"
    assert k["primary_category"] == "cs.CV" and k["entry_type"] == "misc"
    assert papers["tricomi2004sparticle"]["arxiv_id"] == "hep-ex/0406020"
    assert not any((kb_dir / "notes").glob("*.md"))  # --no-note

    r = mtlkb(kb_dir, "list", "--json", url=None)
    assert r.returncode == 0, r.stderr
    k = {p["key"]: p for p in json.loads(r.stdout)}["kendall2017multi"]
    assert k["authors"] == ["Alex Kendall", "Yarin Gal", "Roberto Cipolla"]


def test_readd_refreshes_and_keeps_topics_json(kb_dir, server):
    r = mtlkb(kb_dir, "add", "2405.13786", "--no-note", "--json", url=server.url)
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)
    assert first == [{
        "key": "ramirez2024explainable", "arxiv_id": "2405.13786",
        "doi": "10.1109/icstw58534.2023.00023", "action": "added",
        "title": "Towards Explainable Test Case Prioritisation with Learning-to-Rank Models",
        "source": "arXiv",
    }]
    r = mtlkb(kb_dir, "tag", "ramirez2024explainable", "testing", url=None)
    assert r.returncode == 0, r.stderr
    r = mtlkb(kb_dir, "add", "2405.13786v1", "1706.05098", "--no-note", "--json",
              url=server.url)
    assert r.returncode == 0, r.stderr
    assert [(x["key"], x["action"]) for x in json.loads(r.stdout)] == [
        ("ramirez2024explainable", "refreshed"), ("ruder2017overview", "added"),
    ]
    (p,) = [p for p in listing(kb_dir) if p["key"] == "ramirez2024explainable"]
    assert p["topics"] == ["testing"]
    assert p["doi"] == "10.1109/icstw58534.2023.00023"
    assert p["venue"].startswith("Proc. 2023 IEEE")
    assert p["authors"][0] == {"first": "Aurora", "last": "Ramírez"}


def test_add_creates_notes_unless_told_not_to(kb_dir, server):
    r = mtlkb(kb_dir, "add", "1706.05098", url=server.url)
    assert r.returncode == 0, r.stderr
    notes = list((kb_dir / "notes").glob("*.md"))
    assert [n.stem for n in notes] == ["ruder2017overview"]
    notes[0].write_text("my own note\n", encoding="utf-8")
    r = mtlkb(kb_dir, "add", "1706.05098", url=server.url)
    assert r.returncode == 0, r.stderr
    assert notes[0].read_text(encoding="utf-8") == "my own note\n"  # never overwritten


# -- failures: one line, non-zero, store unchanged -------------------------------------------
@pytest.fixture(scope="module")
def _seeded_template(_template, tmp_path_factory, server) -> tuple[Path, list[dict]]:
    root = Path(shutil.copytree(_template, tmp_path_factory.mktemp("seeded") / "kb"))
    r = mtlkb(root, "add", "1706.05098", "--no-note", url=server.url)
    assert r.returncode == 0, r.stderr
    return root, listing(root)


@pytest.fixture
def seeded(_seeded_template, tmp_path, server):
    """A KB holding 1706.05098, and its papers as they were."""
    root, before = _seeded_template
    server.requests.clear()
    return Path(shutil.copytree(root, tmp_path / "kb")), before


def test_malformed_ids_rejected_without_a_request(seeded, server):
    kb_dir, before = seeded
    r = mtlkb(kb_dir, "add", "2009.09796", "1706.5098", "hep-th/99010", url=server.url)
    assert_one_line_error(r, "'1706.5098'", "'hep-th/99010'", "not an arXiv id")
    assert server.requests == []
    assert listing(kb_dir) == before


def test_not_found_names_the_missing_id(seeded, server):
    kb_dir, before = seeded
    r = mtlkb(kb_dir, "add", "2009.09796", "2101.00001", url=server.url)
    line = assert_one_line_error(r, "not found on arXiv: 2101.00001")
    assert "2009.09796" not in line
    assert listing(kb_dir) == before  # 2009.09796 was found, yet nothing was written


def test_503(seeded, server):
    kb_dir, before = seeded
    server.answer(503, "<html><body>Service Unavailable</body></html>")
    start = time.monotonic()
    r = mtlkb(kb_dir, "add", "1706.05098", "2009.09796", url=server.url)
    assert time.monotonic() - start < 10
    assert_one_line_error(r, "1706.05098, 2009.09796", "HTTP 503")
    assert len(server.requests) == 2  # one retry
    assert listing(kb_dir) == before


def test_hung_server_times_out(seeded, server):
    kb_dir, before = seeded
    config = kb_dir / "mtlkb.toml"
    config.write_text(config.read_text().replace("timeout = 20", "timeout = 30"))
    server.hang()
    start = time.monotonic()
    r = mtlkb(kb_dir, "add", "2009.09796", "--timeout", "1", url=server.url)  # beats the toml
    assert time.monotonic() - start < 10
    assert_one_line_error(r, "2009.09796", "no answer", "within 1 s")
    assert listing(kb_dir) == before


def test_connection_refused(seeded):
    kb_dir, before = seeded
    r = mtlkb(kb_dir, "add", "2009.09796", url=f"http://127.0.0.1:{free_port()}/api/query")
    assert_one_line_error(r, "2009.09796", "cannot connect", "Connection refused")
    assert listing(kb_dir) == before


def test_html_instead_of_a_feed(seeded, server):
    kb_dir, before = seeded
    server.answer(200, "<!DOCTYPE html><html><head><title>arXiv</title></head><body>Oops</body>"
                  "</html>", "text/html")
    r = mtlkb(kb_dir, "add", "1706.05098", "2009.09796", url=server.url)
    assert_one_line_error(r, "1706.05098, 2009.09796", "not an Atom feed", "text/html")
    assert listing(kb_dir) == before


def test_bad_timeout_and_endpoint(seeded, server):
    kb_dir, _ = seeded
    assert_one_line_error(mtlkb(kb_dir, "add", "2009.09796", "--timeout", "0", url=server.url),
                          "--timeout")
    assert_one_line_error(mtlkb(kb_dir, "add", "2009.09796", url="localhost:1/api"),
                          "MTLKB_ARXIV_API")
    assert server.requests == []


def test_no_kb_here(tmp_path, server):
    r = mtlkb(tmp_path / "nothing", "add", "2009.09796", url=server.url)
    assert_one_line_error(r, "no knowledge base")
    assert server.requests == []


def test_plain_cli_does_not_import_arxiv():
    code = ("import sys; from kb.cli import app; "
            "assert 'arxiv' not in sys.modules and 'requests' not in sys.modules, 'imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
