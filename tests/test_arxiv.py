"""The arXiv source and ``kb.core.add.run``: the real ``arxiv`` client against a local server.

Every request goes to ``tests/arxiv_server.py`` on 127.0.0.1; proxies in the environment point
at a closed port, so a request that used them would fail.
"""

from __future__ import annotations

import time

import pytest
from arxiv_server import ArxivServer, free_port
from kbtest import put

from kb.config import KBError
from kb.sources.arxiv_source import (
    DEFAULT_ENDPOINT,
    ArxivFetchError,
    endpoint_url,
    fetch,
    make_client,
    paper_from_result,
    render_bibtex,
)

FAST = {"timeout": 2.0, "retry_delay": 0.05}


@pytest.fixture(autouse=True)
def _dead_proxies(monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy", "MTLKB_ARXIV_API"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    with ArxivServer() as s:
        yield s


# -- fetching -------------------------------------------------------------------------------
def test_many_ids_in_one_request(server):
    ids = ["1706.05098", "2009.09796", "1705.07115", "hep-ex/0406020", "astro-ph/0601001"]
    papers = fetch(ids, endpoint=server.url, **FAST)
    assert [p.arxiv_id for p in papers] == ids
    assert server.id_lists == [ids]
    assert server.requests[0]["path"] == "/api/query"
    assert server.requests[0]["query"]["max_results"] == "5"


def test_duplicate_ids_requested_once(server):
    papers = fetch(["2009.09796", "2009.09796"], endpoint=server.url, **FAST)
    assert len(papers) == 1 and server.id_lists == [["2009.09796"]]


def test_fields_of_a_revised_paper(server):
    (p,) = fetch(["1705.07115"], endpoint=server.url, **FAST)
    assert p.title == (
        "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics"
    )
    assert [a.name for a in p.authors] == ["Alex Kendall", "Yarin Gal", "Roberto Cipolla"]
    assert p.authors[0].last == "Kendall"
    assert p.arxiv_id == "1705.07115" and p.arxiv_version == 3
    assert p.published == "2017-05-19T08:00:00Z" and p.updated.startswith("2018-04-24")
    assert p.year == 2017 and p.month == 5
    assert p.url == "https://arxiv.org/abs/1705.07115"
    assert p.pdf_url == "https://arxiv.org/pdf/1705.07115v3"
    assert p.primary_category == "cs.CV" and p.categories == ["cs.CV"]
    assert p.entry_type == "misc" and p.venue == "arXiv" and p.source == "arxiv"
    assert p.doi is None and p.journal_ref is None and p.comment is None
    assert p.abstract.startswith("Numerous deep learning applications benefit")


def test_doi_journal_ref_and_accents(server):
    (p,) = fetch(["2405.13786"], endpoint=server.url, **FAST)
    assert p.doi == "10.1109/ICSTW58534.2023.00023"
    assert p.journal_ref.startswith("Proc. 2023 IEEE International Conference")
    assert p.venue == p.journal_ref
    assert [a.name for a in p.authors] == [
        "Aurora Ramírez", "Mario Berrios", "José Raúl Romero", "Robert Feldt"
    ]
    assert p.comment.startswith("3rd International Workshop")
    assert p.categories == ["cs.SE", "cs.AI"]


def test_old_style_ids(server):
    a, b = fetch(["hep-ex/0406020", "astro-ph/0601001"], endpoint=server.url, **FAST)
    assert a.arxiv_id == "hep-ex/0406020" and a.arxiv_version == 1
    assert a.url == "https://arxiv.org/abs/hep-ex/0406020"
    assert a.abstract.startswith("In this report")  # leading spaces of old abstracts dropped
    assert [x.name for x in a.authors] == ["Alessia Tricomi"]
    assert b.journal_ref == "ActaAstron.56:1-50,2006" and b.venue == "ActaAstron.56:1-50,2006"
    assert b.year == 2006 and len(b.authors) == 4


def test_endpoint_from_environment(server, monkeypatch):
    monkeypatch.setenv("MTLKB_ARXIV_API", server.url)
    assert endpoint_url() == server.url
    fetch(["1706.05098"], **FAST)
    assert server.id_lists == [["1706.05098"]]


def test_default_endpoint_and_url_format():
    assert endpoint_url() == DEFAULT_ENDPOINT == "https://export.arxiv.org/api/query"
    client = make_client(DEFAULT_ENDPOINT, timeout=5)
    assert client.query_url_format == "https://export.arxiv.org/api/query?{}"
    assert client._session.trust_env  # proxies still apply to the real arXiv
    assert make_client("http://127.0.0.1:1/q", timeout=5)._session.trust_env is False
    assert make_client("http://h/q?x=1", timeout=5).query_url_format == "http://h/q?x=1&{}"


@pytest.mark.parametrize("bad", ["export.arxiv.org/api/query", "ftp://h/q", "http://"])
def test_bad_endpoint(bad, monkeypatch):
    monkeypatch.setenv("MTLKB_ARXIV_API", bad)
    with pytest.raises(KBError, match="MTLKB_ARXIV_API"):
        fetch(["1706.05098"], **FAST)


# -- failures -------------------------------------------------------------------------------
def _fails(server_url, ids=("1706.05098", "2009.09796"), **kw) -> ArxivFetchError:
    with pytest.raises(ArxivFetchError) as info:
        fetch(list(ids), endpoint=server_url, **{**FAST, **kw})
    message = str(info.value)
    assert "\n" not in message
    return info.value


def test_not_found_names_the_missing_ids(server):
    err = _fails(server.url, ids=["1706.05098", "2101.00001", "2009.09796", "2101.00002"])
    assert err.not_found and err.ids == ["2101.00001", "2101.00002"]
    assert str(err) == "not found on arXiv: 2101.00001, 2101.00002"
    assert len(server.requests) == 1


def test_503_is_retried_once_quickly(server):
    server.answer(503, "Service Unavailable")
    start = time.monotonic()
    err = _fails(server.url)
    assert time.monotonic() - start < 2
    assert "HTTP 503" in str(err) and "1706.05098, 2009.09796" in str(err)
    assert len(server.requests) == 2


def test_400_error_feed_is_explained(server):
    server.answer(400, server.error_feed("abc"), "application/atom+xml")
    assert "HTTP 400" in str(_fails(server.url)) and "incorrect id format for abc" in str(
        _fails(server.url)
    )


def test_error_entry_in_a_200_feed(server):
    server.answer(200, server.error_feed("1706.05098"), "application/atom+xml")
    assert "incorrect id format for 1706.05098" in str(_fails(server.url))


def test_hung_server_times_out(server):
    server.hang()
    start = time.monotonic()
    err = _fails(server.url, timeout=1.0)
    assert time.monotonic() - start < 4
    assert "no answer" in str(err) and "within 1 s" in str(err)


def test_connection_refused():
    err = _fails(f"http://127.0.0.1:{free_port()}/api/query")
    assert "cannot connect" in str(err) and "Connection refused" in str(err)


@pytest.mark.parametrize(
    ("body", "ctype", "shown"),
    [
        ("<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>", "text/html",
         "text/html"),
        ("Rate exceeded.", "text/plain", "Rate exceeded."),
        (b"\x00\x01\xfe\xff", "application/octet-stream", "application/octet-stream"),
        ("", "text/plain", "empty body"),
        ('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "text/xml", "rss"),
    ],
)
def test_body_that_is_not_an_atom_feed(server, body, ctype, shown):
    server.answer(200, body, ctype)
    err = _fails(server.url)
    assert "not an Atom feed" in str(err) and shown in str(err)
    assert len(server.requests) == 1  # not retried


def test_truncated_feed(server):
    whole = server._feed({"start": "0", "max_results": "2"}, ["1706.05098", "2009.09796"])[1]
    server.answer(200, whole[: len(whole) // 2], "application/atom+xml")
    assert "broken Atom feed" in str(_fails(server.url))


# -- records --------------------------------------------------------------------------------
def test_paper_from_result_collapses_whitespace():
    import arxiv

    result = arxiv.Result(
        entry_id="http://arxiv.org/abs/2009.09796v2",
        title="Multi-Task  Learning\n  with Deep Neural Networks",
        authors=[arxiv.Result.Author("Michael  Crawshaw"), arxiv.Result.Author(" ")],
        summary="  line one\n  line two ",
        journal_ref=" J. Test\n 1 ",
        categories=["cs.LG", "cs.LG", "stat.ML"],
    )
    p = paper_from_result(result)
    assert p.title == "Multi-Task Learning with Deep Neural Networks"
    assert [a.name for a in p.authors] == ["Michael Crawshaw"]
    assert p.abstract == "line one line two"
    assert p.venue == p.journal_ref == "J. Test 1"
    assert p.categories == ["cs.LG", "stat.ML"] and p.primary_category == "cs.LG"
    assert p.arxiv_version == 2 and p.pdf_url == "https://arxiv.org/pdf/2009.09796v2"


def test_bibtex_like_arxiv_export(server):
    ruder, kendall, ramirez = fetch(
        ["1706.05098", "1705.07115", "2405.13786"], endpoint=server.url, **FAST
    )
    assert render_bibtex(ruder, "ruder2017overview") == (
        "@misc{ruder2017overview,\n"
        "  title = {An Overview of Multi-Task Learning in Deep Neural Networks},\n"
        "  author = {Sebastian Ruder},\n"
        "  year = {2017},\n"
        "  eprint = {1706.05098},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.LG},\n"
        "  url = {https://arxiv.org/abs/1706.05098}\n"
        "}\n"
    )
    k = render_bibtex(kendall, "kendall2017multi")
    assert "year = {2018}" in k  # arXiv's export gives the year of the latest version
    assert "author = {Alex Kendall and Yarin Gal and Roberto Cipolla}" in k
    assert "doi" not in k
    r = render_bibtex(ramirez, "ramirez2024explainable")
    assert "  doi = {10.1109/ICSTW58534.2023.00023},\n  url = {" in r


def test_bibtex_escapes_what_would_break_latex():
    from kb.models import Paper

    p = Paper(title="Tasks & {Losses} 100% #1 \\& {open", arxiv_id="2009.09796",
              primary_category="cs.LG")
    bib = render_bibtex(p, "k")
    assert "title = {Tasks \\& \\{Losses\\} 100\\% \\#1 \\& \\{open}" in bib


# -- kb.core.add.run -----------------------------------------------------------------------------
def _rows(kb):
    return [dict(r) for r in kb.db["papers"].rows]


def test_run_adds_then_refreshes_keeping_user_fields(tmp_kb, server):
    from kb.core.add import run
    from kb.store.papers import add_topics, get_paper

    report = run(tmp_kb, ["1706.05098", "arXiv:2009.09796v1"], endpoint=server.url,
                 with_notes=False, timeout=2)
    assert [(a.key, a.action) for a in report.papers] == [
        ("ruder2017overview", "added"), ("crawshaw2020multi", "added")
    ]
    assert server.id_lists == [["1706.05098", "2009.09796"]]
    with tmp_kb.write() as db:
        add_topics(db, "ruder2017overview", ["survey"])
        db.conn.execute("UPDATE papers SET arxiv_version = 0, abstract = 'old' "
                        "WHERE key = 'ruder2017overview'")
    report = run(tmp_kb, ["https://arxiv.org/abs/1706.05098v1"], endpoint=server.url,
                 with_notes=False, timeout=2)
    assert [(a.key, a.action) for a in report.papers] == [("ruder2017overview", "refreshed")]
    p = get_paper(tmp_kb.db, "ruder2017overview")
    assert p.topics == ["survey"] and p.arxiv_version == 1
    assert p.abstract.startswith("Multi-task learning (MTL) has led")
    assert p.bibtex.startswith("@misc{ruder2017overview,") and "eprint = {1706.05098}" in p.bibtex
    assert p.venue == "arXiv" and p.entry_type == "misc" and p.year == 2017


def test_run_is_all_or_nothing(tmp_kb, server):
    from kb.core.add import run

    run(tmp_kb, ["1706.05098"], endpoint=server.url, with_notes=False, timeout=2)
    before = _rows(tmp_kb)
    with pytest.raises(ArxivFetchError, match="2101.00001"):
        run(tmp_kb, ["2009.09796", "1706.05098", "2101.00001"], endpoint=server.url,
            with_notes=False, timeout=2)
    assert _rows(tmp_kb) == before


def test_run_rejects_malformed_ids_before_any_request(tmp_kb, server):
    from kb.core.add import run

    with pytest.raises(KBError, match=r"'1706\.5098', 'nope'"):
        run(tmp_kb, ["2009.09796", "1706.5098", "nope"], endpoint=server.url, timeout=2)
    assert server.requests == []


def test_run_keeps_an_imported_bibtex(tmp_kb, server):
    from kbtest import make_paper

    from kb.core.add import run
    from kb.store.papers import get_paper

    own = "@article{mine, title={Mine}}"
    put(tmp_kb, make_paper(key="ruder-mtl", bibtex=own, source="bibtex", venue="Some Journal"))
    report = run(tmp_kb, ["1706.05098"], endpoint=server.url, with_notes=False, timeout=2)
    assert [(a.key, a.action) for a in report.papers] == [("ruder-mtl", "refreshed")]
    p = get_paper(tmp_kb.db, "ruder-mtl")
    assert p.bibtex == own and p.venue == "Some Journal"
    assert p.arxiv_version == 1 and p.primary_category == "cs.LG"


def test_timeout_settings(tmp_kb):
    from kb.core.add import resolve_timeout

    assert resolve_timeout(tmp_kb, None) == 20  # mtlkb init writes [arxiv] timeout = 20
    assert resolve_timeout(tmp_kb, 1.5) == 1.5
    for bad in (0, -1, float("nan")):
        with pytest.raises(KBError, match="--timeout"):
            resolve_timeout(tmp_kb, bad)
    tmp_kb.config_path.write_text('[arxiv]\ntimeout = "soon"\n', encoding="utf-8")
    tmp_kb.__dict__.pop("settings", None)
    with pytest.raises(KBError, match=r"\[arxiv\] timeout"):
        resolve_timeout(tmp_kb, None)


def test_entry_the_package_skips_is_reported_missing(server, capfd):
    # An entry without <published> is skipped by the package (with a logged warning, which
    # kb.sources.arxiv_source keeps off stderr).
    version, entry = server.entries["1706.05098"]
    server.entries["1706.05098"] = (version, entry.replace("<published>", "<x>").replace(
        "</published>", "</x>"))
    err = _fails(server.url, ids=["1706.05098"])
    assert err.not_found
    assert capfd.readouterr().err == ""
