"""Votes, saves, collections and reviews in the store; export and import round trip."""

import json

import pytest
from kbtest import make_paper, put

from kb.config import KB, KBError
from kb.core import social
from kb.core.init import init_kb
from kb.models import Author
from kb.store.papers import PaperWriter, delete_paper


def _seed(kb):
    put(kb, make_paper(),
        make_paper(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
                   authors=[Author(first="Tianhe", last="Yu")], year=2020,
                   doi="10.5555/pcgrad"))
    return "ruder2017overview", "yu2020gradient"


def test_empty_record(tmp_kb):
    a, _ = _seed(tmp_kb)
    assert social.social_record(tmp_kb, a) == {"vote": 0, "saved": False, "collections": [],
                                               "reviews": []}


def test_vote_save_collections_reviews(tmp_kb):
    a, b = _seed(tmp_kb)
    assert social.set_vote(tmp_kb, "1706.05098v2", "up") == (a, 1)
    assert social.set_vote(tmp_kb, "10.5555/PCGRAD", "down") == (b, -1)
    social.set_vote(tmp_kb, b, "none")
    social.set_saved(tmp_kb, a)
    social.set_saved(tmp_kb, b)
    social.set_saved(tmp_kb, b, False)
    assert social.saved_papers(tmp_kb) == [a]
    assert social.collection_add(tmp_kb, "  to   read ", [a, b, a]) == [a, b]
    assert social.collection_add(tmp_kb, "to read", [a]) == []
    social.collection_add(tmp_kb, "Surveys", [a], description="overviews")
    assert social.collection_remove(tmp_kb, "to read", [b]) == [b]
    r1 = social.add_review(tmp_kb, a, strength="Clear taxonomy", concern=None,
                           question="How were auxiliary tasks chosen?")
    r2 = social.add_review(tmp_kb, a, concern="No experiments")
    rec = social.social_record(tmp_kb, a)
    assert rec["vote"] == 1 and rec["saved"] is True
    assert rec["collections"] == ["Surveys", "to read"]
    assert [r["id"] for r in rec["reviews"]] == [r1["id"], r2["id"]]
    assert set(rec["reviews"][0]) == {"id", "strength", "concern", "question", "created_at"}
    assert rec["reviews"][1]["strength"] is None and rec["reviews"][1]["concern"] == \
        "No experiments"
    assert social.social_record(tmp_kb, b) == {"vote": 0, "saved": False, "collections": [],
                                               "reviews": []}
    assert [(c["name"], c["papers"]) for c in social.list_collections(tmp_kb)] == [
        ("Surveys", 1), ("to read", 1)]
    assert social.collection_keys(tmp_kb, "to read") == [a]
    assert social.delete_collection(tmp_kb, "to read") == 1
    assert social.social_record(tmp_kb, a)["collections"] == ["Surveys"]


@pytest.mark.parametrize("call", [
    lambda kb: social.set_vote(kb, "ruder2017overview", "sideways"),
    lambda kb: social.set_vote(kb, "nobody", "up"),
    lambda kb: social.set_saved(kb, "nobody"),
    lambda kb: social.collection_add(kb, "   ", ["ruder2017overview"]),
    lambda kb: social.collection_add(kb, "x", ["nobody"]),
    lambda kb: social.collection_remove(kb, "no such", ["ruder2017overview"]),
    lambda kb: social.collection_keys(kb, "no such"),
    lambda kb: social.add_review(kb, "ruder2017overview", " ", None, ""),
    lambda kb: social.add_review(kb, "nobody", "s"),
    lambda kb: social.import_social(kb, ["not", "an", "object"]),
    lambda kb: social.import_social(kb, {"reviews": "nope"}),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(tmp_kb, call):
    _seed(tmp_kb)
    before = social.export_social(tmp_kb)
    with pytest.raises(KBError):
        call(tmp_kb)
    assert social.export_social(tmp_kb) == before


def test_social_record_survives_merge_and_refresh(tmp_kb):
    a, _ = _seed(tmp_kb)
    social.set_vote(tmp_kb, a, "up")
    social.collection_add(tmp_kb, "c", [a])
    social.add_review(tmp_kb, a, strength="s")
    with tmp_kb.write() as db:
        PaperWriter(db).put(make_paper(abstract="Refreshed."), refresh=True)
    rec = social.social_record(tmp_kb, a)
    assert rec["vote"] == 1 and rec["collections"] == ["c"] and len(rec["reviews"]) == 1
    with tmp_kb.write() as db:
        delete_paper(db, a)
    assert social.social_record(tmp_kb, a)["reviews"] == []  # cascades with the paper


def test_export_import_round_trip(tmp_kb, tmp_path):
    a, b = _seed(tmp_kb)
    social.set_vote(tmp_kb, a, "up")
    social.set_vote(tmp_kb, b, "down")
    social.set_saved(tmp_kb, b)
    social.collection_add(tmp_kb, "to read", [b, a], description="next week")
    social.collection_add(tmp_kb, "empty one", [])
    social.add_review(tmp_kb, a, strength="s1", concern="c1", question="q1")
    social.add_review(tmp_kb, a, strength="s1", concern="c1", question="q1")  # same text twice
    social.add_review(tmp_kb, b, question="Which λ?")
    data = json.loads(json.dumps(social.export_social(tmp_kb)))
    records = {k: social.social_record(tmp_kb, k) for k in (a, b)}

    other = KB(tmp_path / "other")
    init_kb(other)
    _seed(other)
    counts = social.import_social(other, data)
    assert counts["reviews"] == 3  # twins written in the same second both kept
    for k in (a, b):
        got, want = social.social_record(other, k), records[k]
        assert (got["vote"], got["saved"], got["collections"]) == (
            want["vote"], want["saved"], want["collections"])
        strip = [{f: r[f] for f in ("strength", "concern", "question", "created_at")}
                 for r in want["reviews"]]
        got_strip = [{f: r[f] for f in ("strength", "concern", "question", "created_at")}
                     for r in got["reviews"]]
        assert sorted(map(json.dumps, got_strip)) == sorted(map(json.dumps, strip))
    assert {c["name"]: c["description"] for c in social.list_collections(other)} == {
        "empty one": None, "to read": "next week"}
    # idempotent
    again = social.export_social(other)
    social.import_social(other, data)
    assert social.export_social(other) == again
    # papers missing from the target KB are skipped, not fatal
    third = KB(tmp_path / "third")
    init_kb(third)
    put(third, make_paper())
    counts = social.import_social(third, data)
    assert counts["skipped"] >= 3
    assert social.social_record(third, a)["vote"] == 1
    other.close()
    third.close()
