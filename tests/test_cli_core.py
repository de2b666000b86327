"""End to end through the real ``mtlkb`` command: init, list, show, search, tag, rm."""

import json

from kbtest import make_paper, put, run_cli

from kb.models import Author


def _seed(kb):
    put(
        kb,
        make_paper(topics=["survey"]),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu"),
                            Author(first="Chelsea", last="Finn")],
                   year=2020, doi="10.5555/PCGRAD",
                   abstract="Conflicting gradients cause negative transfer."),
    )


def test_help_lists_commands():
    r = run_cli(None, "--help")
    assert r.returncode == 0
    for cmd in ("init", "add", "import", "export", "list", "show", "search", "tag", "rm"):
        assert cmd in r.stdout


def test_init_then_cd(tmp_path):
    r = run_cli(None, "--kb", str(tmp_path / "mykb"), "init")
    assert r.returncode == 0, r.stderr
    r = run_cli(None, "init", str(tmp_path / "other"))
    assert r.returncode == 0 and (tmp_path / "other" / "mtlkb.toml").is_file()
    r2 = run_cli(None, "init", str(tmp_path / "other"))
    assert r2.returncode == 0 and "created" not in r2.stdout


def test_list_show_search_json_shapes(tmp_kb):
    _seed(tmp_kb)
    r = run_cli(tmp_kb, "list", "--json")
    assert r.returncode == 0, r.stderr
    papers = json.loads(r.stdout)
    assert [p["key"] for p in papers] == ["ruder2017overview", "yu2020gradient"]
    expected = {"key", "arxiv_id", "doi", "title", "authors", "year", "venue", "abstract",
                "url", "pdf_url", "topics"}
    assert expected <= set(papers[1])
    assert papers[1]["authors"] == ["Tianhe Yu", "Chelsea Finn"]
    assert papers[1]["doi"] == "10.5555/pcgrad"

    for ref in ("yu2020gradient", "2001.06782v2", "10.5555/PCGRAD"):
        r = run_cli(tmp_kb, "show", ref, "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["key"] == "yu2020gradient"

    r = run_cli(tmp_kb, "search", "gradient conflict", "--json")
    assert r.returncode == 0, r.stderr
    assert [h["key"] for h in json.loads(r.stdout)] == ["yu2020gradient"]

    r = run_cli(tmp_kb, "list")
    assert r.returncode == 0 and "yu2020gradient" in r.stdout and "2 paper(s)" in r.stderr


def test_search_a_phrase_through_its_word_pairs(tmp_kb):
    """A phrase matches as a phrase (not as its words apart) and its snippet marks it."""
    _seed(tmp_kb)
    r = run_cli(tmp_kb, "search", '"negative transfer"', "--json")
    assert r.returncode == 0, r.stderr
    (hit,) = json.loads(r.stdout)
    assert hit["key"] == "yu2020gradient" and "[negative transfer]" in hit["snippet"]
    r = run_cli(tmp_kb, "search", '"transfer negative"', "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = run_cli(tmp_kb, "search", "multi-task learning")
    assert r.returncode == 0, r.stderr
    assert "ruder2017overview" in r.stdout and "yu2020gradient" in r.stdout


def test_search_survives_anything(tmp_kb):
    _seed(tmp_kb)
    for q in ['"unbalanced', "multi-task", "AND", "NOT OR", "(((", "ünïcödé ✓", "-x", "a:b", "*"]:
        r = run_cli(tmp_kb, "search", "--", q)
        assert r.returncode == 0, (q, r.stderr)
        assert "Traceback" not in r.stderr


def test_show_unknown_fails_with_one_line(tmp_kb):
    r = run_cli(tmp_kb, "show", "nope")
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "nope" in r.stderr


def test_tag_untag_rm(tmp_kb):
    _seed(tmp_kb)
    assert run_cli(tmp_kb, "tag", "ruder2017overview", "architectures", "mtl").returncode == 0
    r = run_cli(tmp_kb, "list", "--topic", "architectures", "--json")
    assert [p["key"] for p in json.loads(r.stdout)] == ["ruder2017overview"]
    assert run_cli(tmp_kb, "untag", "ruder2017overview", "mtl").returncode == 0
    shown = json.loads(run_cli(tmp_kb, "show", "ruder2017overview", "--json").stdout)
    assert shown["topics"] == ["architectures", "survey"]
    r = run_cli(tmp_kb, "rm", "yu2020gradient", "--yes")
    assert r.returncode == 0
    assert [p["key"] for p in json.loads(run_cli(tmp_kb, "list", "--json").stdout)] == [
        "ruder2017overview"
    ]
    assert run_cli(tmp_kb, "rm", "yu2020gradient", "--yes").returncode == 1


def test_uninitialised_folder_is_reported(tmp_path):
    r = run_cli(tmp_path / "empty", "list")
    assert r.returncode == 1 and "mtlkb init" in r.stderr


def test_a_corrupt_store_is_one_line_naming_the_file(tmp_kb):
    tmp_kb.close()
    tmp_kb.db_path.write_bytes(b"this is not a SQLite file" * 100)
    for args in (["list"], ["search", "x"], ["show", "x"]):
        r = run_cli(tmp_kb, *args)
        assert r.returncode == 1, r
        assert "Traceback" not in r.stderr
        assert r.stderr.strip().count("\n") == 0 and "mtlkb.db" in r.stderr, r.stderr


def test_limit_must_be_positive(tmp_kb):
    _seed(tmp_kb)
    for cmd in (["search", "gradient"], ["list"]):
        r = run_cli(tmp_kb, *cmd, "--limit", "0")
        assert r.returncode == 2 and "--limit" in r.stderr, r
    r = run_cli(tmp_kb, "search", "gradient", "--limit", "1", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 1
