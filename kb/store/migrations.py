"""Numbered schema migrations (``sqlite_utils.Migrations``), applied on open.

Each step is a small decorated function. :func:`kb.store.db.apply_migrations` runs
:func:`ensure_fts` after the steps (``transform()`` drops the FTS sync triggers, and the index
reads tables of later steps), so no step builds the index itself.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from kb.store import fts, topk

migrations = Migrations("mtlkb")


def ensure_fts(db: sqlite_utils.Database) -> None:
    """(Re)create the FTS5 index over papers with its sync triggers, and repopulate it."""
    fts.ensure_fts(db.conn)


@migrations()
def m001_papers(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE papers (
            key TEXT PRIMARY KEY,
            arxiv_id TEXT UNIQUE,
            arxiv_version INTEGER,
            doi TEXT,
            title TEXT NOT NULL,
            title_norm TEXT NOT NULL DEFAULT '',
            abstract TEXT,
            year INTEGER,
            month INTEGER,
            venue TEXT,
            entry_type TEXT,
            url TEXT,
            pdf_url TEXT,
            published TEXT,
            updated TEXT,
            primary_category TEXT,
            categories TEXT,
            journal_ref TEXT,
            comment TEXT,
            bibtex TEXT,
            fields TEXT,
            source TEXT,
            added_at TEXT NOT NULL,
            modified_at TEXT NOT NULL,
            authors_text TEXT NOT NULL DEFAULT '',
            topics_text TEXT NOT NULL DEFAULT '',
            note_text TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX idx_papers_doi ON papers(doi)")
    db.execute("CREATE INDEX idx_papers_title_year ON papers(title_norm, year)")
    db.execute("CREATE INDEX idx_papers_added ON papers(added_at)")
    db.execute(
        """
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            first TEXT NOT NULL DEFAULT '',
            last TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE paper_authors (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            position INTEGER NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            PRIMARY KEY (paper_key, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_paper_authors_author ON paper_authors(author_id)")
    db.execute(
        """
        CREATE TABLE topics (
            name TEXT PRIMARY KEY,
            title TEXT,
            parent TEXT,
            description TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE paper_topics (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            topic TEXT NOT NULL REFERENCES topics(name) ON DELETE CASCADE,
            PRIMARY KEY (paper_key, topic)
        )
        """
    )
    db.execute("CREATE INDEX idx_paper_topics_topic ON paper_topics(topic)")
    # (the index is made by ensure_fts after the steps: its triggers read m011's tables)


@migrations()
def m002_notes(db: sqlite_utils.Database) -> None:
    """Parsed reading notes, keyed by paper; re-read when the file's mtime or size changes."""
    db.execute(
        """
        CREATE TABLE notes (
            paper_key TEXT PRIMARY KEY REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            path TEXT NOT NULL,
            mtime_ns INTEGER,
            size INTEGER,
            header TEXT,
            answered INTEGER NOT NULL DEFAULT 0,
            questions INTEGER NOT NULL DEFAULT 0,
            read_on TEXT,
            minutes INTEGER,
            topics TEXT,
            future TEXT,
            warnings TEXT
        )
        """
    )


@migrations()
def m003_social(db: sqlite_utils.Database) -> None:
    """Votes, saves, collections and structured reviews (the paper-detail page's social record)."""
    db.execute(
        """
        CREATE TABLE paper_social (
            paper_key TEXT PRIMARY KEY REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            vote INTEGER NOT NULL DEFAULT 0 CHECK (vote IN (-1, 0, 1)),
            saved INTEGER NOT NULL DEFAULT 0 CHECK (saved IN (0, 1)),
            saved_at TEXT,
            voted_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE collections (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            description TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE collection_papers (
            collection TEXT NOT NULL REFERENCES collections(name) ON DELETE CASCADE
                ON UPDATE CASCADE,
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            added_at TEXT NOT NULL,
            PRIMARY KEY (collection, paper_key)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            strength TEXT,
            concern TEXT,
            question TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_reviews_paper ON reviews(paper_key)")


@migrations()
def m004_runs(db: sqlite_utils.Database) -> None:
    """Reproduction runs and manual paper-reproduction links."""
    db.execute(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            reproduction TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
            device TEXT,
            device_name TEXT,
            seed INTEGER,
            scale TEXT,
            config TEXT,
            metrics TEXT,
            verdicts TEXT,
            artifacts TEXT,
            started_at TEXT,
            finished_at TEXT,
            wall_s REAL,
            versions TEXT,
            git_commit TEXT,
            error TEXT,
            reference INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX idx_runs_repro ON runs(reproduction, started_at)")
    db.execute(
        """
        CREATE TABLE paper_reproductions (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            reproduction TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'manual',
            PRIMARY KEY (paper_key, reproduction)
        )
        """
    )


@migrations()
def m005_notes_template(db: sqlite_utils.Database) -> None:
    """The fingerprint of the note template a note was parsed against (re-parse on change)."""
    db.execute("ALTER TABLE notes ADD COLUMN template TEXT")


@migrations()
def m006_run_process(db: sqlite_utils.Database) -> None:
    """Which process on which host runs a ``running`` run, so a killed one can be told apart."""
    db.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN host TEXT")


@migrations()
def m007_phrase_pairs(db: sqlite_utils.Database) -> None:
    """Word-pair twin columns in the FTS index, so a phrase is one short posting list.

    The index itself is rebuilt by :func:`ensure_fts`, which runs after every migration.
    """
    db.execute("DROP TABLE IF EXISTS papers_fts")


@migrations()
def m008_plain_sql_index(db: sqlite_utils.Database) -> None:
    """A plain FTS5 index that any tool's writes keep in step (triggers in plain SQL, no word
    pairs, letters folded, prefix indexes, the ids searchable); see :mod:`kb.store.fts`.

    The index itself is rebuilt by :func:`ensure_fts`, which runs after every migration.
    """
    db.execute("DROP TABLE IF EXISTS papers_fts_vocab")
    db.execute("DROP TABLE IF EXISTS papers_fts")


@migrations()
def m009_paper_aliases(db: sqlite_utils.Database) -> None:
    """Keys merged away (issue 15): an alias resolves to the paper it was merged into."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_aliases (
            alias TEXT PRIMARY KEY,
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            reason TEXT
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_paper_aliases_key ON paper_aliases(paper_key)")


@migrations()
def m010_paper_versions(db: sqlite_utils.Database) -> None:
    """Each record merged into a paper, kept whole as one of its versions (issue 15): a
    preprint and its published version are one paper, and a merge copies no record's
    fields into another's. ``paper_splits``: pairs the user split, never merged again."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_versions (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            version_key TEXT NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('preprint', 'published', 'record')),
            record TEXT NOT NULL,
            why TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (paper_key, version_key)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_splits (
            key_a TEXT NOT NULL,
            key_b TEXT NOT NULL,
            split_at TEXT NOT NULL,
            PRIMARY KEY (key_a, key_b),
            CHECK (key_a < key_b)
        )
        """
    )


@migrations()
def m011_paper_record(db: sqlite_utils.Database) -> None:
    """The paper record of issue 16: threaded comments, code/dataset links, citations
    inside the KB, institutions, our summaries and the cached answers of open APIs."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS comments (
            id INTEGER PRIMARY KEY,
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            parent_id INTEGER REFERENCES comments(id) ON DELETE CASCADE,
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            edited_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_comments_paper ON comments(paper_key)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_links (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('code', 'dataset')),
            url TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'manual',
            added_at TEXT NOT NULL,
            PRIMARY KEY (paper_key, kind, url)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS citations (
            citing TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            cited TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            source TEXT NOT NULL DEFAULT 'manual',
            PRIMARY KEY (citing, cited),
            CHECK (citing != cited)
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_citations_cited ON citations(cited)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS institutions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_institutions (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            institution_id INTEGER NOT NULL REFERENCES institutions(id) ON DELETE CASCADE,
            author TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            PRIMARY KEY (paper_key, institution_id, author, source)
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_paper_institutions_inst "
               "ON paper_institutions(institution_id)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS paper_summaries (
            paper_key TEXT PRIMARY KEY REFERENCES papers(key) ON DELETE CASCADE
                ON UPDATE CASCADE,
            summary TEXT NOT NULL,
            source TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS enrichment (
            paper_key TEXT NOT NULL REFERENCES papers(key) ON DELETE CASCADE ON UPDATE CASCADE,
            source TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            external_id TEXT,
            citation_count INTEGER,
            oa_pdf TEXT,
            refs TEXT NOT NULL DEFAULT '[]',
            affiliations TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (paper_key, source)
        )
        """
    )


@migrations()
def m012_search_lists(db: sqlite_utils.Database) -> None:
    """Impact lists for fast exact bm25 top k, and the rowids the index triggers note as
    changed (issue 14); see :mod:`kb.store.topk`. The triggers that fill
    ``papers_fts_changed`` are made by :func:`ensure_fts`, which runs after every migration.
    """
    topk.create_tables(db.conn)


@migrations()
def m013_record_text(db: sqlite_utils.Database) -> None:
    """The paper record in the search index (issue 16): ``papers.record_text``, our summary,
    the comments and the reviews of a paper, kept by the triggers of :mod:`kb.store.fts`
    (made, with the index and the texts, by :func:`ensure_fts` after the steps).

    The index gains a column, so the impact lists (weighted term frequencies over the old
    columns) are dropped here, in plain SQL on their tables; searches rebuild them.
    """
    if "record_text" not in db["papers"].columns_dict:
        db.execute("ALTER TABLE papers ADD COLUMN record_text TEXT NOT NULL DEFAULT ''")
    for table in ("papers_fts_top", "papers_fts_lists", "papers_fts_changed"):
        db.execute(f"DELETE FROM {table}")
