"""The DOI source: Crossref's ``/works/{doi}`` answers -> papers, and ``mtlkb add DOI`` end to
end (in-process) against a local Crossref stand-in on 127.0.0.1 (``$MTLKB_CROSSREF_API``),
with the arXiv stand-in beside it for mixed references."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from arxiv_server import ArxivServer, free_port
from crossref_server import FIXTURES, CrossrefServer
from kbtest import run_cli

from kb.config import KBError
from kb.sources.base import FetchOptions
from kb.sources.crossref_source import (
    CrossrefFetchError,
    CrossrefSource,
    fetch,
    paper_from_work,
    parse_doi,
)
from kb.sources.registry import match_refs

CVPR = "10.1109/CVPR.2018.00781"


# -- matching ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ref, doi", [
    (CVPR, CVPR),
    (f"https://doi.org/{CVPR}", CVPR),
    (f"http://dx.doi.org/{CVPR}", CVPR),
    (f"doi:{CVPR}", CVPR),
    ("https://doi.org/10.1023/A%3A1007379606734", "10.1023/A:1007379606734"),
    ("10.1109", None), ("1705.07115", None), ("10.1109/ CVPR", None), ("doi.org", None),
])
def test_parse_doi(ref, doi):
    assert parse_doi(ref) == doi


def test_each_reference_goes_to_its_source():
    matched = match_refs(["1705.07115", f"https://doi.org/{CVPR}", "10.48550/arXiv.2009.09796",
                          CVPR.lower()])
    assert [(s.name, i) for s, i in matched] == [
        ("arXiv", "1705.07115"), ("Crossref", CVPR), ("arXiv", "2009.09796"),
        ("Crossref", CVPR.lower()),
    ]
    with pytest.raises(KBError, match=r"not an arXiv id or DOI: 'x/y', '10\.1/'"):
        match_refs(["1705.07115", "x/y", "10.1/"])


# -- records ----------------------------------------------------------------------------------
def _message(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["message"]


def test_recorded_journal_article():
    p = paper_from_work(_message("10.17705_1cais.04607.json"), "10.17705/1CAIS.04607")
    assert p.title.startswith("A Knowledge Development Perspective on Literature Reviews")
    assert p.entry_type == "article" and p.source == "crossref"
    assert p.venue == "Communications of the Association for Information Systems"
    assert (p.year, p.month) == (2021, None)
    assert p.doi == "10.17705/1cais.04607" and p.url == "https://doi.org/10.17705/1cais.04607"
    names = [(a.first, a.last) for a in p.authors]
    assert names[:3] == [("Guido", "Schryen"), ("", "Paderborn University"), ("Gerit", "Wagner")]
    assert ("Guy", "Paré") in names and ("", "HEC Montréal") in names
    assert p.fields == {"pages": "134–186", "volume": "49", "number": "1",
                        "publisher": "Association for Information Systems",
                        "issn": "1529-3181"}


def test_proceedings_article_jats_abstract_and_subtitle():
    p = paper_from_work(_message("10.1109_cvpr.2018.00781.json"), CVPR)
    assert (p.entry_type, p.year, p.month) == ("inproceedings", 2018, 6)
    assert p.venue == "2018 IEEE/CVF Conference on Computer Vision and Pattern Recognition"
    assert p.fields["pages"] == "7482–7491" and p.fields["isbn"] == "9781538664209"
    made_up = {"title": ["Main"], "subtitle": ["A Sub"], "type": "posted-content",
               "abstract": "<jats:title>Abstract</jats:title><jats:p>One &amp; <jats:italic>two"
                           "</jats:italic>.</jats:p>", "DOI": "10.48550/arXiv.2009.09796"}
    q = paper_from_work(made_up, "x")
    assert q.title == "Main: A Sub" and q.abstract == "One & two ." and q.entry_type == "misc"
    assert q.arxiv_id == "2009.09796"  # arXiv's own DOI names the preprint
    with pytest.raises(ValueError, match="no title"):
        paper_from_work({"title": []}, "x")


# -- fetching ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crossref():
    with CrossrefServer() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset(crossref):
    crossref.serve_works()
    crossref.requests.clear()


def _opts(server, **kw) -> FetchOptions:
    return FetchOptions(timeout=kw.pop("timeout", 5), endpoint=server.url, **kw)


def test_fetch_sends_the_polite_pool_contact(crossref):
    (p,) = CrossrefSource().fetch([CVPR], _opts(crossref, mailto="me@example.org"))
    assert p.doi == CVPR.lower()
    (req,) = crossref.requests
    assert req["path"] == f"/works/{CVPR}"
    assert req["query"] == {"mailto": "me@example.org"}
    assert "mailto:me@example.org" in req["headers"]["User-Agent"]
    crossref.requests.clear()
    fetch([CVPR], _opts(crossref))
    assert crossref.requests[0]["query"] == {}


@pytest.mark.parametrize("status, body, ctype, headers, fragments", [
    (429, "Too many requests", "text/plain",
     {"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"},
     ["HTTP 429", "rate-limiting, limit 50 per 1s", "mailto"]),
    (503, "<html>down</html>", "text/html", {}, ["HTTP 503 from 127.0.0.1"]),
    (500, "", "text/plain", {}, ["HTTP 500"]),
    (200, "<html>a login page</html>", "text/html", {}, ["not JSON (text/html"]),
    (200, '{"status":"ok","message-type":"work-list","message":{"items":[]}}',
     "application/json", {}, ["not a Crossref work"]),
    (200, '{"status":"ok","message-type":"work","message":{"title":[]}}',
     "application/json", {}, ["no title"]),
])
def test_bad_answers_are_one_error(crossref, status, body, ctype, headers, fragments):
    crossref.answer(status, body, ctype, headers)
    with pytest.raises(CrossrefFetchError) as info:
        fetch([CVPR], _opts(crossref))
    text = str(info.value)
    assert text.startswith(f"could not fetch {CVPR} from Crossref: ") and "\n" not in text
    for fragment in fragments:
        assert fragment in text


def test_unknown_doi_hang_and_offline(crossref):
    with pytest.raises(CrossrefFetchError, match=r"^not found on Crossref: 10\.5555/nothing$"):
        fetch(["10.5555/nothing"], _opts(crossref))
    crossref.hang()
    start = time.monotonic()
    with pytest.raises(CrossrefFetchError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.5 s"):
        fetch([CVPR], _opts(crossref, timeout=0.5))
    assert time.monotonic() - start < 5
    dead = FetchOptions(timeout=2, endpoint=f"http://127.0.0.1:{free_port()}/works")
    with pytest.raises(CrossrefFetchError, match="cannot connect to 127.0.0.1"):
        fetch([CVPR], dead)


# -- mtlkb add, end to end ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def arxiv():
    with ArxivServer() as s:
        yield s


@pytest.fixture(scope="module")
def _template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("template") / "kb"
    assert run_cli(None, "--kb", str(root), "init").returncode == 0
    config = root / "mtlkb.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "timeout = 20", "timeout = 20\nretry_delay = 0.05") + "\n[crossref]\nmailto = "
        "\"kb@example.org\"\ntimeout = 5\n", encoding="utf-8")
    return root


@pytest.fixture
def kb_dir(_template, tmp_path) -> Path:
    return Path(shutil.copytree(_template, tmp_path / "kb"))


def mtlkb(kb: Path, *args: str, arxiv, crossref):
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy that is not there: 127.0.0.1 only
    env = {"NO_PROXY": None, "no_proxy": None, "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "http_proxy": dead, "https_proxy": dead, "MTLKB_ARXIV_API": arxiv.url,
           "MTLKB_CROSSREF_API": crossref.url}
    return run_cli(kb, *args, env=env, timeout=60)


def _papers(kb: Path) -> list[dict]:
    from kb.config import KB
    from kb.store.papers import list_papers

    store = KB(kb)
    try:
        return [p.model_dump() for p in list_papers(store.db)]
    finally:
        store.close()


def test_add_doi_and_doi_url(kb_dir, arxiv, crossref):
    r = mtlkb(kb_dir, "add", f"https://doi.org/{CVPR}", "10.17705/1CAIS.04607", "--json",
              arxiv=arxiv, crossref=crossref)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(o["doi"], o["source"], o["action"], o["arxiv_id"]) for o in out] == [
        (CVPR.lower(), "Crossref", "added", None),
        ("10.17705/1cais.04607", "Crossref", "added", None),
    ]
    assert [q["query"]["mailto"] for q in crossref.requests] == ["kb@example.org"] * 2
    assert arxiv.requests == []
    papers = {p["doi"]: p for p in _papers(kb_dir)}
    cvpr = papers[CVPR.lower()]
    assert cvpr["entry_type"] == "inproceedings" and cvpr["source"] == "crossref"
    assert cvpr["fields"]["pages"] == "7482–7491"
    note = kb_dir / "notes" / f"{out[0]['key']}.md"
    assert f"@inproceedings{{{out[0]['key']}," in note.read_text(encoding="utf-8")


def test_add_mixed_arxiv_and_doi(kb_dir, arxiv, crossref):
    r = mtlkb(kb_dir, "add", "1706.05098", CVPR, "--no-note", arxiv=arxiv, crossref=crossref)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2
    assert [len(q["id_list"]) for q in arxiv.requests] == [1] and len(crossref.requests) == 1
    papers = _papers(kb_dir)
    assert any(p["arxiv_id"] == "1706.05098" for p in papers)
    assert any(p["doi"] == CVPR.lower() for p in papers)


@pytest.mark.parametrize("mode, fragment", [
    ("404", "not found on Crossref: 10.5555/nothing"),
    ("429", "HTTP 429"),
    ("503", "HTTP 503"),
    ("hang", "no answer"),
    ("malformed", "not JSON"),
    ("offline", "cannot connect"),
])
def test_failures_are_one_line_and_change_nothing(kb_dir, arxiv, crossref, mode, fragment):
    r = mtlkb(kb_dir, "add", "1706.05098", "--no-note", arxiv=arxiv, crossref=crossref)
    assert r.returncode == 0, r.stderr
    before = _papers(kb_dir)
    doi = "10.5555/nothing" if mode == "404" else CVPR
    if mode in ("429", "503"):
        crossref.answer(int(mode), "busy", "text/plain")
    elif mode == "hang":
        crossref.hang()
    elif mode == "malformed":
        crossref.answer(200, "{not json", "application/json")
    args = ["add", "2009.09796", doi, "--timeout", "1"]
    if mode == "offline":
        dead = f"http://127.0.0.1:{free_port()}/works"
        r = run_cli(kb_dir, *args, env={"MTLKB_ARXIV_API": arxiv.url,
                                        "MTLKB_CROSSREF_API": dead, "HTTP_PROXY": None,
                                        "HTTPS_PROXY": None, "http_proxy": None,
                                        "https_proxy": None})
    else:
        r = mtlkb(kb_dir, *args, arxiv=arxiv, crossref=crossref)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert _papers(kb_dir) == before  # 2009.09796 was fetched, yet nothing was written
    assert not (kb_dir / "notes" / "crawshaw2020multi.md").exists()


def test_bad_mailto_is_refused_before_any_request(kb_dir, arxiv, crossref):
    config = kb_dir / "mtlkb.toml"
    config.write_text(config.read_text().replace('"kb@example.org"', '"nobody"'))
    r = mtlkb(kb_dir, "add", CVPR, arxiv=arxiv, crossref=crossref)
    assert r.returncode != 0 and "[crossref] mailto must be an e-mail address" in r.stderr
    assert crossref.requests == []
