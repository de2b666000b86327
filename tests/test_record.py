"""The paper record's core (issue 16): comments, code/dataset links, citations in the KB,
institutions, the canon record and the JSON round trip."""

from __future__ import annotations

import json

import pytest
from kbtest import make_paper, put

from kb.config import KB, KBError
from kb.core import citations, comments, paper_links
from kb.core.canon_record import CANON_RECORD, load_canon_record, read_record
from kb.core.institutions import institutions_of
from kb.core.show import paper_record
from kb.models import Author
from kb.store.papers import get_paper

YU = dict(arxiv_id="2001.06782", title="Gradient Surgery for Multi-Task Learning",
          authors=[Author(first="Tianhe", last="Yu")], year=2020)


def _user(kb: KB, name: str) -> None:
    text = kb.config_path.read_text(encoding="utf-8")
    if "[user]" in text:
        text = text[: text.index("[user]")]
    kb.config_path.write_text(text + f'\n[user]\nname = "{name}"\n', encoding="utf-8")
    kb.__dict__.pop("settings", None)


@pytest.fixture
def kb(tmp_kb: KB) -> KB:
    put(tmp_kb, make_paper(), make_paper(**YU))
    _user(tmp_kb, "Ada")
    return tmp_kb


def test_threads_newest_first_replies_in_order(kb):
    a = comments.add_comment(kb, "ruder2017overview", "first")
    b = comments.add_comment(kb, "ruder2017overview", "second thread")
    r1 = comments.add_comment(kb, "ruder2017overview", "reply 1", reply_to=a.id)
    r2 = comments.add_comment(kb, "1706.05098", "reply 2", reply_to=a.id)
    rr = comments.add_comment(kb, "ruder2017overview", "nested", reply_to=r1.id)
    key, items = comments.list_comments(kb, "ruder2017overview")
    assert key == "ruder2017overview"
    assert [c.id for c in items] == [b.id, a.id]  # newest thread first (ties: by id)
    assert [c.id for c in items[1].replies] == [r1.id, r2.id]
    assert [c.id for c in items[1].replies[0].replies] == [rr.id]
    assert all(c.author == "Ada" and c.created_at for c in (a, b, r1, r2, rr))


def test_reply_must_be_on_the_same_paper_and_text_is_needed(kb):
    a = comments.add_comment(kb, "ruder2017overview", "x")
    with pytest.raises(KBError, match="is on ruder2017overview, not on yu2020gradient"):
        comments.add_comment(kb, "yu2020gradient", "y", reply_to=a.id)
    with pytest.raises(KBError, match="no comment #99"):
        comments.add_comment(kb, "yu2020gradient", "y", reply_to=99)
    with pytest.raises(KBError, match="needs some text"):
        comments.add_comment(kb, "yu2020gradient", "  \n ")
    with pytest.raises(KBError, match="no paper"):
        comments.add_comment(kb, "nope", "y")
    assert comments.comment_threads(kb, "yu2020gradient") == []


def test_edit_and_delete_only_ones_own(kb):
    a = comments.add_comment(kb, "ruder2017overview", "mine")
    reply = comments.add_comment(kb, "ruder2017overview", "a reply", reply_to=a.id)
    _user(kb, "Bob")
    with pytest.raises(KBError, match="is Ada's; you \\(Bob\\) may only edit your own"):
        comments.edit_comment(kb, a.id, "hijacked")
    with pytest.raises(KBError, match="may only delete your own"):
        comments.delete_comment(kb, a.id)
    _user(kb, "Ada")
    edited = comments.edit_comment(kb, a.id, "mine, edited")
    assert edited.body == "mine, edited" and edited.edited_at and \
        edited.created_at == a.created_at
    assert comments.delete_comment(kb, a.id) == 2  # with its reply
    assert comments.comment_threads(kb, "ruder2017overview") == []
    assert reply.id != a.id


def test_author_falls_back_to_the_os_user(tmp_kb, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "osuser")
    assert comments.current_user(tmp_kb) == "osuser"


def test_links_http_only_datasets_and_remove(kb):
    for bad in ("ftp://example.org/x", "javascript:alert(1)", "github.com/x",
                "https://exa mple.org", "https://"):
        with pytest.raises(KBError):
            paper_links.change_links(kb, "ruder2017overview", code=[bad])
    with pytest.raises(KBError, match="NAME=URL"):
        paper_links.change_links(kb, "ruder2017overview", datasets=["=https://x.org"])
    # One bad value among good ones: nothing is stored.
    with pytest.raises(KBError):
        paper_links.change_links(kb, "ruder2017overview", code=["https://a.org/x"],
                                 datasets=["D=file:///etc/passwd"])
    assert paper_links.links_record(kb, "ruder2017overview") == {"code": [], "datasets": []}
    ch = paper_links.change_links(kb, "ruder2017overview",
                                  code=["https://example.org/a", "https://example.org/b"],
                                  datasets=["Toy set=https://example.org/d?x=1&y=2"])
    assert len(ch.added) == 3
    again = paper_links.change_links(kb, "ruder2017overview", code=["https://example.org/a"])
    assert again.added == []
    rec = paper_links.links_record(kb, "ruder2017overview")
    assert [x["url"] for x in rec["code"]] == ["https://example.org/a", "https://example.org/b"]
    assert rec["datasets"] == [{"kind": "dataset", "name": "Toy set",
                                "url": "https://example.org/d?x=1&y=2", "source": "manual"}]
    gone = paper_links.change_links(kb, "ruder2017overview", code=["https://example.org/a",
                                                                   "https://example.org/zz"],
                                    remove=True)
    assert [x.url for x in gone.removed] == ["https://example.org/a"]
    assert gone.missing == ["https://example.org/zz"]


def test_a_linked_reproduction_is_the_first_code_link(tmp_kb):
    put(tmp_kb, make_paper(arxiv_id="1705.07115", title="Uncertainty weighting",
                           authors=[Author(first="Alex", last="Kendall")], year=2018))
    paper_links.change_links(tmp_kb, "1705.07115", code=["https://example.org/code"])
    code = paper_links.links_record(tmp_kb, "kendall2018uncertainty")["code"]
    assert code[0]["source"] == "reproduction"
    assert code[0]["reproduction"] == "kendall-uncertainty"
    assert code[0]["url"] == "reproductions/experiments/kendall_uncertainty.py"
    assert code[1]["url"] == "https://example.org/code"


def test_cite_counts_both_ways_and_refuses_bad_input(kb):
    put(kb, make_paper(arxiv_id="2110.14048", title="Conflict-Averse Gradient Descent",
                       authors=[Author(first="Bo", last="Liu")], year=2021))
    ch = citations.cite(kb, "liu2021conflict", ["yu2020gradient", "1706.05098",
                                                "yu2020gradient"])
    assert ch.changed == ["yu2020gradient", "ruder2017overview"]
    assert citations.cite(kb, "liu2021conflict", ["yu2020gradient"]).unchanged == [
        "yu2020gradient"]
    with pytest.raises(KBError, match="cannot cite itself"):
        citations.cite(kb, "yu2020gradient", ["ruder2017overview", "yu2020gradient"])
    with pytest.raises(KBError, match="no paper 'nope'"):
        citations.cite(kb, "yu2020gradient", ["ruder2017overview", "nope"])
    assert citations.citations_record(kb, "yu2020gradient") == {
        "references": {"count": 0, "keys": []},
        "cited_by": {"count": 1, "keys": ["liu2021conflict"]}}
    assert citations.citations_record(kb, "liu2021conflict")["references"]["count"] == 2
    citations.cite(kb, "liu2021conflict", ["ruder2017overview"], remove=True)
    assert citations.citations_record(kb, "ruder2017overview")["cited_by"]["count"] == 0


def test_institutions_from_bibtex_fields_and_affiliations(tmp_kb, tmp_path):
    from kb.core.bib_import import run as import_bib
    from kb.core.institutions import record_affiliations

    bib = tmp_path / "t.bib"
    bib.write_text(
        "@phdthesis{doe2019thesis, title = {A Thesis on Sharing}, author = {Doe, Jane},\n"
        "  year = 2019, school = {University of  Somewhere,}}\n"
        "@techreport{roe2018report, title = {A Report on Tasks}, author = {Roe, Rick},\n"
        "  year = 2018, institution = {Lab X}, organization = {Lab X}}\n", encoding="utf-8")
    assert import_bib(tmp_kb, [bib]).written
    thesis = get_paper(tmp_kb.db, "doe2019thesis")
    report = get_paper(tmp_kb.db, "roe2018report")
    assert [(i.name, i.sources) for i in institutions_of(tmp_kb, thesis)] == [
        ("University of Somewhere", ["bibtex"])]
    with tmp_kb.write() as db:
        record_affiliations(db, "roe2018report", {"Rick Roe": ["Lab X", "Insight Centre"]},
                            "arxiv")
    names = [(i.name, i.authors, i.sources) for i in institutions_of(tmp_kb, report)]
    assert names == [("Lab X", ["Rick Roe"], ["arxiv", "bibtex"]),
                     ("Insight Centre", ["Rick Roe"], ["arxiv"])]
    with tmp_kb.write() as db:  # a source saying it again replaces what it said
        record_affiliations(db, "roe2018report", {"Rick Roe": ["Insight Centre"]}, "arxiv")
    assert [i.name for i in institutions_of(tmp_kb, report)] == ["Insight Centre", "Lab X"]


def test_arxiv_affiliations_are_read(tmp_path):
    import arxiv

    from kb.sources.arxiv_source import paper_from_result

    result = arxiv.Result(
        entry_id="http://arxiv.org/abs/hep-ex/0406020v1", title="T",
        authors=[arxiv.Result.Author("Alessia  Tricomi", ["for the ATLAS and CMS "
                                                          "Collaborations"]),
                 arxiv.Result.Author("B Other")])
    paper = paper_from_result(result)
    assert paper.affiliations == {"Alessia Tricomi": ["for the ATLAS and CMS Collaborations"]}


def test_canon_record_loads_code_and_references(tmp_kb):
    from kb.core.bib_import import run as import_bib
    from kb.core.demo import CANON_PATH

    import_bib(tmp_kb, [CANON_PATH], strict=True)
    record = read_record()
    first = load_canon_record(tmp_kb)
    assert first.summaries == len([k for k, v in record.items() if v.get("summary")])
    assert first.code_links > 0 and first.citations > 0
    again = load_canon_record(tmp_kb)  # idempotent
    assert (again.code_links, again.citations) == (0, 0)
    key = next(k for k, v in record.items() if v.get("code") and v.get("references"))
    rec = paper_record(tmp_kb, get_paper(tmp_kb.db, key))
    assert [x["url"] for x in rec["links"]["code"] if x["source"] == "canon"] == \
        record[key]["code"]
    assert set(rec["references"]["keys"]) == set(record[key]["references"])
    assert rec["summary"]["text"] == " ".join(record[key]["summary"].split())
    assert CANON_RECORD.is_file()


def test_json_round_trip_of_the_record(kb, tmp_path):
    from kb.core.bib_import import run as import_bib
    from kb.core.export import export
    from kb.store.institutions import put_affiliation

    a = comments.add_comment(kb, "ruder2017overview", "<b>bold</b> claim")
    comments.add_comment(kb, "ruder2017overview", "reply", reply_to=a.id)
    paper_links.change_links(kb, "yu2020gradient", code=["https://example.org/pcgrad"],
                             datasets=["MultiMNIST=https://example.org/mm"])
    citations.cite(kb, "yu2020gradient", ["ruder2017overview"])
    with kb.write() as db:
        put_affiliation(db, "yu2020gradient", "Stanford University", "Tianhe Yu", "arxiv")
    out = tmp_path / "kb.json"
    export(kb, "json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["record"]) >= {"comments", "links", "citations", "institutions"}

    other = KB(tmp_path / "other")
    from kb.core.init import init_kb

    init_kb(other)
    for _ in range(2):  # idempotent
        report = import_bib(other, [out])
        assert report.written and not report.problems
    src = {k: paper_record(kb, get_paper(kb.db, k)) for k in ("ruder2017overview",
                                                              "yu2020gradient")}
    dst = {k: paper_record(other, get_paper(other.db, k)) for k in src}
    for k in src:
        for field in ("comments", "links", "references", "cited_by", "institutions"):
            assert dst[k][field] == src[k][field], (k, field)
    other.close()


def test_edit_or_delete_through_another_paper_is_refused(kb):
    a = comments.add_comment(kb, "ruder2017overview", "mine")
    with pytest.raises(KBError, match="is on ruder2017overview, not on yu2020gradient"):
        comments.delete_comment(kb, a.id, "yu2020gradient")
    with pytest.raises(KBError, match="is on ruder2017overview"):
        comments.edit_comment(kb, a.id, "x", "yu2020gradient")
    assert comments.delete_comment(kb, a.id, "1706.05098") == 1
