"""The store: migrations, identity merging, keys, topics, deletion, FTS sync."""

import sqlite3

import pytest
from kbtest import make_paper, put

from kb.config import KB
from kb.models import Author
from kb.store.migrations import migrations
from kb.store.papers import get_paper, list_papers, resolve_key
from kb.store.search import search
from kb.store.versions import versions_of


def test_open_sets_wal_foreign_keys_and_is_migrated(tmp_kb: KB):
    db = tmp_kb.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert not migrations.pending(db)
    names = [m.name for m in migrations.applied(db)]
    assert names == sorted(names) and names[0].startswith("m001")


def test_store_opens_in_plain_sqlite(tmp_kb: KB):
    put(tmp_kb, make_paper())
    conn = sqlite3.connect(tmp_kb.db_path)
    assert conn.execute("SELECT key FROM papers").fetchall() == [("ruder2017overview",)]


def test_add_generates_design_key(tmp_kb: KB):
    (res,) = put(tmp_kb, make_paper())
    assert res.key == "ruder2017overview" and res.action == "added"
    p = get_paper(tmp_kb.db, "ruder2017overview")
    assert [a.name for a in p.authors] == ["Sebastian Ruder"]


@pytest.mark.parametrize(
    "dup",
    [
        dict(arxiv_id="1706.05098", title="Multi-task learning in deep networks", year=2020),
        dict(arxiv_id=None, doi="https://doi.org/10.1/ABC", title="Overview: multi-task learning",
             year=2001),
        dict(arxiv_id=None, title="AN OVERVIEW of multi-task learning in deep neural networks!"),
    ],
)
def test_identity_merges_same_paper(tmp_kb: KB, dup):
    first = make_paper(doi="10.1/abc")
    second = make_paper(key="Ruder2017", venue="arXiv", **dup)
    r1, r2 = put(tmp_kb, first, second)
    assert r2.key == r1.key and r2.action == "merged"
    assert len(list_papers(tmp_kb.db)) == 1
    p = get_paper(tmp_kb.db, r1.key)
    assert p.title == first.title  # merging never overwrites a field already set
    # the published record (a DOI) is not given the preprint's venue: each keeps its own
    assert p.venue is None and p.doi == "10.1/abc"
    versions = {v.key: v for v in versions_of(tmp_kb.db, r1.key)}
    assert versions["Ruder2017"].record.venue == "arXiv"
    assert versions["Ruder2017"].kind == "preprint"
    assert versions[r1.key].kind == "published"
    assert resolve_key(tmp_kb.db, "Ruder2017") == r1.key


def test_same_title_different_year_is_a_different_paper(tmp_kb: KB):
    r1, r2 = put(tmp_kb, make_paper(arxiv_id=None), make_paper(arxiv_id=None, year=2018))
    assert r1.key != r2.key


def test_key_collision_gets_suffix(tmp_kb: KB):
    a = make_paper(arxiv_id=None, title="Overview of things")
    b = make_paper(arxiv_id=None, title="Overview of other things")
    c = make_paper(arxiv_id=None, title="Overview of more things")
    keys = [r.key for r in put(tmp_kb, a, b, c)]
    assert keys == ["ruder2017overview", "ruder2017overviewa", "ruder2017overviewb"]


def test_unsafe_bibtex_key_is_replaced_and_reported(tmp_kb: KB):
    (r,) = put(tmp_kb, make_paper(key="../etc/passwd"))
    assert r.key == "ruder2017overview"
    assert r.requested_key == "../etc/passwd" and "safe" in r.key_reason


def test_refresh_replaces_arxiv_fields_but_keeps_user_ones(tmp_kb: KB):
    from kb.store.papers import PaperWriter, add_topics

    put(tmp_kb, make_paper(key="mykey", topics=["survey"]))
    with tmp_kb.write() as db:
        add_topics(db, "mykey", ["architectures"])
        new = make_paper(title="An Overview  of MTL (v2)", abstract="new abstract",
                         authors=[Author(first="S.", last="Ruder")], arxiv_version=2)
        res = PaperWriter(db).put(new, refresh=True)
    assert res.key == "mykey" and res.action == "refreshed"
    p = get_paper(tmp_kb.db, "1706.05098v1")
    assert p.title == "An Overview of MTL (v2)" and p.abstract == "new abstract"
    assert p.topics == ["architectures", "survey"]
    assert p.arxiv_version == 2


def test_resolve_key_by_key_arxiv_url_and_doi(tmp_kb: KB):
    put(tmp_kb, make_paper(doi="10.48550/arXiv.1706.05098"))
    for ref in ["ruder2017overview", "1706.05098", "arXiv:1706.05098v3",
                "https://arxiv.org/abs/1706.05098", "https://doi.org/10.48550/ARXIV.1706.05098"]:
        assert resolve_key(tmp_kb.db, ref) == "ruder2017overview", ref
    assert resolve_key(tmp_kb.db, "nope") is None


def test_delete_cascades_links(tmp_kb: KB):
    from kb.store.papers import delete_paper

    put(tmp_kb, make_paper(topics=["survey"]))
    with tmp_kb.write() as db:
        assert delete_paper(db, "ruder2017overview")
    db = tmp_kb.db
    for table in ("paper_authors", "paper_topics", "authors", "papers_fts"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_failed_transaction_leaves_store_unchanged(tmp_kb: KB):
    from kb.store.papers import PaperWriter

    with pytest.raises(RuntimeError), tmp_kb.write() as db:
        PaperWriter(db).put(make_paper())
        raise RuntimeError("boom")
    assert list_papers(tmp_kb.db) == []


def test_fts_stays_in_sync_after_a_transforming_migration(tmp_kb: KB):
    from sqlite_utils import Migrations

    from kb.store.db import apply_migrations

    put(tmp_kb, make_paper(topics=["survey"]))
    db = tmp_kb.db
    later = Migrations("mtlkb-test")

    @later()
    def m900_transform(db):
        db["papers"].transform(types={"month": str})  # drops the FTS sync triggers

    apply_migrations(db, later)
    assert db.execute("SELECT count(*) FROM paper_topics").fetchone()[0] == 1
    put(tmp_kb, make_paper(arxiv_id="1705.07115", title="Uncertainty to weigh losses",
                           authors=[Author(first="Alex", last="Kendall")], year=2018))
    assert [h.key for h in search(db, "uncertainty")] == ["kendall2018uncertainty"]
    assert [h.key for h in search(db, "overview")] == ["ruder2017overview"]


def test_refresh_that_changes_doi_forgets_the_old_one(tmp_kb: KB):
    from kb.store.papers import PaperWriter

    put(tmp_kb, make_paper(doi="10.1/old"))
    with tmp_kb.write() as db:
        w = PaperWriter(db)
        w.put(make_paper(doi="10.1/new"), refresh=True)
        other = w.put(make_paper(arxiv_id=None, doi="10.1/old", title="Different", year=1999))
    assert other.action == "added" and other.key != "ruder2017overview"


def _store_dump(db) -> dict:
    out = {}
    for table in ("papers", "authors", "paper_authors", "topics", "paper_topics"):
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        keep = [c for c in cols if c not in ("added_at", "modified_at")]
        out[table] = db.execute(
            f"SELECT rowid, {', '.join(keep)} FROM {table} ORDER BY rowid"
        ).fetchall()
    return out


def test_a_batching_writer_stores_exactly_what_the_plain_one_does(tmp_path):
    """Queued inserts across several flushes, merges into queued papers (the queue goes
    first), key clashes, shared authors and topics: same rows, rowids and ids, and the FTS
    index in sync."""
    from kb.core.init import init_kb
    from kb.store.papers import BATCH_ROWS, PaperWriter

    papers = []
    for i in range(BATCH_ROWS + 40):
        papers.append(make_paper(
            key=f"p{i % (BATCH_ROWS + 7)}", arxiv_id=None, title=f"Gradient surgery number {i}",
            year=2000 + i % 20, topics=[f"t{i % 3}", "shared"],
            authors=[Author(first="Ann", last=f"Author{i % 50}"),
                     Author(first="Bo", last="Common")],
            abstract=f"Abstract {i} about pareto fronts" if i % 2 else None,
        ))
        if i % 97 == 5:  # the same paper again, adding an abstract and new topics (UPDATEs)
            papers.append(make_paper(key=f"again{i}", arxiv_id=None,
                                     title=f"Gradient surgery number {i}", year=2000 + i % 20,
                                     authors=[Author(first="Ann", last=f"Author{i % 50}")],
                                     abstract="A late abstract about routing", topics=["late"]))
    dumps, results = [], []
    for batch in (False, True):
        kb = KB(tmp_path / f"kb{batch}")
        init_kb(kb)
        with kb.write() as db:
            w = PaperWriter(db, batch=batch)
            results.append([w.put(p) for p in papers])
            w.flush()
        db = kb.db
        db.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
        dumps.append(_store_dump(db))
        assert len(search(db, "late")) == len(papers) - BATCH_ROWS - 40  # topics merged in
        assert search(db, "routing")  # abstracts merged in
        kb.close()
    assert results[0] == results[1]
    assert dumps[0] == dumps[1]
    assert any(r.action == "merged" for r in results[1])
    assert any(r.requested_key for r in results[1])
