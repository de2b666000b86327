"""A preprint and its published version are one paper with two versions; `mtlkb merge` and
`mtlkb split` are the user's last word (issue 15)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from kbtest import make_paper, put, run_cli

from kb.config import KB
from kb.models import Author, Paper
from kb.store.versions import combine, rebuild, version_kind, versions_of

FIXTURES = Path(__file__).parent / "fixtures" / "bib"
VERSIONS = FIXTURES / "versions.bib"
PREPRINT, PUBLISHED = "kendall2017multi", "kendall2018multi"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "kb"
    home.mkdir()
    assert run_cli(home, "init", cwd=home).returncode == 0
    return home


def _import(home: Path, *files: Path):
    r = run_cli(home, "import", *map(str, files), cwd=home)
    assert r.returncode == 0, r.stderr
    return r


def _show(home: Path, ref: str) -> dict:
    r = run_cli(home, "show", ref, "--json", cwd=home)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _rows(home: Path) -> dict[str, tuple]:
    kb = KB(home)
    try:
        rows = kb.db.conn.execute(
            "SELECT key, modified_at, year, doi, arxiv_id, fields, bibtex FROM papers")
        return {r[0]: r[1:] for r in rows}
    finally:
        kb.close()


def _table(home: Path, table: str) -> list[tuple]:
    kb = KB(home)
    try:
        return kb.db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        kb.close()


# -- kinds and the combining rule ---------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        (dict(venue="arXiv preprint arXiv:1705.07115"), "preprint"),
        (dict(venue="CoRR"), "preprint"),
        (dict(arxiv_id="1705.07115"), "preprint"),
        (dict(arxiv_id="1705.07115", doi="10.1109/x", source="arxiv"), "preprint"),
        (dict(doi="10.48550/arXiv.1705.07115"), "record"),
        (dict(doi="10.1109/CVPR.2018.00781"), "published"),
        (dict(venue="CVPR", arxiv_id="1705.07115"), "published"),
        (dict(), "record"),
    ],
)
def test_version_kind(fields, kind) -> None:
    assert version_kind(Paper(title="T", **fields)) == kind


def test_combine_cites_the_published_version_and_copies_no_fields_across() -> None:
    pre = Paper(key="pre", title="T", year=2017, arxiv_id="1705.07115", venue="arXiv",
                entry_type="article", abstract="A", fields={"note": "preprint"}, topics=["x"])
    pub = Paper(key="pub", title="T.", year=2018, venue="CVPR", doi="10.1/cvpr",
                entry_type="inproceedings", fields={"pages": "1--9", "editor": "E"},
                topics=["y"])
    row = combine(pre, "preprint", pub, "published")
    assert (row.key, row.year, row.venue, row.entry_type, row.doi, row.arxiv_id) == (
        "pre", 2018, "CVPR", "inproceedings", "10.1/cvpr", "1705.07115")
    assert row.fields == pub.fields and row.abstract == "A" and row.topics == ["x", "y"]
    # the other way round: the published row stays, gains the eprint, not the preprint's fields
    row = combine(pub, "published", pre, "preprint")
    assert (row.key, row.year, row.venue, row.arxiv_id) == ("pub", 2018, "CVPR", "1705.07115")
    assert row.fields == pub.fields and row.abstract == "A"
    # a split rebuilds the row from the records that remain
    from kb.models import PaperVersion

    alone = rebuild([PaperVersion(key="pre", kind="preprint", record=pre)], "pre", ["x"])
    assert alone == pre


# -- preprint + published through the CLI -------------------------------------------------
def test_preprint_and_published_version_are_one_paper_with_two_versions(home: Path) -> None:
    r = _import(home, VERSIONS)
    assert (f"'{PUBLISHED}' merged into '{PREPRINT}' (a preprint of 2017 and its published "
            "version of 2018: same title and authors); kept as its published version, which "
            "the paper is now cited as") in r.stdout
    assert "2 entries read from 1 file(s): 1 added, 1 merged, 0 error(s)" in r.stdout
    a, b = _show(home, PREPRINT), _show(home, PUBLISHED)
    assert a == b  # both keys resolve to the one paper
    assert (a["key"], a["year"], a["doi"], a["arxiv_id"]) == (
        PREPRINT, 2018, "10.1109/cvpr.2018.00781", "1705.07115")
    assert a["aliases"] == [PUBLISHED]
    versions = {v["key"]: v for v in a["versions"]}
    assert (versions[PREPRINT]["kind"], versions[PREPRINT]["year"],
            versions[PREPRINT]["arxiv_id"], versions[PREPRINT]["doi"]) == (
        "preprint", 2017, "1705.07115", None)
    assert (versions[PUBLISHED]["kind"], versions[PUBLISHED]["year"],
            versions[PUBLISHED]["doi"], versions[PUBLISHED]["pages"]) == (
        "published", 2018, "10.1109/cvpr.2018.00781", "7482–7491")
    for ref in ("1705.07115", "10.1109/CVPR.2018.00781", "https://doi.org/10.1109/cvpr.2018.00781"):
        assert _show(home, ref)["key"] == PREPRINT
    text = run_cli(home, "show", PUBLISHED, cwd=home).stdout
    assert f"also cited as: {PUBLISHED}" in text and f"version {PREPRINT} (preprint)" in text


def test_export_cites_the_published_version_with_the_eprint_kept(home: Path) -> None:
    _import(home, VERSIONS)
    out = run_cli(home, "export", cwd=home).stdout
    assert out.startswith(f"@inproceedings{{{PREPRINT},")
    for line in ("booktitle = {2018 IEEE/CVF Conference on Computer Vision and Pattern "
                 "Recognition}", "pages     = {7482--7491}", "year      = {2018}",
                 "doi       = {10.1109/CVPR.2018.00781}", "eprint = {1705.07115}",
                 "archivePrefix = {arXiv}", f"ids = {{{PUBLISHED}}}"):
        assert line in out
    assert "journal" not in out  # the preprint's "arXiv preprint" venue is not mixed in


def test_published_first_then_preprint(home: Path, tmp_path: Path) -> None:
    text = VERSIONS.read_text(encoding="utf-8")
    first, second = text.split("\n\n@inproceedings")
    swapped = tmp_path / "swapped.bib"
    swapped.write_text("@inproceedings" + second + "\n\n" + first, encoding="utf-8")
    r = _import(home, swapped)
    assert f"'{PREPRINT}' merged into '{PUBLISHED}'" in r.stdout
    assert "kept as a preprint version" in r.stdout
    paper = _show(home, PREPRINT)
    assert (paper["key"], paper["year"], paper["venue"], paper["arxiv_id"]) == (
        PUBLISHED, 2018, "2018 IEEE/CVF Conference on Computer Vision and Pattern Recognition",
        "1705.07115")
    assert "eprint = {1705.07115}" in run_cli(home, "export", cwd=home).stdout


def test_reimport_of_an_unchanged_file_rewrites_nothing(home: Path) -> None:
    _import(home, VERSIONS, FIXTURES / "identity.bib", FIXTURES / "same_paper.bib")
    kb = KB(home)
    with kb.write() as db:  # a stamp no rewrite could give (they are taken to the second)
        db.conn.execute("UPDATE papers SET modified_at = '2000-01-01T00:00:00+00:00'")
    kb.close()
    before = (_rows(home), _table(home, "paper_versions"), _table(home, "paper_aliases"))
    r = _import(home, VERSIONS, FIXTURES / "identity.bib", FIXTURES / "same_paper.bib")
    assert " 0 added," in r.stdout and "may be the same" not in r.stdout
    assert "already kept as its published version, nothing changed" in r.stdout
    after = (_rows(home), _table(home, "paper_versions"), _table(home, "paper_aliases"))
    assert after == before  # not one modified_at, version or alias rewritten


def test_a_record_merged_by_doi_keeps_its_own_fields(tmp_kb: KB) -> None:
    a = make_paper(key="a", arxiv_id=None, doi="10.1/x", venue="J. MTL", entry_type="article",
                   fields={"pages": "1--10", "volume": "3"})
    b = make_paper(key="b", arxiv_id=None, doi="10.1/x", venue="J. MTL", entry_type="article",
                   fields={"pages": "1-10", "editor": "Someone Else", "note": "reprint"})
    r1, r2 = put(tmp_kb, a, b)
    assert (r2.key, r2.action, r2.version) == ("a", "merged", "published")
    from kb.store.papers import get_paper

    stored = get_paper(tmp_kb.db, "b")
    assert stored is not None and stored.key == "a"
    assert stored.fields == {"pages": "1--10", "volume": "3"}  # nothing of b's copied in
    kept = {v.key: v.record for v in versions_of(tmp_kb.db, "a")}
    assert kept["b"].fields == b.fields and kept["a"].fields == a.fields


# -- merge and split ----------------------------------------------------------------------
def test_split_then_reimport_keeps_them_apart_and_merge_joins_them(home: Path) -> None:
    _import(home, VERSIONS)
    assert run_cli(home, "tag", PUBLISHED, "uncertainty", cwd=home).returncode == 0
    r = run_cli(home, "split", PUBLISHED, cwd=home)
    assert r.returncode == 0, r.stderr
    assert f"split '{PUBLISHED}' off '{PREPRINT}'" in r.stdout
    pre, pub = _show(home, PREPRINT), _show(home, PUBLISHED)
    assert (pre["key"], pre["year"], pre["doi"], pre["arxiv_id"], pre["versions"]) == (
        PREPRINT, 2017, None, "1705.07115", [])
    assert (pub["key"], pub["year"], pub["doi"], pub["arxiv_id"]) == (
        PUBLISHED, 2018, "10.1109/cvpr.2018.00781", None)
    assert pre["aliases"] == [] and pub["aliases"] == []
    assert pre["topics"] == ["uncertainty"]  # the tag was the paper's: it stays with it
    # the user's last word: importing both again does not merge them
    before = _rows(home)
    again = _import(home, VERSIONS)
    assert "merged into" not in again.stdout
    assert "0 added, 2 merged (2 already in the KB)" in again.stdout
    assert _rows(home) == before
    # ... and a merge by hand makes them one paper again, links and all
    assert run_cli(home, "save", PUBLISHED, cwd=home).returncode == 0
    assert run_cli(home, "tag", PUBLISHED, "cvpr", cwd=home).returncode == 0
    m = run_cli(home, "merge", PREPRINT, PUBLISHED, cwd=home)
    assert m.returncode == 0, m.stderr
    assert f"merged '{PUBLISHED}' into '{PREPRINT}' (cited as its published version" in m.stdout
    paper = _show(home, PUBLISHED)
    assert (paper["key"], paper["year"], paper["doi"], paper["arxiv_id"]) == (
        PREPRINT, 2018, "10.1109/cvpr.2018.00781", "1705.07115")
    assert sorted(paper["topics"]) == ["cvpr", "uncertainty"]
    assert paper["social"]["saved"]  # saved under the merged-away key
    assert [v["key"] for v in paper["versions"]] == [PREPRINT, PUBLISHED]
    assert set(_rows(home)) == {PREPRINT}


def test_merge_and_split_refuse_bad_input_with_one_line(home: Path) -> None:
    _import(home, VERSIONS)
    before = (_rows(home), _table(home, "paper_versions"), _table(home, "paper_aliases"))
    for args, message in [
        (("split", PREPRINT), f"error: '{PREPRINT}' is the paper's own key; split one of the "
                              f"keys merged into it: {PUBLISHED}"),
        (("split", "nobody2020"), "error: 'nobody2020' is not a key merged into another paper"),
        (("merge", PREPRINT, PUBLISHED), f"error: '{PREPRINT}' and '{PUBLISHED}' are already "
                                         f"one paper ('{PREPRINT}')"),
        (("merge", PREPRINT, "nobody2020"), "error: no paper 'nobody2020'"),
    ]:
        r = run_cli(home, *args, cwd=home)
        assert r.returncode == 1 and r.stderr.strip() == message, (args, r.stderr)
    after = (_rows(home), _table(home, "paper_versions"), _table(home, "paper_aliases"))
    assert after == before


def test_merge_by_hand_of_two_unrelated_records_and_split_restores_both(home: Path) -> None:
    _import(home, FIXTURES / "identity.bib")
    assert run_cli(home, "note", "issue-b", cwd=home).returncode == 0
    note = home / "notes" / "issue-b.md"
    text = note.read_text(encoding="utf-8")
    before = _show(home, "issue-b")
    r = run_cli(home, "merge", "issue-a", "issue-b", cwd=home)
    assert r.returncode == 0, r.stderr
    assert "note notes/issue-b.md is left as it is" in r.stderr
    assert note.read_text(encoding="utf-8") == text  # a user's note is never touched
    merged = _show(home, "issue-b")
    assert merged["key"] == "issue-a" and merged["aliases"] == ["issue-b"]
    assert run_cli(home, "split", "issue-b", cwd=home).returncode == 0
    back = _show(home, "issue-b")
    for field in ("key", "title", "authors", "year", "venue", "doi", "entry_type"):
        assert back[field] == before[field]
    assert _show(home, "issue-a")["versions"] == []


# -- the site -----------------------------------------------------------------------------
def test_the_site_redirects_a_merged_away_key_to_the_paper(home: Path) -> None:
    from kb.site.generate import generate

    _import(home, VERSIONS)
    kb = KB(home)
    try:
        stats = generate(kb, home / "docs")
    finally:
        kb.close()
    page = (home / "docs" / "papers" / f"{PUBLISHED}.html").read_text(encoding="utf-8")
    assert f'<script>location.replace("{PREPRINT}.html" + location.hash)</script>' in page
    assert f'<a href="{PREPRINT}.html">{PREPRINT}</a>' in page
    assert "http-equiv" not in page  # no page of the site refreshes (test_site_security)
    assert (home / "docs" / "papers" / f"{PREPRINT}.md").is_file()
    assert f"papers/{PUBLISHED}.html" in stats.written
    # the paper's page lists both versions, each with its identifiers and key
    md = (home / "docs" / "papers" / f"{PREPRINT}.md").read_text(encoding="utf-8")
    versions = html.unescape(md[md.index('class="mtlkb-versions"'):md.index("## Abstract")])
    assert "preprint: 2017" in versions and "arXiv:1705.07115" in versions
    assert "published: 2018" in versions and "doi:10.1109/cvpr.2018.00781" in versions.lower()
    assert f"<code>{PREPRINT}</code>" in versions and f"<code>{PUBLISHED}</code>" in versions


def test_authors_of_other_kind_keep_a_title_year_pair_apart(tmp_kb: KB) -> None:
    """Same title, years two apart, but other authors: not one paper's two versions."""
    pre = make_paper(key="pre", year=2017, venue="arXiv preprint")
    pub = make_paper(key="pub", year=2018, arxiv_id=None, venue="ICML",
                     authors=[Author(first="Someone", last="Else")])
    r1, r2 = put(tmp_kb, pre, pub)
    assert r2.action == "added" and r2.key == "pub"


def test_an_edited_version_imported_again_changes_only_its_paper(home: Path, tmp_path: Path
                                                                  ) -> None:
    _import(home, VERSIONS, FIXTURES / "same_paper.bib")
    before = _rows(home)
    edited = tmp_path / "edited.bib"
    edited.write_text(VERSIONS.read_text(encoding="utf-8").replace("7482--7491", "7482--7492"),
                      encoding="utf-8")
    r = _import(home, edited)
    assert "kept as a published version" in r.stdout
    after = _rows(home)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {PREPRINT}  # only the edited paper changed
    paper = _show(home, PUBLISHED)
    assert [v["pages"] for v in paper["versions"]] == [None, "7482–7492"]
    kb = KB(home)
    try:
        from kb.store.papers import get_paper

        stored = get_paper(kb.db, PREPRINT)
        assert stored is not None and stored.fields["pages"] == "7482–7492"
    finally:
        kb.close()


def test_the_redirect_lands_on_the_paper_in_chromium(home: Path) -> None:
    """The built site, from file:// in headless Chromium: the merged-away key's page opens
    the paper's page."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed")
    pytest.importorskip("mkdocs")
    from kb.site.build import build_site

    _import(home, VERSIONS)
    kb = KB(home)
    try:
        site = build_site(kb).site_dir
    finally:
        kb.close()
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--virtual-time-budget=3000", "--dump-dom",
         (site / "papers" / f"{PUBLISHED}.html").as_uri()],
        capture_output=True, text=True, timeout=60).stdout
    assert "<title>Multi-task Learning Using Uncertainty to Weigh Losses" in dom
    assert "Redirecting" not in dom


@pytest.mark.parametrize("order", ["import-then-add", "add-then-import"])
def test_an_arxiv_add_and_a_bibtex_import_of_one_paper(home: Path, tmp_path: Path, order: str
                                                       ) -> None:
    """arXiv 1705.07115 through the real client (a local server) and the CVPR BibTeX entry,
    in either order: one paper cited as the CVPR version, the arXiv record one of its
    versions; adding again changes nothing."""
    from arxiv_server import ArxivServer, free_port

    cvpr = tmp_path / "cvpr.bib"
    cvpr.write_text("@inproceedings" + VERSIONS.read_text(encoding="utf-8").split(
        "@inproceedings")[1], encoding="utf-8")
    dead = f"http://127.0.0.1:{free_port()}"
    with ArxivServer() as server:
        env = {"MTLKB_ARXIV_API": server.url, "NO_PROXY": None, "no_proxy": None,
               "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead}

        def add():
            r = run_cli(home, "add", "1705.07115", "--no-note", env=env, cwd=home)
            assert r.returncode == 0, r.stderr

        if order == "import-then-add":
            _import(home, cvpr)
            add()
        else:
            add()
            _import(home, cvpr)
        before = _rows(home)
        add()
        assert _rows(home) == before
    (paper,) = [_show(home, ref) for ref in ("1705.07115",)]
    assert _show(home, PUBLISHED)["key"] == paper["key"]
    assert (paper["year"], paper["doi"], paper["arxiv_id"], paper["entry_type"]) == (
        2018, "10.1109/cvpr.2018.00781", "1705.07115", "inproceedings")
    assert paper["title"].startswith("Multi-task Learning")  # the CVPR title, not arXiv's
    assert paper["abstract"]  # arXiv's abstract fills what the BibTeX entry lacked
    kinds = sorted(v["kind"] for v in paper["versions"])
    assert kinds == ["preprint", "published"]
    assert len(_rows(home)) == 1
    assert "eprint = {1705.07115}" in run_cli(home, "export", cwd=home).stdout


def test_splitting_a_record_that_shares_the_arxiv_id_says_who_keeps_it(home: Path) -> None:
    _import(home, FIXTURES / "identity.bib")
    assert _show(home, "kendall-dup")["key"] == "kendall-real"
    r = run_cli(home, "split", "kendall-dup", cwd=home)
    assert r.returncode == 0, r.stderr
    assert ("split 'kendall-dup' off 'kendall-real': two papers, never merged again "
            "automatically (arXiv id 1705.07115 stays with 'kendall-real')") in r.stdout
    dup, real = _show(home, "kendall-dup"), _show(home, "kendall-real")
    assert (dup["key"], dup["arxiv_id"], real["arxiv_id"]) == (
        "kendall-dup", None, "1705.07115")
    assert _show(home, "1705.07115")["key"] == "kendall-real"


def test_merge_moves_collections_reviews_and_votes(home: Path) -> None:
    _import(home, FIXTURES / "identity.bib")
    for args in (("collection", "add", "to read", "issue-b"), ("vote", "issue-b", "up"),
                 ("review", "issue-b", "--strength", "clear"),
                 ("collection", "add", "to read", "issue-a")):
        r = run_cli(home, *args, cwd=home)
        assert r.returncode == 0, (args, r.stderr)
    assert run_cli(home, "merge", "issue-a", "issue-b", cwd=home).returncode == 0
    social = _show(home, "issue-a")["social"]
    assert social["vote"] == 1
    assert [c for c in social["collections"]] == ["to read"]
    assert [r["strength"] for r in social["reviews"]] == ["clear"]


def test_a_json_export_carries_aliases_and_versions_to_another_kb(home: Path, tmp_path: Path
                                                                   ) -> None:
    _import(home, VERSIONS, FIXTURES / "identity.bib")
    out = tmp_path / "lib.json"
    assert run_cli(home, "export", "--format", "json", "-o", str(out), cwd=home).returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    assert run_cli(other, "init", cwd=other).returncode == 0
    _import(other, out)
    for ref in (PUBLISHED, "gebsch06c", "kendall-dup"):
        assert _show(other, ref) == _show(home, ref) | {
            "note": _show(other, ref)["note"]}, ref
    # and back again: the second KB's export is the first's
    again = tmp_path / "again.json"
    assert run_cli(other, "export", "--format", "json", "-o", str(again), cwd=other
                   ).returncode == 0
    a, b = json.loads(out.read_text()), json.loads(again.read_text())
    strip = [{k: v for k, v in p.items() if k != "added_at"} for p in a["papers"]]
    assert strip == [{k: v for k, v in p.items() if k != "added_at"} for p in b["papers"]]


def test_a_merge_by_hand_holds_on_reimport_and_the_merged_ids_resolve(home: Path) -> None:
    """Two records with nothing in common merged by the user: importing the file again
    merges the record into the same paper (no new key), and its arXiv id names the paper."""
    _import(home, FIXTURES / "identity.bib")
    assert run_cli(home, "merge", "kendall-real", "wrong-pdf-link", cwd=home).returncode == 0
    before = set(_rows(home))
    r = _import(home, FIXTURES / "identity.bib")
    assert " 0 added," in r.stdout and "may be the same" not in r.stdout
    assert set(_rows(home)) == before
    assert "'wrong-pdf-link' merged into 'kendall-real'" in r.stdout
    assert _show(home, "wrong-pdf-link")["key"] == "kendall-real"
    # a merged record's own DOI names the paper although the row keeps its own DOI
    kb = KB(home)
    put(kb, make_paper(key="doi-a", arxiv_id=None, doi="10.1/a", title="Alpha", venue="J"),
        make_paper(key="doi-b", arxiv_id=None, doi="10.1/b", title="Beta", venue="J"))
    kb.close()
    assert run_cli(home, "merge", "doi-a", "doi-b", cwd=home).returncode == 0
    merged = _show(home, "10.1/b")
    assert (merged["key"], merged["doi"]) == ("doi-a", "10.1/a")


def test_with_identity_keeps_an_entry_s_own_ids_and_eprint() -> None:
    from kb.core.export import with_identity

    entry = "@article{a,\n  title = {T},\n  ids = {old1, old2},\n  eprint = {1706.05098},\n}"
    out = with_identity(entry, Paper(title="T", arxiv_id="1705.07115"), ["new", "old2"], True)
    assert "ids = {old1,old2,new}" in out
    assert "eprint = {1706.05098}" in out and "1705.07115" not in out  # its own, kept
    assert with_identity(entry, Paper(title="T"), [], False) == entry


def test_a_merged_away_key_keeps_its_note_and_is_no_orphan(home: Path) -> None:
    _import(home, VERSIONS)
    assert run_cli(home, "split", PUBLISHED, cwd=home).returncode == 0
    for key in (PREPRINT, PUBLISHED):
        assert run_cli(home, "note", key, cwd=home).returncode == 0
    assert run_cli(home, "merge", PREPRINT, PUBLISHED, cwd=home).returncode == 0
    assert (home / "notes" / f"{PUBLISHED}.md").exists()  # merge leaves the user's note
    r = run_cli(home, "notes", cwd=home)
    assert r.returncode == 0, r.stderr
    assert "no paper with this key" not in r.stderr
    # a note named by no paper nor alias is still reported
    (home / "notes" / "nobody2020x.md").write_text((home / "notes" / f"{PUBLISHED}.md")
                                                    .read_text())
    r = run_cli(home, "notes", cwd=home)
    assert "nobody2020x.md: no paper with this key" in r.stderr
