"""Papers in the store: add or merge by identity, read back as :class:`Paper`, tag, remove.

Identity (DESIGN.md): two records are the same paper when they share an arXiv id (any
version), or a DOI, or the same normalised title and year, or are a preprint and its
published version (same title and authors, up to two years apart), unless the rest of the
evidence disagrees (:mod:`kb.store.identity`: then it is reported, not merged). A record
merged into a paper under another key is kept whole as one of its versions and its key stays
an alias (:mod:`kb.store.versions`); a re-import of the same record fills missing fields.
Merging never drops a user-entered field.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import sqlite_utils

from kb.clock import now_iso
from kb.ids import normalize_doi
from kb.keys import is_safe_key, key_stem, normalize_title, unique_key
from kb.models import Author, Paper, PaperVersion, VersionKind
from kb.store import versions as _versions
from kb.store.fts import FTS_COLUMNS
from kb.store.identity import (
    EVIDENCE_COLUMNS,
    GENERIC_TITLES,
    disagreement,
    evidence_paper,
    other_version,
)
from kb.store.lookup import resolve_key, version_ids
from kb.store.pairs import tokenizer
from kb.store.rows import rows as _rows

# Scalar columns a Paper maps onto one to one.
SCALAR_FIELDS = (
    "title", "year", "month", "venue", "entry_type", "abstract", "arxiv_id", "arxiv_version",
    "doi", "url", "pdf_url", "published", "updated", "primary_category", "journal_ref",
    "comment", "bibtex", "source",
)
# Fields an arXiv refresh overwrites (the arXiv record is their authority).
ARXIV_FIELDS = frozenset(
    {"title", "abstract", "arxiv_version", "url", "pdf_url", "published", "updated",
     "primary_category", "journal_ref", "comment", "doi"}
)
# The columns a new paper's row is written with, in order.
INSERT_COLUMNS = (
    *SCALAR_FIELDS, "title_norm", "categories", "fields", "authors_text", "key", "added_at",
    "modified_at", "topics_text",
)
# Papers a batching PaperWriter queues before it writes them.
BATCH_ROWS = 500

Action = Literal["added", "merged", "refreshed"]

@dataclass
class PutResult:
    key: str
    action: Action
    requested_key: str | None = None  # set when the record's own key could not be kept
    key_reason: str | None = None
    why: str | None = None  # merged: the identity it shares ("same arXiv id 1706.05098")
    suspect: str | None = None  # added: a stored paper it may be, but was not merged into
    suspect_why: str | None = None  # why it was not merged
    version: VersionKind | None = None  # merged: kept as a version of this kind
    cited: bool = False  # merged: the paper is now cited as this version (published > preprint)
    version_kept: bool = False  # merged: this very record was already one of its versions
    kept_apart: str | None = None  # added: the paper it shares an identity with, split by the user


class PaperWriter:
    """Adds or merges papers inside one open write transaction.

    Identity lookups use in-memory indexes loaded once, so bulk imports make no per-paper
    SELECTs. Create it inside ``with kb.write():``.

    ``batch=True`` (bulk imports) queues new papers and writes them many rows to a statement
    on :meth:`flush` (called by itself every :data:`BATCH_ROWS` papers and before any merge;
    the caller calls it once at the end, inside the same transaction). One statement per
    paper costs about twice as much: SQLite opens a statement savepoint for each, and the
    FTS5 index (fed by the ``papers`` insert trigger) writes its pending terms out at every
    savepoint, so per-row statements leave one tiny index segment per paper. A failing
    batch raises from :meth:`flush` (or a later :meth:`put`), not from the paper's own
    :meth:`put`: callers that must know which paper failed use the default, ``batch=False``,
    where every :meth:`put` is written before it returns.
    """

    def __init__(self, db: sqlite_utils.Database, *, batch: bool = False) -> None:
        self.db = db
        self.conn = db.conn
        self.batch = batch
        self.keys: set[str] = set()
        self.by_arxiv: dict[str, str] = {}
        self.by_doi: dict[str, str] = {}
        self.by_title: dict[tuple[str, int | None], str] = {}
        self.title_of: dict[str, str] = {}
        for key, arxiv_id, doi, tnorm, year in self.conn.execute(
            "SELECT key, arxiv_id, doi, title_norm, year FROM papers"
        ):
            self._index(key, arxiv_id, doi, tnorm, year)
        # keys merged away stay taken: they resolve to the paper they were merged into
        self.aliases: dict[str, str] = dict(
            self.conn.execute("SELECT alias, paper_key FROM paper_aliases"))
        self.keys.update(self.aliases)
        self.splits = _versions.split_pairs(self.conn)
        for key, arxiv_id, doi in version_ids(self.conn):  # a version's ids name its paper
            if arxiv_id:
                self.by_arxiv.setdefault(arxiv_id, key)
            if doi:
                self.by_doi.setdefault(doi, key)
        self.versioned = _versions.versioned_keys(self.conn)  # papers with versions kept
        self.author_ids: dict[str, int] = {
            name: aid for aid, name in self.conn.execute("SELECT id, name FROM authors")
        }
        # New authors get the id SQLite would give them (max + 1), so that the paper_authors
        # rows can be built before the authors are written.
        self._next_author_id = max(self.author_ids.values(), default=0) + 1
        self.known_topics: set[str] = {r[0] for r in self.conn.execute("SELECT name FROM topics")}
        # Queued writes, in the order flush() writes them (foreign keys: authors and topics
        # before the links).
        self._new_authors: list[tuple[int, str, str, str]] = []
        self._new_topics: list[tuple[str]] = []
        self._papers: list[tuple] = []
        self._paper_authors: list[tuple[str, int, int]] = []
        self._paper_topics: list[tuple[str, str]] = []
        self._aliases: list[tuple[str, str, str]] = []
        self._queued: dict[str, int] = {}  # key -> its row's place in self._papers

    def _index(self, key: str, arxiv_id, doi, tnorm, year) -> None:
        self.keys.add(key)
        if arxiv_id:
            self.by_arxiv[arxiv_id] = key
        if doi:
            self.by_doi[doi] = key
        if tnorm:
            self.by_title[(tnorm, year)] = key
            self.title_of[key] = tnorm

    def find(self, paper: Paper) -> str | None:
        """The key of the stored paper that ``paper`` is the same as, if any."""
        return self._find(paper, normalize_doi(paper.doi), normalize_title(paper.title))[0]

    def _find(self, paper: Paper, doi: str | None, tnorm: str) -> tuple[str | None, str | None]:
        """``(key, why)``: the stored paper ``paper`` is the same as, and the identity."""
        if paper.arxiv_id and paper.arxiv_id in self.by_arxiv:
            return self.by_arxiv[paper.arxiv_id], f"same arXiv id {paper.arxiv_id}"
        if doi and doi in self.by_doi:
            return self.by_doi[doi], f"same DOI {doi}"
        if tnorm and (tnorm, paper.year) in self.by_title:
            return self.by_title[(tnorm, paper.year)], "same title and year"
        if tnorm and paper.year and tnorm not in GENERIC_TITLES:
            # a preprint and its published version: the same title up to two years apart
            for year in (paper.year - 1, paper.year + 1, paper.year - 2, paper.year + 2):
                key = self.by_title.get((tnorm, year))
                why = key and self._other_version(key, paper)
                if why:
                    return key, why
        return None, None

    def _other_version(self, key: str, paper: Paper) -> str | None:
        """Why the stored ``key`` and ``paper`` (same title, another year) are a preprint
        and its published version (:func:`kb.store.identity.other_version`), or None."""
        if self.title_of.get(key) != normalize_title(paper.title):
            return None  # an index entry left behind by a title change
        stored = self._evidence(key)
        return None if stored is None else other_version(stored, paper)

    def _evidence(self, key: str) -> Paper | None:
        """What identity checks compare of stored paper ``key`` (queued or written)."""
        row = self._stored(key, EVIDENCE_COLUMNS)
        return None if row is None else evidence_paper(dict(zip(EVIDENCE_COLUMNS, row,
                                                                strict=True)))

    def put(self, paper: Paper, *, refresh: bool = False) -> PutResult:
        """Add ``paper`` or merge it into the stored record it is the same as.

        A record that may be a stored paper but is not certainly it is added and reported
        (``suspect``); a pair the user split is never merged (``kept_apart``).
        ``refresh`` (arXiv re-add): arXiv fields and the author list are replaced by the new
        values (of a paper known from arXiv alone; else the arXiv record is kept as one more
        version); the key, topics, note and social record are kept either way.
        """
        doi = normalize_doi(paper.doi)
        if doi != paper.doi:
            paper = paper.model_copy(update={"doi": doi})
        tnorm = normalize_title(paper.title)
        existing, why = self._find(paper, doi, tnorm)
        own = None
        if paper.key in self.aliases:  # merged before (by an import or `mtlkb merge`)
            own, own_why = self.aliases[paper.key], "merged into it before"
        elif paper.key and tnorm and self.title_of.get(paper.key) == tnorm:
            own, own_why = paper.key, "same key and title"  # a re-import of a stored entry
        if own and existing != own:
            existing, why = own, own_why
            drop = {}
            if paper.arxiv_id and self.by_arxiv.get(paper.arxiv_id, own) != own:
                drop.update(arxiv_id=None, arxiv_version=None)  # the link was doubted before
            if doi and self.by_doi.get(doi, own) != own:
                drop.update(doi=None)
            if drop:
                paper = paper.model_copy(update=drop)
        doubt = kept_apart = None
        if existing is not None and paper.key and tuple(sorted((existing, paper.key))) in (
                self.splits):
            kept_apart, existing = existing, None  # the user's last word (`mtlkb split`)
        if existing is not None and existing not in (own, paper.key) and not refresh:
            doubt = self._disagreement(existing, paper, why or "")
        if existing is not None and doubt is None:
            result = self._merge_into(existing, paper, why, refresh)
        else:
            # an id another paper holds is the doubtful link: the new record does not keep it
            paper = self._without_taken_ids(paper)
            result = self._insert(paper, tnorm)
            if doubt is not None:
                result.suspect, result.suspect_why = existing, doubt
            result.kept_apart = kept_apart
        if self.batch and len(self._papers) < BATCH_ROWS:
            return result
        self.flush()
        return result

    def _merge_into(self, key: str, paper: Paper, why: str | None, refresh: bool
                    ) -> PutResult:
        """Merge ``paper`` into the stored ``key``: the same record again (a re-import, an
        arXiv refresh) updates the row; another record is kept as a version and its key
        becomes an alias."""
        # A merge writes to the stored row (and may tag it): the queue must go first when
        # it holds that row or topics not written yet; else batching goes on.
        if key in self._queued or self._new_topics or paper.topics:
            self.flush()
        if refresh and self._keeps_versions(key):
            # an arXiv record of a paper known from elsewhere (a BibTeX entry of its
            # published version): one more version, not the authority over the row
            paper = paper.model_copy(update={"key": self._arxiv_version_key(key, paper)})
            result = self._merge_version(key, paper, why)
            result.action = "refreshed"
        elif refresh or not paper.key or (paper.key == key and key not in self.versioned):
            result = self._merge(key, paper, refresh)
        else:
            result = self._merge_version(key, paper, why)
        result.why = why
        alias = paper.key
        if alias and alias != key and alias not in self.keys and is_safe_key(alias) and (
                not refresh):
            _versions.add_alias(self.conn, alias, key, why)
            self.aliases[alias] = key
            self.keys.add(alias)
        return result

    def _keeps_versions(self, key: str) -> bool:
        """Whether paper ``key`` takes an arXiv record as a version rather than a refresh:
        it has versions, or its row came from elsewhere (a BibTeX or JSON import)."""
        if key in self.versioned:
            return True
        row = self._stored(key, ("source",))
        return row is not None and row[0] not in (None, "", "arxiv")

    def _arxiv_version_key(self, key: str, paper: Paper) -> str:
        """The version an arXiv record of paper ``key`` is kept as: the one kept from arXiv
        before, else ``arXiv:ID`` (not a citation key: never an alias)."""
        for v in _versions.versions_of(self.conn, key):
            if v.record.source == "arxiv" and v.record.arxiv_id == paper.arxiv_id:
                return v.key
        return f"arXiv:{paper.arxiv_id}"

    def _stored(self, key: str, columns: tuple[str, ...]) -> tuple | None:
        """``columns`` of paper ``key``, from the queue if it is not written yet."""
        at = self._queued.get(key)
        if at is not None:
            row = self._papers[at]
            return tuple(row[_COLUMN_AT[c]] for c in columns)
        return self.conn.execute(
            f"SELECT {', '.join(columns)} FROM papers WHERE key = ?", [key]).fetchone()

    def flush(self) -> None:
        """Write every queued row (a no-op when nothing is queued).

        The queues are emptied first, so rows of a failed flush are never written later.
        """
        authors, topics, papers, links, tags, aliases = (
            self._new_authors, self._new_topics, self._papers, self._paper_authors,
            self._paper_topics, self._aliases,
        )
        self._new_authors, self._new_topics, self._papers = [], [], []
        self._queued = {}
        self._paper_authors, self._paper_topics, self._aliases = [], [], []
        conn = self.conn
        if authors:
            conn.executemany(
                "INSERT INTO authors (id, name, first, last) VALUES (?, ?, ?, ?)", authors
            )
        if topics:
            conn.executemany("INSERT OR IGNORE INTO topics (name) VALUES (?)", topics)
        if papers:
            # The FTS triggers want the word pairs of every text: work them out for the
            # whole batch first, one round trip to SQLite's tokenizer for all new words.
            tokenizer().prepare(row[i] for row in papers for i in _FTS_INDEXES)
            _insert_rows(conn, _PAPERS_INSERT, papers)
        if links:
            _insert_rows(conn, _PAPER_AUTHORS_INSERT, links)
        if tags:
            _insert_rows(conn, _PAPER_TOPICS_INSERT, tags)
        if aliases:
            conn.executemany(
                "INSERT OR IGNORE INTO paper_aliases (alias, paper_key, reason) VALUES (?, ?, ?)",
                aliases)

    def add_new(self, paper: Paper) -> PutResult:
        """Store ``paper`` as a paper of its own, whatever it shares with others (a split):
        its key if free, without an arXiv id or DOI another paper holds."""
        result = self._insert(self._without_taken_ids(paper), normalize_title(paper.title))
        self.flush()
        return result

    def keep_identity(self, key: str, aliases: list[str], versions: list[PaperVersion]
                      ) -> None:
        """Give the new paper ``key`` the aliases (those still free) and versions it had in
        another KB (a JSON export)."""
        self.flush()  # the rows below refer to the paper's
        for version in versions:
            _versions.put_version(self.conn, key, version)
            self.versioned.add(key)
        for alias in aliases:
            if alias != key and alias not in self.keys and is_safe_key(alias):
                _versions.add_alias(self.conn, alias, key, "JSON export")
                self.aliases[alias] = key
                self.keys.add(alias)

    def _without_taken_ids(self, paper: Paper) -> Paper:
        """``paper`` without an arXiv id or DOI that another stored paper holds."""
        drop: dict = {}
        if paper.arxiv_id and paper.arxiv_id in self.by_arxiv:
            drop.update(arxiv_id=None, arxiv_version=None)
        if paper.doi and paper.doi in self.by_doi:
            drop.update(doi=None)
        return paper.model_copy(update=drop) if drop else paper

    # -- insert --------------------------------------------------------------------------
    def _insert(self, paper: Paper, tnorm: str) -> PutResult:
        requested, reason = paper.key, None
        if requested and not is_safe_key(requested):
            reason = "not a safe file name"
        elif requested and requested in self.keys:
            reason = "already used by another paper"
        if requested and reason is None:
            key = requested
        else:
            first_last = paper.authors[0].last if paper.authors else None
            stem = requested if reason == "already used by another paper" else key_stem(
                first_last, paper.year, paper.title
            )
            key = unique_key(stem, self.keys.__contains__)
        stamp = now_iso()
        topics = _clean_topics(paper.topics)
        # topics_text goes into the INSERT itself: a later UPDATE would re-index the whole row.
        self._queued[key] = len(self._papers)
        self._papers.append((
            *self._values(paper, tnorm), key, paper.added_at or stamp, stamp,
            " ".join(sorted(topics)),
        ))
        self._queue_authors(key, paper.authors)
        if topics:
            self._queue_topics(key, topics)
        self._queue_aliases(key, paper.fields.get("ids"))
        self._index(key, paper.arxiv_id, paper.doi, tnorm, paper.year)
        return PutResult(key, "added", requested if reason else None, reason)

    def _queue_aliases(self, key: str, ids: str | None) -> None:
        """biblatex's ``ids`` (what ``mtlkb export`` writes for merged keys): each free key
        becomes an alias of ``key``."""
        for alias in (ids or "").split(","):
            alias = alias.strip()
            if alias and alias != key and alias not in self.keys and is_safe_key(alias):
                self._aliases.append((alias, key, "ids field"))
                self.aliases[alias] = key
                self.keys.add(alias)

    @staticmethod
    def _values(paper: Paper, tnorm: str) -> tuple:
        """The values of :data:`INSERT_COLUMNS` up to ``authors_text``."""
        d = paper.__dict__
        return (
            " ".join(paper.title.split()), *[d[f] for f in SCALAR_FIELDS[1:]], tnorm,
            json.dumps(paper.categories) if paper.categories else None,
            json.dumps(paper.fields, ensure_ascii=False) if paper.fields else None,
            "; ".join(a.name for a in paper.authors),
        )

    def _row(self, paper: Paper) -> dict:
        values = self._values(paper, normalize_title(paper.title))
        return dict(zip(INSERT_COLUMNS, values, strict=False))

    # -- identity evidence ---------------------------------------------------------------
    def _disagreement(self, key: str, paper: Paper, why: str) -> str | None:
        """Why ``paper`` is not certainly the stored ``key`` although it shares ``why``
        (:func:`kb.store.identity.disagreement`; None: it is)."""
        stored = self._evidence(key)
        return None if stored is None else disagreement(stored, paper, why)

    # -- merge ---------------------------------------------------------------------------
    def read(self, key: str) -> Paper:
        """The stored paper ``key`` (the queue is written first if it holds it)."""
        if key in self._queued:
            self.flush()
        return _papers_from_rows(self.db, _rows(self.db, "SELECT * FROM papers WHERE key = ?",
                                                [key]))[0]

    def _merge_version(self, key: str, paper: Paper, why: str | None) -> PutResult:
        """Keep ``paper`` (another record, or the paper's own once it has versions) as a
        version of the stored ``key``.

        The first merge also keeps the stored row's own record as a version. The row is then
        :func:`kb.store.versions.rebuild` of the versions, filled from the old row; a record
        already kept as it is changes nothing at all (a re-import rewrites no row).
        """
        assert paper.key is not None
        kind = _versions.version_kind(paper)
        version = PaperVersion(key=paper.key, kind=kind, record=paper, why=why)
        if key in self.versioned and _versions.is_kept(self.conn, key, version):
            return PutResult(key, "merged", version=kind, version_kept=True)
        row = self.read(key)
        kept = _versions.versions_of(self.conn, key)
        if not kept:
            own = PaperVersion(key=key, kind=_versions.version_kind(row), record=row,
                               added_at=row.added_at)
            _versions.put_version(self.conn, key, own)
            kept = [own]
            self.versioned.add(key)
        result = PutResult(key, "merged", version=kind)
        if paper.arxiv_id:
            self.by_arxiv.setdefault(paper.arxiv_id, key)
        if paper.doi:
            self.by_doi.setdefault(paper.doi, key)
        if not _versions.put_version(self.conn, key, version):
            result.version_kept = True
            return result
        row_kind = _versions.cited_kind(kept, row)
        result.cited = _versions.RANK[kind] > _versions.RANK[row_kind]
        # The row is its versions combined (a record edited and imported again counts as it
        # is now); what only the row has (an abstract an arXiv refresh brought) is kept.
        if any(v.key == version.key for v in kept):
            kept = [version if v.key == version.key else v for v in kept]
        else:
            kept = [*kept, version]
        rebuilt = _versions.rebuild(kept, key, row.topics)
        self.write_row(key, row, _versions.combine(
            rebuilt, _versions.cited_kind(kept, row), row, "record"))
        return result

    def write_row(self, key: str, old: Paper, new: Paper) -> None:
        """Store ``new`` as paper ``key``'s row (``old``: the stored one): only the columns
        that differ are written, ``modified_at`` only when one does; topics are added."""
        if new.arxiv_id and self.by_arxiv.get(new.arxiv_id, key) != key:
            new = new.model_copy(update={"arxiv_id": old.arxiv_id,
                                         "arxiv_version": old.arxiv_version})
        before, after = self._row(old), self._row(new)
        updates = {c: v for c, v in after.items() if before.get(c) != v and c != "key"}
        authors_changed = "authors_text" in updates
        if updates:
            updates["modified_at"] = now_iso()
            sets = ", ".join(f"{c} = ?" for c in updates)
            self.conn.execute(
                f"UPDATE papers SET {sets} WHERE key = ?", [*updates.values(), key])
        if authors_changed:
            self._set_authors(key, new.authors)
        self._add_topics(key, [t for t in new.topics if t not in old.topics])
        if old.doi and old.doi != new.doi and self.by_doi.get(old.doi) == key:
            del self.by_doi[old.doi]
        if old.arxiv_id and old.arxiv_id != new.arxiv_id and self.by_arxiv.get(
                old.arxiv_id) == key:
            del self.by_arxiv[old.arxiv_id]
        old_title = (normalize_title(old.title), old.year)
        if old_title != (after["title_norm"], new.year) and self.by_title.get(old_title) == key:
            del self.by_title[old_title]
        self._index(key, new.arxiv_id, new.doi, after["title_norm"], new.year)

    def _merge(self, key: str, paper: Paper, refresh: bool) -> PutResult:
        cur = self.conn.execute("SELECT * FROM papers WHERE key = ?", [key])
        names = [d[0] for d in cur.description]
        old = dict(zip(names, cur.fetchone(), strict=True))
        new = self._row(paper)
        updates: dict = {}
        for field in SCALAR_FIELDS + ("categories",):
            value = new.get(field)
            if value in (None, "", "[]"):
                continue
            if (refresh and field in ARXIV_FIELDS | {"categories"}) or old.get(field) in (None, ""):
                if old.get(field) != value:
                    updates[field] = value
        if refresh and paper.arxiv_id and old.get("arxiv_id") is None:
            updates["arxiv_id"] = paper.arxiv_id
        if new["fields"]:
            merged_fields = json.loads(old["fields"] or "{}")
            before = len(merged_fields)
            for k, v in paper.fields.items():
                merged_fields.setdefault(k, v)
            if len(merged_fields) != before:  # a re-import of the same entry changes nothing
                updates["fields"] = json.dumps(merged_fields, ensure_ascii=False)
        if "title" in updates:
            updates["title_norm"] = new["title_norm"]
        replace_authors = paper.authors and (refresh or not old["authors_text"])
        if replace_authors:
            updates["authors_text"] = new["authors_text"]
        if updates:
            updates["modified_at"] = now_iso()
            sets = ", ".join(f"{c} = ?" for c in updates)
            self.conn.execute(
                f"UPDATE papers SET {sets} WHERE key = ?", [*updates.values(), key]
            )
        if replace_authors:
            self._set_authors(key, paper.authors)
        self._add_topics(key, paper.topics)
        # A refresh may change the DOI or title: drop the old index entries before re-indexing.
        if "doi" in updates and self.by_doi.get(old["doi"]) == key:
            del self.by_doi[old["doi"]]
        old_title = (old["title_norm"], old["year"])
        if {"title_norm", "year"} & updates.keys() and self.by_title.get(old_title) == key:
            del self.by_title[old_title]
        self._index(
            key,
            updates.get("arxiv_id", old["arxiv_id"]),
            updates.get("doi", old["doi"]),
            updates.get("title_norm", old["title_norm"]),
            updates.get("year", old["year"]),
        )
        return PutResult(key, "refreshed" if refresh else "merged")

    # -- authors and topics --------------------------------------------------------------
    def _queue_authors(self, key: str, authors: list[Author]) -> None:
        """Queue ``key``'s author links (and new authors); nameless authors are skipped."""
        ids = self.author_ids
        position = 0
        for a in authors:
            name = a.name
            if not name:
                continue
            aid = ids.get(name)
            if aid is None:
                aid = ids[name] = self._next_author_id
                self._next_author_id += 1
                self._new_authors.append((aid, name, a.first, a.last))
            self._paper_authors.append((key, position, aid))
            position += 1

    def _set_authors(self, key: str, authors: list[Author]) -> None:
        self.conn.execute("DELETE FROM paper_authors WHERE paper_key = ?", [key])
        self._queue_authors(key, authors)

    def _queue_topics(self, key: str, topics: list[str]) -> None:
        for t in topics:
            if t not in self.known_topics:
                self.known_topics.add(t)
                self._new_topics.append((t,))
        self._paper_topics.extend((key, t) for t in topics)

    def _add_topics(self, key: str, topics: Iterable[str]) -> None:
        topics = _clean_topics(topics)
        if topics:
            add_topics(self.db, key, topics, known=self.known_topics)


_FTS_INDEXES = [i for i, c in enumerate(INSERT_COLUMNS) if c in FTS_COLUMNS]
_COLUMN_AT = {c: i for i, c in enumerate(INSERT_COLUMNS)}
_PAPERS_INSERT = f"INSERT INTO papers ({', '.join(INSERT_COLUMNS)}) VALUES"
_PAPER_AUTHORS_INSERT = "INSERT INTO paper_authors (paper_key, position, author_id) VALUES"
_PAPER_TOPICS_INSERT = "INSERT OR IGNORE INTO paper_topics (paper_key, topic) VALUES"
# Bound parameters per multi-row statement (SQLite allows 32,766 since 3.32, 999 before).
_MAX_PARAMS = 30000


def _insert_rows(conn: sqlite3.Connection, head: str, rows: list[tuple]) -> None:
    """``head`` (``INSERT ... VALUES``) for every row of ``rows``, many rows to a statement.

    Row by row, a statement on ``papers`` would also flush the FTS5 index each time (see
    :class:`PaperWriter`); for the link tables it only saves the per-statement overhead.
    """
    width = len(rows[0])
    limit = min(_MAX_PARAMS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    step = max(1, limit // width)
    for i in range(0, len(rows), step):
        chunk = rows[i : i + step]
        conn.execute(_values_sql(head, width, len(chunk)), [v for row in chunk for v in row])


@lru_cache(maxsize=32)
def _values_sql(head: str, width: int, rows: int) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return head + " " + ", ".join([one] * rows)


def _clean_topics(topics: Iterable[str]) -> list[str]:
    return [t for t in dict.fromkeys(t.strip() for t in topics) if t]


def _link_topics(
    db: sqlite_utils.Database, key: str, topics: list[str], known: set[str] | None
) -> None:
    conn = db.conn
    for t in topics:
        if known is None or t not in known:
            conn.execute("INSERT OR IGNORE INTO topics (name) VALUES (?)", [t])
            if known is not None:
                known.add(t)
    conn.executemany(
        "INSERT OR IGNORE INTO paper_topics (paper_key, topic) VALUES (?, ?)",
        [(key, t) for t in topics],
    )


def add_topics(
    db: sqlite_utils.Database, key: str, topics: Iterable[str], known: set[str] | None = None
) -> list[str]:
    """Tag paper ``key`` with ``topics`` (created as needed) and refresh its search text;
    returns the topics it did not have yet."""
    topics = _clean_topics(topics)
    had = set(topics_of(db, key))
    _link_topics(db, key, topics, known)
    _refresh_topics_text(db, key)
    return [t for t in topics if t not in had]


def remove_topics(db: sqlite_utils.Database, key: str, topics: Iterable[str]) -> list[str]:
    """Untag paper ``key``; returns the topics it had (and no longer has)."""
    removed = [t for t in dict.fromkeys(topics) if db.conn.execute(
        "DELETE FROM paper_topics WHERE paper_key = ? AND topic = ?", [key, t]).rowcount]
    _refresh_topics_text(db, key)
    return removed


def topics_of(db: sqlite_utils.Database, key: str) -> list[str]:
    return [r[0] for r in db.conn.execute(
        "SELECT topic FROM paper_topics WHERE paper_key = ? ORDER BY topic", [key])]


def _refresh_topics_text(db: sqlite_utils.Database, key: str) -> None:
    names = topics_of(db, key)
    db.conn.execute("UPDATE papers SET topics_text = ? WHERE key = ?", [" ".join(names), key])


# -- reading -----------------------------------------------------------------------------
def _papers_from_rows(db: sqlite_utils.Database, rows: list[dict]) -> list[Paper]:
    if not rows:
        return []
    keys = [r["key"] for r in rows]
    authors: dict[str, list[Author]] = {k: [] for k in keys}
    topics: dict[str, list[str]] = {k: [] for k in keys}
    # Chunk the IN lists below SQLite's variable limit.
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        marks = ",".join("?" * len(chunk))
        for pk, first, last in db.conn.execute(
            f"SELECT pa.paper_key, a.first, a.last FROM paper_authors pa "
            f"JOIN authors a ON a.id = pa.author_id WHERE pa.paper_key IN ({marks}) "
            f"ORDER BY pa.paper_key, pa.position",
            chunk,
        ):
            authors[pk].append(Author(first=first, last=last))
        for pk, topic in db.conn.execute(
            f"SELECT paper_key, topic FROM paper_topics WHERE paper_key IN ({marks}) "
            f"ORDER BY topic",
            chunk,
        ):
            topics[pk].append(topic)
    out = []
    for r in rows:
        data = {f: r.get(f) for f in SCALAR_FIELDS}
        data.update(
            key=r["key"],
            added_at=r.get("added_at"),
            categories=json.loads(r["categories"]) if r.get("categories") else [],
            fields=json.loads(r["fields"]) if r.get("fields") else {},
            authors=authors[r["key"]],
            topics=topics[r["key"]],
        )
        out.append(Paper(**data))
    return out


def get_paper(db: sqlite_utils.Database, ref: str) -> Paper | None:
    """The paper named by a key, an arXiv id or a DOI."""
    key = resolve_key(db, ref)
    if key is None:
        return None
    return _papers_from_rows(db, _rows(db, "SELECT * FROM papers WHERE key = ?", [key]))[0]


def get_papers(db: sqlite_utils.Database, keys: list[str]) -> list[Paper]:
    """Papers by key, in the given order (missing keys skipped)."""
    found: dict[str, dict] = {}
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        marks = ",".join("?" * len(chunk))
        for r in _rows(db, f"SELECT * FROM papers WHERE key IN ({marks})", chunk):
            found[r["key"]] = r
    return _papers_from_rows(db, [found[k] for k in keys if k in found])


SORTS = {
    "key": "key",
    "year": "year DESC, key",
    "added": "added_at DESC, key",
    "title": "title COLLATE NOCASE, key",
}


def list_papers(
    db: sqlite_utils.Database,
    *,
    topic: str | None = None,
    sort: str = "key",
    limit: int | None = None,
) -> list[Paper]:
    """All papers (optionally those tagged ``topic``), sorted by ``sort`` (see :data:`SORTS`)."""
    return list(iter_papers(db, topic=topic, sort=sort, limit=limit))


def iter_papers(
    db: sqlite_utils.Database,
    *,
    topic: str | None = None,
    sort: str = "key",
    limit: int | None = None,
    batch: int = 500,
) -> Iterator[Paper]:
    """Like :func:`list_papers`, read ``batch`` rows at a time (a whole store never sits in
    memory: ``export`` and ``list --json`` stream)."""
    where, params = "", []
    if topic:
        where = "WHERE key IN (SELECT paper_key FROM paper_topics WHERE topic = ?)"
        params.append(topic)
    sql = f"SELECT * FROM papers {where} ORDER BY {SORTS[sort]}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    cur = db.conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    while rows := cur.fetchmany(batch):
        yield from _papers_from_rows(db, [dict(zip(names, r, strict=True)) for r in rows])


def delete_paper(db: sqlite_utils.Database, key: str) -> bool:
    """Remove a paper and its links (the note file, if any, is left on disk)."""
    cur = db.conn.execute("DELETE FROM papers WHERE key = ?", [key])
    db.conn.execute(
        "DELETE FROM authors WHERE id NOT IN (SELECT DISTINCT author_id FROM paper_authors)"
    )
    return cur.rowcount > 0


def set_fields(db: sqlite_utils.Database, key: str, updates: dict) -> None:
    """Set scalar columns of paper ``key`` (``modified_at`` stamped); a no-op when empty."""
    bad = set(updates) - set(SCALAR_FIELDS)
    if bad:
        raise ValueError(f"not scalar paper fields: {sorted(bad)}")
    if not updates:
        return
    values = {**updates, "modified_at": now_iso()}
    sets = ", ".join(f"{column} = ?" for column in values)
    db.conn.execute(f"UPDATE papers SET {sets} WHERE key = ?", [*values.values(), key])
