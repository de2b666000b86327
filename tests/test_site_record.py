"""The paper record on the generated site (issue 16): every row of the seed's paper-detail
page, escaped outside text, institution pages, institutions in the research map."""

from __future__ import annotations

from kbtest import make_paper, put

from kb.core import citations, comments, paper_links
from kb.core.institutions import record_affiliations
from kb.models import Author
from kb.site.generate import generate
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
    assert 'href="../map.html">Open the full research map' in page
    assert 'aria-label="Research map slice"' in page
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
