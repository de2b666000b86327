"""The paper record on the generated site (issue 16): every row of the seed's paper-detail
page, escaped outside text, institution pages, institutions in the research map."""

from __future__ import annotations

from kbtest import make_paper, put

from kb.core import citations, comments, paper_links
from kb.core.institutions import record_affiliations
from kb.models import Author
from kb.site.data import gather
from kb.site.generate import generate
from kb.site.paper_record import SLICE_CAPS, SLICE_RIGHT, map_slice, slice_nodes
from kb.store.enrichment import put_summary


def test_paper_page_shows_the_record(tmp_kb, tmp_path):
    put(tmp_kb, make_paper(),
        make_paper(arxiv_id="1705.07115", title="Uncertainty weighting",
                   authors=[Author(first="Alex", last="Kendall")], year=2018))
    evil = '<script>alert("x")</script> **bold** [l](javascript:x)'
    a = comments.add_comment(tmp_kb, "ruder2017overview", "old thread " + evil)
    comments.add_comment(tmp_kb, "ruder2017overview", "a reply", reply_to=a.id)
    comments.add_comment(tmp_kb, "ruder2017overview", "new thread")
    paper_links.change_links(tmp_kb, "ruder2017overview", code=["https://example.org/code"],
                             datasets=['Toy "set"=https://example.org/d?a=1&b=2'])
    citations.cite(tmp_kb, "kendall2018uncertainty", ["ruder2017overview"])
    with tmp_kb.write() as db:
        record_affiliations(db, "ruder2017overview",
                            {"Sebastian Ruder": ["Insight <Centre>"]}, "arxiv")
        put_summary(db, "ruder2017overview", "Our words & summary <i>.", "somewhere")
    docs = tmp_path / "docs"
    generate(tmp_kb, docs)

    page = (docs / "papers" / "ruder2017overview.md").read_text(encoding="utf-8")
    assert "<script>" not in page and "javascript:x" not in page
    assert "&#60;script&#62;" in page
    assert "Our words &#38; summary &#60;i&#62;." in page
    assert "<b>Open access</b>Access (arXiv)</span>" in page
    for row in ("Cited by in this KB", "References in this KB", "Code", "Datasets",
                "Institutions", "Comments", "Citations"):
        assert f"{row}</span>" in page, row
    assert "Cited by 1 in this KB." in page
    assert 'href="../papers/kendall2018uncertainty.html"' in page  # future reading
    assert 'class="md-button" href="https&#58;//example.org/code"' in page
    assert "Dataset&#58; Toy &#34;set&#34;" in page
    assert 'href="../institutions/insight-centre.html"' in page
    assert 'href="../map.html#paper=ruder2017overview">Open the full research map' in page
    # one map on the page: the slice (its citing paper and institution drawn as links)
    assert page.count("<svg") == 1 and 'aria-label="Research map slice"' in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'href="../papers/kendall2018uncertainty.html"' in svg
    assert 'href="../institutions/insight-centre.html"' in svg
    assert "<script" not in svg and "Insight &#60;Centre&#62;" in svg
    # Newest thread first, the reply under its comment.
    assert page.index("new thread") < page.index("old thread") < page.index("a reply")
    assert "## Discussion (3 comment(s))" in page

    inst = (docs / "institutions" / "insight-centre.md").read_text(encoding="utf-8")
    assert "Insight &#60;Centre&#62;" in inst and "ruder2017overview.html" in inst
    assert "insight-centre.html" in (docs / "institutions.md").read_text(encoding="utf-8")
    assert 'href="institutions/insight-centre.html"' in (docs / "map.md").read_text(
        encoding="utf-8")
    other = (docs / "papers" / "kendall2018uncertainty.md").read_text(encoding="utf-8")
    assert "Code&#58; reproduction kendall-uncertainty" in other
    assert "No discussion yet." in other


def test_a_long_discussion_stays_out_of_the_search_text(tmp_kb, tmp_path):
    put(tmp_kb, make_paper())
    for i in range(5):
        comments.add_comment(tmp_kb, "ruder2017overview", f"comment {i} " + "word " * 500)
    generate(tmp_kb, tmp_path / "docs")
    page = (tmp_path / "docs" / "papers" / "ruder2017overview.md").read_text(encoding="utf-8")
    assert "## Discussion (5 comment(s)) { data-search-exclude }" in page
    assert "<div data-search-exclude>\n<div class=\"mtlkb-note mtlkb-comment\"" in page


def test_the_site_search_index_finds_a_paper_by_its_record(tmp_kb):
    """The built site's prebuilt index (what its search box reads) holds our summary, the
    reviews and a short discussion, each under the paper's page."""
    import json

    from kb.core.social import add_review
    from kb.site.build import build_site

    put(tmp_kb, make_paper())
    with tmp_kb.write() as db:
        put_summary(db, "ruder2017overview", "Surveys the quokka family of methods.", None)
    comments.add_comment(tmp_kb, "ruder2017overview", "A wombat of a comment.")
    add_review(tmp_kb, "ruder2017overview", strength="numbat figures")
    build_site(tmp_kb)
    raw = json.loads((tmp_kb.root / "site" / "search" / "search_index.json").read_text(
        encoding="utf-8"))
    packed = json.loads(raw["config"]["mtlkb"])
    docs, terms = packed["docs"], packed["terms"]

    def pages(term: str) -> set[str]:
        ids, v = [], 0
        for part in filter(None, packed["text"][terms.index(term)].split(".")):
            v += int(part)
            ids.append(v)
        return {docs[i][0] for i in ids}

    page = "papers/ruder2017overview.html"
    assert pages("quokka") == {f"{page}#summary"}
    assert [p.split("#")[1][:10] for p in pages("wombat")] == ["discussion"]
    assert {p.split("#")[0] for p in pages("wombat")} == {page}
    assert pages("numbat") == {f"{page}#structured-reviews"}


def test_map_slice_gathers_every_kind_and_caps_the_columns(tmp_kb):
    """One slice: topics, authors (by their shown names), institutions, the papers it cites
    and that cite it, then its nearest papers; each column capped, the legend counting all."""
    many = [Author(first=f"A{i}", last=f"Person{i}") for i in range(12)]
    put(tmp_kb, make_paper(key="hub2020", arxiv_id=None, title="The hub",
                           authors=[Author(first="小明", last="王"), *many],
                           topics=["optimization/loss-weighting"]),
        *[make_paper(key=f"ref{i:02d}", arxiv_id=None, title=f"Reference {i}",
                     topics=["optimization/loss-weighting"]) for i in range(15)],
        *[make_paper(key=f"cit{i:02d}", arxiv_id=None, title=f"Citing {i}") for i in range(15)],
        make_paper(key="near2021", arxiv_id=None, title="Near", authors=many[:1]))
    citations.cite(tmp_kb, "hub2020", [f"ref{i:02d}" for i in range(15)])
    for i in range(15):
        citations.cite(tmp_kb, f"cit{i:02d}", ["hub2020"])
    with tmp_kb.write() as db:
        record_affiliations(db, "hub2020", {"A0 Person0": ["Lab X"]}, "arxiv")
    data = gather(tmp_kb)
    hub = data.by_key["hub2020"]
    nodes, counts = slice_nodes(data, hub, ["ref03", "near2021"], "../")
    assert counts == {"topic": 1, "author": 13, "institution": 1, "cited": 15, "citing": 15,
                      "related": 1}  # ref03 is drawn as cited, not again as nearest
    kinds = [n.kind for n in nodes]
    assert kinds.count("author") == SLICE_CAPS["author"]
    assert nodes[kinds.index("author")].name == "王小明"
    right = [n for n in nodes if n.kind in ("cited", "citing", "related")]
    assert len(right) == SLICE_RIGHT and kinds.count("cited") == kinds.count("citing")
    assert "related" not in kinds  # no room left by the citations
    ref = next(n for n in nodes if n.kind == "cited")
    assert ref.href == "../papers/ref00.html"
    assert ref.shares == ("topic:optimization/loss-weighting",)  # a dashed line to the topic

    html = map_slice(data, hub, "../", ["near2021"])
    assert "13&nbsp;authors (8 drawn)" in html and "15&nbsp;papers citing it (9 drawn)" in html
    assert html.count('marker-end="url(#mtlkb-arrow)"') == SLICE_RIGHT
    alone = map_slice(data, data.by_key["near2021"], "../")
    assert "1&nbsp;author" in alone and 'href="../map.html#paper=near2021"' in alone
