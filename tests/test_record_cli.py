"""End to end through the real ``mtlkb`` command: comment, comments, link, cite, show, and
the JSON export/import round trip of the paper record (issue 16)."""

import json

from kbtest import make_paper, put, run_cli

from kb.models import Author


def _seed(kb):
    put(kb, make_paper(),
        make_paper(arxiv_id="1705.07115", title="Uncertainty weighting",
                   authors=[Author(first="Alex", last="Kendall")], year=2018))
    kb.config_path.write_text(kb.config_path.read_text(encoding="utf-8")
                              + '\n[user]\nname = "Ada"\n', encoding="utf-8")
    kb.close()


def _ok(kb, *args):
    r = run_cli(kb, *args)
    assert r.returncode == 0, (args, r.stderr)
    return r


def _fails(kb, *args, fragment=""):
    r = run_cli(kb, *args)
    assert r.returncode == 1, (args, r.stdout)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert fragment in lines[0], lines[0]
    return lines[0]


def _dump(kb):
    kb.close()
    try:
        return "\n".join(kb.conn.iterdump())
    finally:
        kb.close()


def test_discussion_end_to_end(tmp_kb):
    _seed(tmp_kb)
    assert _ok(tmp_kb, "comment", "ruder2017overview", "Good <script>x</script>").stdout \
        .strip() == "ruder2017overview: comment #1 recorded"
    r = _ok(tmp_kb, "comment", "1706.05098", "Agreed", "--reply-to", "1", "--json")
    assert json.loads(r.stdout)["parent_id"] == 1
    _ok(tmp_kb, "comment", "ruder2017overview", "Later thread")
    items = json.loads(_ok(tmp_kb, "comments", "ruder2017overview", "--json").stdout)
    assert [c["id"] for c in items] == [3, 1]
    assert items[1]["replies"][0]["body"] == "Agreed" and items[1]["author"] == "Ada"
    text = _ok(tmp_kb, "comments", "ruder2017overview").stdout
    assert "#1 Ada" in text and "  #2 Ada" in text
    _ok(tmp_kb, "comment", "ruder2017overview", "Good, edited", "--edit", "1")
    assert json.loads(_ok(tmp_kb, "show", "ruder2017overview", "--json").stdout)[
        "comments"][1]["edited_at"]
    before = _dump(tmp_kb)
    _fails(tmp_kb, "comment", "kendall2018uncertainty", "x", "--reply-to", "1",
           fragment="comment #1 is on ruder2017overview")
    _fails(tmp_kb, "comment", "nope", "x", fragment="no paper 'nope'")
    _fails(tmp_kb, "comment", "ruder2017overview", "", fragment="needs some text")
    kb_toml = tmp_kb.config_path.read_text(encoding="utf-8").replace("Ada", "Bob")
    tmp_kb.config_path.write_text(kb_toml, encoding="utf-8")
    _fails(tmp_kb, "comment", "ruder2017overview", "--delete", "1",
           fragment="comment #1 is Ada's; you (Bob) may only delete your own")
    assert _dump(tmp_kb) == before
    tmp_kb.config_path.write_text(kb_toml.replace("Bob", "Ada"), encoding="utf-8")
    r = _ok(tmp_kb, "comment", "ruder2017overview", "--delete", "1")
    assert "deleted comment #1 and 1 reply" in r.stdout
    assert [c["id"] for c in json.loads(_ok(tmp_kb, "comments", "ruder2017overview",
                                            "--json").stdout)] == [3]


def test_link_code_datasets_and_reproductions(tmp_kb):
    _seed(tmp_kb)
    # The reproduction form keeps working (positional id).
    assert "linked ruder2017overview -> toy-pareto" in _ok(
        tmp_kb, "link", "ruder2017overview", "toy-pareto").stdout
    _ok(tmp_kb, "link", "ruder2017overview", "--code", "https://example.org/a",
        "--code", "https://example.org/b", "--dataset", "Toy=https://example.org/toy")
    before = _dump(tmp_kb)
    _fails(tmp_kb, "link", "ruder2017overview", "--code", "https://example.org/c",
           "--code", "ftp://example.org/x", fragment="not an http(s) URL: 'ftp://example.org/x'")
    _fails(tmp_kb, "link", "ruder2017overview", "--dataset", "NoUrl",
           fragment="--dataset takes NAME=URL")
    assert _dump(tmp_kb) == before
    rec = json.loads(_ok(tmp_kb, "link", "ruder2017overview", "--json").stdout)
    assert [x["source"] for x in rec["code"]] == ["reproduction", "manual", "manual"]
    assert rec["code"][0]["reproduction"] == "toy-pareto"
    assert rec["datasets"][0]["name"] == "Toy"
    _ok(tmp_kb, "link", "ruder2017overview", "--remove", "--code", "https://example.org/a")
    _ok(tmp_kb, "link", "ruder2017overview", "toy-pareto", "--remove")
    show = json.loads(_ok(tmp_kb, "show", "ruder2017overview", "--json").stdout)
    assert [x["url"] for x in show["links"]["code"]] == ["https://example.org/b"]
    # An automatic (arXiv id) reproduction link is the first code link without `link`.
    show = json.loads(_ok(tmp_kb, "show", "kendall2018uncertainty", "--json").stdout)
    assert show["links"]["code"][0]["reproduction"] == "kendall-uncertainty"


def test_cite_and_show(tmp_kb):
    _seed(tmp_kb)
    r = _ok(tmp_kb, "cite", "kendall2018uncertainty", "ruder2017overview")
    assert r.stdout.strip() == "kendall2018uncertainty cites ruder2017overview"
    _fails(tmp_kb, "cite", "ruder2017overview", "ruder2017overview", fragment="itself")
    show = json.loads(_ok(tmp_kb, "show", "ruder2017overview", "--json").stdout)
    assert show["cited_by"] == {"count": 1, "keys": ["kendall2018uncertainty"]}
    assert show["references"] == {"count": 0, "keys": []}
    for field in ("summary", "comments", "links", "institutions", "enrichment"):
        assert field in show
    assert "cited by 1 in this KB" in _ok(tmp_kb, "show", "ruder2017overview").stdout


def test_export_import_round_trip(tmp_kb, tmp_path):
    _seed(tmp_kb)
    _ok(tmp_kb, "comment", "ruder2017overview", "A thread")
    _ok(tmp_kb, "comment", "ruder2017overview", "A reply", "--reply-to", "1")
    _ok(tmp_kb, "link", "ruder2017overview", "--code", "https://example.org/a",
        "--dataset", "Toy=https://example.org/toy")
    _ok(tmp_kb, "cite", "kendall2018uncertainty", "ruder2017overview")
    out = tmp_path / "kb.json"
    _ok(tmp_kb, "export", "--format", "json", "-o", str(out))
    other = tmp_path / "other"
    _ok(None, "--kb", str(other), "init")
    _ok(None, "--kb", str(other), "import", str(out))
    _ok(None, "--kb", str(other), "import", str(out))  # idempotent
    for key in ("ruder2017overview", "kendall2018uncertainty"):
        a = json.loads(_ok(tmp_kb, "show", key, "--json").stdout)
        b = json.loads(_ok(None, "--kb", str(other), "show", key, "--json").stdout)
        for field in ("comments", "links", "references", "cited_by"):
            assert a[field] == b[field], (key, field)


def test_arxiv_affiliations_become_institutions(tmp_kb):
    from arxiv_server import ArxivServer, free_port

    dead = f"http://127.0.0.1:{free_port()}"
    with ArxivServer() as server:
        env = {"MTLKB_ARXIV_API": server.url, "NO_PROXY": None, "no_proxy": None,
               "HTTP_PROXY": dead, "http_proxy": dead}
        r = run_cli(tmp_kb, "add", "hep-ex/0406020", "--no-note", env=env)
        assert r.returncode == 0, r.stderr
    key = run_cli(tmp_kb, "list", "--json")
    key = json.loads(key.stdout)[0]["key"]
    inst = json.loads(_ok(tmp_kb, "show", key, "--json").stdout)["institutions"]
    assert {"name": "for the ATLAS and CMS Collaborations", "authors": ["Alessia Tricomi"],
            "sources": ["arxiv"]} in inst


def test_migration_from_a_store_without_the_record(tmp_kb):
    _seed(tmp_kb)
    conn = tmp_kb.conn
    for table in ("comments", "paper_links", "citations", "paper_institutions",
                  "institutions", "paper_summaries", "enrichment"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_paper_record'")
    conn.commit()
    tmp_kb.close()
    _ok(tmp_kb, "comment", "ruder2017overview", "after the upgrade")
    assert len(json.loads(_ok(tmp_kb, "comments", "ruder2017overview", "--json").stdout)) == 1
    assert len(json.loads(_ok(tmp_kb, "list", "--json").stdout)) == 2
