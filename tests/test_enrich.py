"""``mtlkb enrich`` against local servers speaking Semantic Scholar's, OpenAlex's and
Crossref's formats: success, 404, 429, 5xx, a hang, malformed JSON, offline."""

from __future__ import annotations

import json

import pytest
from api_server import ApiServer
from arxiv_server import free_port
from kbtest import make_paper, put, run_cli

from kb.config import KB
from kb.models import Author

S2 = "/graph/v1/paper/"
KENDALL = dict(arxiv_id="1705.07115", doi="10.1109/cvpr.2018.00781",
               title="Multi-Task Learning Using Uncertainty to Weigh Losses for Scene "
                     "Geometry and Semantics",
               authors=[Author(first="Alex", last="Kendall")], year=2018)


@pytest.fixture(scope="module")
def server():
    with ApiServer() as s:
        yield s


@pytest.fixture
def kb(tmp_kb: KB, server: ApiServer) -> KB:
    server.routes.clear()
    server.requests.clear()
    put(tmp_kb, make_paper(), make_paper(**KENDALL))
    config = tmp_kb.config_path
    config.write_text(config.read_text(encoding="utf-8")
                      + "\n[enrich]\nmin_interval_s = 0\ntimeout = 0.5\n", encoding="utf-8")
    tmp_kb.close()
    return tmp_kb


def enrich(kb: KB, server: ApiServer, *args: str, base: str | None = None):
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy that is not there: loopback bypasses it
    root = base or server.url
    env = {"MTLKB_S2_API": root + "/graph/v1", "MTLKB_OPENALEX_API": root,
           "MTLKB_CROSSREF_API": root, "HTTP_PROXY": dead, "http_proxy": dead,
           "NO_PROXY": None, "no_proxy": None}
    return run_cli(kb, "enrich", *args, env=env)


def dump(kb: KB) -> str:
    kb.close()
    try:
        return "\n".join(kb.conn.iterdump())
    finally:
        kb.close()


def one_line_error(r, *fragments: str) -> str:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def show(kb: KB, key: str) -> dict:
    r = run_cli(kb, "show", key, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_semanticscholar_fills_counts_references_affiliations_pdf(kb, server):
    server.fixture(S2 + "ARXIV:1705.07115", "s2_paper.json")
    r = enrich(kb, server, "kendall2018multi", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [e["key"] for e in out["enriched"]] == ["kendall2018multi"]
    assert any("fields=" in q and "citationCount" in q for q in server.requests)
    rec = show(kb, "kendall2018multi")
    (e,) = rec["enrichment"]
    assert e["source"] == "semanticscholar" and e["citation_count"] == 4321
    assert e["fetched_at"][:4].isdigit()
    assert e["oa_pdf"] == "https://arxiv.org/pdf/1705.07115"
    marked = {r["title"]: r["key"] for r in e["references"]}
    assert marked["An Overview of Multi-Task Learning in Deep Neural Networks"] == \
        "ruder2017overview"
    assert marked["A paper outside this KB"] is None
    # A reference in the KB becomes a citation inside the KB, in both directions.
    assert rec["references"] == {"count": 1, "keys": ["ruder2017overview"]}
    assert show(kb, "ruder2017overview")["cited_by"]["keys"] == ["kendall2018multi"]
    inst = {i["name"]: i for i in rec["institutions"]}
    assert inst["University of Cambridge"]["authors"] == ["Alex Kendall", "R. Cipolla"]
    assert inst["University of Cambridge"]["sources"] == ["semanticscholar"]


def test_cached_until_refresh(kb, server):
    server.fixture(S2 + "ARXIV:1705.07115", "s2_paper.json")
    assert enrich(kb, server, "kendall2018multi").returncode == 0
    n = len(server.requests)
    r = enrich(kb, server, "kendall2018multi")
    assert r.returncode == 0 and len(server.requests) == n
    assert "1 cached" in r.stderr
    assert enrich(kb, server, "kendall2018multi", "--refresh").returncode == 0
    assert len(server.requests) == n + 1


def test_openalex_marks_references_by_openalex_id(kb, server):
    ruder = json.dumps({"id": "https://openalex.org/W2000000002", "cited_by_count": 10,
                        "referenced_works": [], "authorships": []})
    server.route("/works/doi:10.48550/arXiv.1706.05098", 200, ruder)
    server.fixture("/works/doi:10.1109/cvpr.2018.00781", "openalex_work.json")
    r = enrich(kb, server, "--source", "openalex", "--json")
    assert r.returncode == 0, r.stderr
    rec = show(kb, "kendall2018multi")
    (e,) = rec["enrichment"]
    assert e["citation_count"] == 3999 and e["external_id"] == "W2000000001"
    assert [x["key"] for x in e["references"]] == ["ruder2017overview", None]
    assert rec["references"]["keys"] == ["ruder2017overview"]
    names = {i["name"] for i in rec["institutions"]}
    assert names == {"University of Cambridge", "University of Oxford"}  # raw string kept


def test_crossref_by_doi_and_polite_mailto(kb, server):
    config = kb.config_path
    config.write_text(config.read_text(encoding="utf-8") + 'mailto = "kb@example.org"\n',
                      encoding="utf-8")
    server.fixture("/works/10.1109/cvpr.2018.00781", "crossref_work.json")
    r = enrich(kb, server, "kendall2018multi", "--source", "crossref")
    assert r.returncode == 0, r.stderr
    assert "mailto=kb%40example.org" in server.requests[-1]
    (e,) = show(kb, "kendall2018multi")["enrichment"]
    assert e["citation_count"] == 2500 and e["oa_pdf"] is None
    assert len(e["references"]) == 3
    # No DOI: Crossref cannot look the paper up; one line, nothing changed.
    before = dump(kb)
    r = enrich(kb, server, "ruder2017overview", "--source", "crossref")
    one_line_error(r, "crossref", "ruder2017overview", "has no DOI to look it up by",
                   "nothing was changed")
    assert dump(kb) == before


@pytest.mark.parametrize("case", ["404", "429", "500", "hang", "malformed", "offline",
                                  "not-an-object"])
def test_failures_are_one_line_and_change_nothing(kb, server, case):
    # Ruder's answer is fine; Kendall's (second, by key) fails: nothing may be written.
    server.fixture(S2 + "ARXIV:1706.05098", "s2_paper.json")
    route = S2 + "ARXIV:1705.07115"
    base = None
    expect = {
        "404": "not found (HTTP 404: Paper with id ARXIV:1705.07115 not found)",
        "429": "rate limited (HTTP 429; retry after 30 s)",
        "500": "the server failed (HTTP 500",
        "hang": "no answer from 127.0.0.1",
        "malformed": "the answer is not JSON",
        "offline": "cannot reach 127.0.0.1",
        "not-an-object": "unexpected answer",
    }[case]
    if case == "404":
        server.route(route, 404, '{"error":"Paper with id ARXIV:1705.07115 not found"}\n')
    elif case == "429":
        server.route(route, 429, '{"message": "Too Many Requests. Please wait and try again '
                     'or apply for a key for higher rate limits."}', headers={"Retry-After":
                                                                              "30"})
    elif case == "500":
        server.route(route, 500, '{"message": "Internal Server Error"}')
    elif case == "hang":
        server.hang(route)
    elif case == "malformed":
        server.route(route, 200, '{"paperId": "x", "citationCount": 3,')
    elif case == "offline":
        base = f"http://127.0.0.1:{free_port()}"
    else:
        server.route(route, 200, "[1, 2, 3]")
    before = dump(kb)
    r = enrich(kb, server, base=base)
    line = one_line_error(r, "semanticscholar", expect)
    if case != "offline":
        assert "kendall2018multi" in line
    assert dump(kb) == before


def test_skip_missing_goes_on(kb, server):
    server.fixture(S2 + "ARXIV:1706.05098", "s2_paper.json")
    r = enrich(kb, server, "--skip-missing")
    assert r.returncode == 0, r.stderr
    assert "skipped: semanticscholar: kendall2018multi: not found" in r.stderr
    assert show(kb, "ruder2017overview")["enrichment"][0]["citation_count"] == 4321


def test_bad_source_and_unknown_paper(kb, server):
    one_line_error(enrich(kb, server, "--source", "scopus"), "unknown source 'scopus'")
    one_line_error(enrich(kb, server, "nope2020"), "no paper 'nope2020'")
    assert server.requests == []


def test_parsers_tolerate_nulls():
    from kb.sources.open_apis import crossref_parse, openalex_parse, s2_parse

    a = s2_parse({"paperId": "p", "citationCount": None, "openAccessPdf": {"url": ""},
                  "authors": None, "references": [None]})
    assert a.citation_count is None and a.oa_pdf is None and a.affiliations == []
    b = openalex_parse({"id": "https://openalex.org/W1", "authorships": [{"author": None}]})
    assert b.external_id == "W1" and b.affiliations == []
    with pytest.raises(ValueError):
        crossref_parse({"status": "failed", "message-type": "validation-failure",
                        "message": [{"type": "x", "message": "bad"}]})
