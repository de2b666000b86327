"""Full-text search over papers (FTS5, bm25 ranking) that accepts anything a person types."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.store import topk
from kb.store.fts import SEARCHED, WEIGHTS, fold

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils

    # sqlite_utils is not imported here: `mtlkb search` runs on a plain connection.
    Connectable = sqlite3.Connection | sqlite_utils.Database

SYNTAX = "\n".join(textwrap.wrap(f"Query syntax. Searched: {SEARCHED}.", 72)) + """
Case, accents and word endings do not matter (sogaard finds Søgaard).

  word word      both words (AND is implied)
  "a phrase"     the words next to each other, in this order
  multi-task     the phrase "multi task" or multitask (and back)
  pref*          a word starting with pref, down to one letter: t*
  "multi ta"*    a phrase whose last word starts with ta
  a OR b         either; AND binds tighter: a OR b c = a OR (b AND c)
  -word          without the word; so does NOT word, and a NOT b
                 (exclusions apply to the whole query; a query of
                 exclusions only matches nothing)
  a NEAR b       both within 10 words; a NEAR/3 b: within 3
  10.1145/3292500.3330989, doi:..., arXiv:1705.07115   a DOI, an arXiv id

Other punctuation is ignored, and so is a quote left open. Ranking: bm25
over every matching paper (title, ids and authors weigh most).
"""

_TOKEN = re.compile(
    r'(?P<neg>(?<![\w"])-)?(?:"(?P<phrase>[^"]*)"(?P<pstar>\*)?'
    r"|(?P<word>\w+(?:[-'./:]\w+)*)(?P<star>\*)?)",
    re.UNICODE,
)
_NEAR = re.compile(r"NEAR(?:/(\d+))?")
_SPLIT_MIN = 3  # each half of a compound (multitask = multi + task) has this many letters


class _Term:
    __slots__ = ("words", "prefix", "compound")

    def __init__(self, words: list[str], prefix: bool, compound: bool = False) -> None:
        self.words, self.prefix = words, prefix
        self.compound = compound  # written with hyphens only: multi-task


class _Unit:  # a term, or terms NEAR each other
    __slots__ = ("terms", "op", "near")

    def __init__(self, terms: list[_Term], op: str, near: int | None = None) -> None:
        self.terms, self.op, self.near = terms, op, near  # op: AND / OR before it


class _Query:
    __slots__ = ("units", "excluded")

    def __init__(self) -> None:
        self.units: list[_Unit] = []
        self.excluded: list[_Term] = []


def _term(m: re.Match) -> _Term | None:
    if m.group("phrase") is not None:
        words = re.findall(r"\w+", m.group("phrase"))
        return _Term(words, bool(m.group("pstar"))) if words else None
    word = m.group("word")
    words = re.findall(r"\w+", word)
    if len(words) > 1 and words[0].lower() in ("doi", "arxiv") and word[len(words[0])] == ":":
        words = words[1:]  # doi:10.1/x, arXiv:1705.07115
    compound = len(words) > 1 and re.fullmatch(r"\w+(?:-\w+)+", word) is not None
    return _Term(words, bool(m.group("star")), compound)


def parse(text: str) -> _Query:
    q = _Query()
    op, negate, near = "AND", False, None
    for m in _TOKEN.finditer(fold(text.replace("\x00", ""))):
        word = m.group("word")
        if word is not None and not m.group("neg") and not m.group("star"):
            if word in ("AND", "OR"):
                op = word if q.units else "AND"
                continue
            if word == "NOT":
                negate = True
                continue
            nm = _NEAR.fullmatch(word)
            if nm:
                if q.units and not negate:
                    near = int(nm.group(1) or 10)
                continue
        term = _term(m)
        if term is None:
            continue
        if negate or m.group("neg"):
            q.excluded.append(term)
        elif near is not None and q.units:
            unit = q.units[-1]
            unit.terms.append(term)
            unit.near = near if unit.near is None else max(unit.near, near)
        else:
            q.units.append(_Unit([term], op if q.units else "AND"))
        op, negate, near = "AND", False, None
    return q


def _phrase(term: _Term) -> str:
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


def _splits(conn: sqlite3.Connection | None, word: str) -> list[str]:
    """Phrases ``"a b"`` found in the index for the compound ``word`` = a + b."""
    if conn is None or term_is_short(word):
        return []
    found = []
    for i in range(_SPLIT_MIN, len(word) - _SPLIT_MIN + 1):
        phrase = f'"{word[:i]} {word[i:]}"'
        if conn.execute("SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT 1",
                        [phrase]).fetchone():
            found.append(phrase)
    return found


def term_is_short(word: str) -> bool:
    return len(word) < 2 * _SPLIT_MIN or not word.isascii() or not word.isalpha()


def _term_phrases(term: _Term, conn: sqlite3.Connection | None, in_near: bool) -> list[str]:
    """The FTS5 phrases ``term`` stands for (any of them matches)."""
    phrase = _phrase(term)
    if in_near or term.prefix:
        return [phrase]
    if term.compound:
        return [phrase, f'"{"".join(term.words)}"']
    if len(term.words) == 1:
        return [phrase, *_splits(conn, term.words[0].lower())]
    return [phrase]


def _alternatives(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


@dataclass
class _Plan:
    query: str | None  # the FTS5 query
    shape: topk.Shape | None  # the same query for the impact lists (None: FTS5 ranks it)


def _plan(q: _Query, conn: sqlite3.Connection | None) -> _Plan:
    parts: list[str] = []
    groups: list[list[list[str]]] = []
    near = False
    for unit in q.units:
        if parts:
            parts.append(unit.op)
        if unit.op == "OR" or not groups:
            groups.append([])
        if unit.near is not None:
            near = True
            inner = " ".join(_phrase(t) for t in unit.terms)
            parts.append(f"NEAR({inner}, {unit.near})")
            continue
        alts = _term_phrases(unit.terms[0], conn, False)
        groups[-1].append(alts)
        parts.append(_alternatives(alts))
    if not parts:
        return _Plan(None, None)
    query = " ".join(parts)
    excluded: list[str] = []
    if q.excluded:
        for t in q.excluded:
            excluded += _term_phrases(t, conn, False)
        query = f"({query}) NOT ({' OR '.join(excluded)})"
    # FTS5 counts a phrase in bm25 when the paper holds it, except inside an AND that an OR
    # sits above (the AND's phrases may or may not count): such queries are ranked by FTS5.
    mixed = len(groups) > 1 and any(len(g) > 1 for g in groups)
    shape = None if near or mixed else topk.Shape(groups, excluded)
    return _Plan(query, shape)


def fts_query(text: str, conn: sqlite3.Connection | None = None) -> str | None:
    """Translate free text to a safe FTS5 query; ``None`` when nothing searchable is left.

    See :data:`SYNTAX`. Words are quoted (so ``-``, ``:``, ``(`` never reach the FTS parser),
    and only AND / OR / NOT / NEAR written in capitals are operators. With ``conn``, a
    single word is also looked for as the two words it is made of (``multitask``).
    """
    return _plan(parse(text), conn).query


# Kept for callers from before the ranking was exact (no paper is left unranked now).
RANK_CAP = 0

_SNIPPET = "snippet(papers_fts, -1, '[', ']', '…', 12)"
_BM25 = "bm25(papers_fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"


@dataclass
class Hit:
    key: str
    score: float
    snippet: str
    title: str
    year: int | None


@dataclass
class Results:
    hits: list[Hit]
    capped: bool  # always False: every matching paper is ranked


def search(db: Connectable, text: str, limit: int = 50) -> list[Hit]:
    """Papers matching ``text``, best first (bm25 with title and authors weighted up)."""
    return search_results(db, text, limit).hits


def search_results(db: Connectable, text: str, limit: int = 50, cap: int | None = None,
                   *, build: bool = False) -> Results:
    """Like :func:`search`, as :class:`Results`. ``db`` is a ``sqlite3.Connection`` or a
    sqlite-utils ``Database``. The top ``limit`` are FTS5's own bm25 top ``limit``: read
    from the impact lists of :mod:`kb.store.topk` where they prove it, else ranked by FTS5
    over every match. ``build``: the store may be written to make a missing list."""
    conn: sqlite3.Connection = getattr(db, "conn", db)
    plan = _plan(parse(text), conn)
    query = plan.query
    if not query or limit <= 0:
        return Results([], False)
    best = topk.top(conn, plan.shape, limit, build) if plan.shape else None
    if best is None:
        # SQLite's sorter keeps the best ``limit`` rows in a heap as bm25 is worked out for
        # each match; FTS5's own ORDER BY rank sorts them all through a nested statement
        # (~1.6x the time on a broad query). Same scores; snippets only for the rows kept.
        best = conn.execute(
            f"SELECT {_BM25} AS score, rowid FROM papers_fts WHERE papers_fts MATCH ? "
            "ORDER BY score, rowid LIMIT ?",
            [query, limit],
        ).fetchall()
    if not best:
        return Results([], False)
    details = _details(conn, query, [r[1] for r in best])
    hits = []
    for score, rowid in best:
        key, snip, title, year = details[rowid]
        hits.append(Hit(key, score, snip, title, year))
    return Results(hits, False)


def prepare_lists(conn: sqlite3.Connection, sample: int = 2000,
                  wait_ms: int | None = None) -> int:
    """Make ahead the impact lists (:mod:`kb.store.topk`) that searches of broad words,
    prefixes and hyphenated terms (both ways: ``multi-task``, ``multitask``) would make on
    first use, and the hyphenated terms' postings (for ANDs with them), after merging the
    index's segments into one; how many were made. ``conn`` must be writable; ``wait_ms``:
    how long the merge waits for another writer (each list never waits: it is not made)."""
    def lists() -> int:
        return conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0]

    before = lists()
    topk.merge_segments(conn, wait_ms)
    topk.prepare(conn, sample)
    # words that a search also looks for as two (datasets: "data sets"), hyphenated terms
    words = [r[0].strip('"') for r in conn.execute(
        "SELECT phrase FROM papers_fts_lists WHERE phrase NOT LIKE '%*' AND dfs IS NULL")]
    texts = [w for w in words if not term_is_short(w)]
    compounds = set()
    for compound in topk.broad_compounds(conn, sample):
        compounds |= {compound, compound.replace("-", "")}
        texts += [compound, compound.replace("-", "")]
    have = {r[0] for r in conn.execute("SELECT phrase FROM papers_fts_lists")}
    for text in dict.fromkeys(texts):
        shape = _plan(parse(text), conn).shape
        if not shape or len(shape.groups) != 1 or len(shape.groups[0]) != 1:
            continue
        phrases = shape.groups[0][0]
        if len(phrases) > 1 and text in compounds and topk.lists.rest_key(phrases) not in have:
            # a hyphenated term's postings (an AND with it looks its shares up)
            if topk.lists.build_rest(conn, phrases):
                have.add(topk.lists.rest_key(phrases))
        if " OR ".join(phrases).lower() in have:
            continue
        if len(phrases) > 1:
            topk.build_union(conn, phrases)
        else:
            topk.build_list(conn, phrases[0])
    return lists() - before


def _details(conn: sqlite3.Connection, query: str, rowids: list[int]) -> dict[int, tuple]:
    """Key, snippet, title and year of the papers ``rowids``, which all match ``query``.

    Seeking each paper by rowid is cheap for words, phrases and prefixes of up to 3 letters
    (FTS5's prefix indexes); a longer prefix's merged list would be rebuilt at every seek,
    so then the range of rowids is walked once instead.
    """
    marks = ",".join("?" * len(rowids))
    if re.search(r'\w{4,}"\*', query):  # a prefix longer than the prefix indexes
        where = f"papers_fts.rowid BETWEEN ? AND ? AND +papers_fts.rowid IN ({marks})"
        args = [min(rowids), max(rowids), *rowids]
    else:
        where, args = f"papers_fts.rowid IN ({marks})", list(rowids)
    details = {
        row[0]: row[1:]
        for row in conn.execute(
            f"SELECT p.rowid, p.key, {_SNIPPET}, p.title, p.year FROM papers_fts "
            f"JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ? AND {where}",
            [query, *args],
        )
    }
    return details
