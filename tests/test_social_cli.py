"""End to end through the real ``mtlkb`` command: vote, save, collection, review, show."""

import json

from kbtest import make_paper, put, run_cli

from kb.models import Author


def _seed(kb):
    put(kb, make_paper(),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020))


def _ok(kb, *args):
    r = run_cli(kb, *args)
    assert r.returncode == 0, (args, r.stderr)
    return r


def test_social_commands_end_to_end(tmp_kb):
    _seed(tmp_kb)
    assert _ok(tmp_kb, "vote", "ruder2017overview", "up").stdout.strip() == \
        "ruder2017overview: vote up"
    _ok(tmp_kb, "vote", "2001.06782", "down")
    _ok(tmp_kb, "save", "ruder2017overview", "yu2020gradient")
    _ok(tmp_kb, "unsave", "yu2020gradient")
    r = _ok(tmp_kb, "collection", "add", "to read", "ruder2017overview", "yu2020gradient")
    assert "to read: added 2 paper(s)" in r.stdout
    _ok(tmp_kb, "collection", "add", "[surveys]", "ruder2017overview", "-d", "overviews")
    _ok(tmp_kb, "collection", "remove", "to read", "yu2020gradient")
    r = _ok(tmp_kb, "review", "ruder2017overview", "--strength", "Clear taxonomy",
            "--concern", "No experiments", "--question", "Which auxiliary tasks?")
    assert "review #1 recorded" in r.stdout

    r = _ok(tmp_kb, "show", "ruder2017overview", "--json")
    rec = json.loads(r.stdout)["social"]
    assert rec["vote"] == 1 and rec["saved"] is True
    assert rec["collections"] == ["[surveys]", "to read"]
    assert len(rec["reviews"]) == 1
    review = rec["reviews"][0]
    assert (review["strength"], review["concern"], review["question"]) == (
        "Clear taxonomy", "No experiments", "Which auxiliary tasks?")
    assert review["created_at"] and review["id"] == 1
    rec = json.loads(_ok(tmp_kb, "show", "yu2020gradient", "--json").stdout)["social"]
    assert rec == {"vote": -1, "saved": False, "collections": [], "reviews": []}

    r = _ok(tmp_kb, "collection", "list")
    assert "[surveys]" in r.stdout and "to read" in r.stdout  # names are not rich markup
    listed = json.loads(_ok(tmp_kb, "collection", "list", "--json").stdout)
    assert [(c["name"], c["papers"]) for c in listed] == [("[surveys]", 1), ("to read", 1)]
    shown = json.loads(_ok(tmp_kb, "collection", "show", "to read", "--json").stdout)
    assert [p["key"] for p in shown] == ["ruder2017overview"]
    r = _ok(tmp_kb, "review", "ruder2017overview")
    assert "Clear taxonomy" in r.stdout
    r = _ok(tmp_kb, "collection", "remove", "to read", "--yes")
    assert "deleted collection to read" in r.stdout
    r = _ok(tmp_kb, "show", "ruder2017overview")
    assert "vote: up · saved: yes" in r.stdout and "collections: [surveys]" in r.stdout


def test_social_commands_refuse_bad_input(tmp_kb):
    _seed(tmp_kb)
    for args in (["vote", "ruder2017overview", "sideways"], ["vote", "nobody", "up"],
                 ["save", "nobody"], ["review", "ruder2017overview"],
                 ["review", "ruder2017overview", "--strength", "  "],
                 ["collection", "show", "missing"], ["collection", "add", " ", "yu2020gradient"]):
        r = run_cli(tmp_kb, *args)
        if args == ["review", "ruder2017overview"]:  # no options: lists (none yet)
            assert r.returncode == 0 and "no reviews" in r.stdout
            continue
        assert r.returncode == 1, args
        assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr, args
