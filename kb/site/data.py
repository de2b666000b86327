"""Everything the site shows, gathered once per build from the store, notes and runs.

Note status comes from the notes index (:mod:`kb.notes.status`, synced first), the social
record from :mod:`kb.core.social`, reproductions and their runs from :mod:`kb.repro` as
models (:class:`~kb.models.reproduction.LinkedReproduction` per paper,
:class:`~kb.models.reproduction.ReproductionRuns` per reproduction, :class:`~kb.models.run.Run`).
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import neg, sub
from pathlib import Path
from typing import Any

from kb.config import KB
from kb.models import Paper, PaperVersion
from kb.models.reproduction import LinkedReproduction, ReproductionRuns
from kb.models.run import Run, RunSummary
from kb.repro.links import all_linked_reproductions, linked_papers
from kb.repro.runs import get_run, runs_for
from kb.site.escape import slug
from kb.site.names import display_name
from kb.store import social as store_social
from kb.store.topics import stored_topics
from kb.store.versions import all_versions
from reproductions import registry

HEADER = re.compile(r"\A\s*<!--.*?-->\s*", re.S)
TOPIC_WINDOW = 40  # related papers: in a big topic, look at the 2 x 40 nearest in year


@dataclass
class NoteInfo:
    exists: bool = False
    path: Path | None = None
    body: str = ""            # the note's Markdown without its HTML-comment header
    answered: int = 0
    questions: int = 0
    minutes: int = 0
    read_on: str | None = None
    future: list[str] = field(default_factory=list)  # paper refs listed under Future reading

    @property
    def status(self) -> str:
        if not self.exists:
            return "none"
        if self.questions and self.answered >= self.questions:
            return "complete"
        return "started" if self.answered else "unread"


@dataclass
class SiteData:
    kb: KB
    papers: list[Paper]
    by_key: dict[str, Paper]
    notes: dict[str, NoteInfo]
    social: dict[str, dict[str, Any]]
    repros: dict[str, list[LinkedReproduction]]   # paper key -> linked reproductions
    author_slug: dict[str, str]                    # author name -> anchor on its letter page
    author_group: dict[str, str]                   # author name -> letter page ("k", "other")
    author_papers: dict[str, list[str]]            # author name -> paper keys
    topic_slug: dict[str, str]
    topic_papers: dict[str, list[str]]
    taxonomy: dict[str, dict[str, Any]]            # topic id -> {title, parent, description}
    collections: list[dict[str, Any]]              # {name, description, papers: [keys]}
    reproductions: list[ReproductionRuns]          # each with its runs and linked papers
    future_in: dict[str, list[str]]                # key -> keys whose note lists it
    future_out: dict[str, list[str]]
    _cache: dict[str, Any] = field(default_factory=dict)
    note_cache: Any = None  # kb.site.note_cache.NoteCache, set by the generator
    related_file: Path | None = None  # where all_related keeps its result between builds

    def versions_of(self, key: str) -> list[PaperVersion]:
        """Paper ``key``'s versions (a preprint and its published version; issue 15)."""
        if "versions" not in self._cache:
            self._cache["versions"] = all_versions(self.kb.db)
        return self._cache["versions"].get(key, [])

    def year_of(self) -> dict[str, int]:
        if "years" not in self._cache:
            self._cache["years"] = {k: p.year or 0 for k, p in self.by_key.items()}
        return self._cache["years"]

    def by_year(self, groups: dict[str, list[str]], name: str) -> dict[str, list[tuple[int, str]]]:
        """Group -> its papers as sorted (year, key) pairs (computed once per build)."""
        if name not in self._cache:
            years = self.year_of()
            self._cache[name] = {g: sorted((years[k], k) for k in ks) for g, ks in groups.items()}
        return self._cache[name]


# -- notes -------------------------------------------------------------------------------
def note_body(path: Path) -> str:
    """A note's Markdown without its HTML-comment header (what the paper page renders)."""
    try:
        # open() rather than Path.read_text: the same text (universal newlines), a quarter
        # of the time at 5,000 notes
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return ""
    m = HEADER.match(text)
    return text[m.end():] if m else text


def indexed_notes(kb: KB) -> dict[str, NoteInfo]:
    """Every note the index knows (sync it first), by paper key, in one pass."""
    from kb.notes.status import list_notes

    out = {}
    for item in list_notes(kb):
        path = kb.root / item.path
        out[item.key] = NoteInfo(
            exists=True, path=path, body=note_body(path), answered=item.answered,
            questions=item.questions, minutes=item.minutes or 0, read_on=item.read_on,
            future=[r.ref for r in item.future if r.ref],
        )
    return out


# -- taxonomy ----------------------------------------------------------------------------
def load_taxonomy(kb: KB) -> dict[str, dict[str, Any]]:
    """Topic id -> {title, parent, description}: the taxonomy, then the KB's own topics."""
    from kb.core.taxonomy import load_taxonomy as taxonomy

    out = {t.name: {"title": t.title, "parent": t.parent, "description": t.description}
           for t in taxonomy()}
    for row in stored_topics(kb.db):
        name, title, parent, desc = (row["name"], row["title"], row["parent"],
                                     row["description"])
        spec = out.setdefault(name, {"title": None, "parent": None, "description": None})
        spec["title"] = spec["title"] or title
        spec["parent"] = spec["parent"] or parent
        spec["description"] = spec["description"] or desc
    return out


# -- slugs -------------------------------------------------------------------------------
def unique_slugs(names: list[str]) -> dict[str, str]:
    """Stable, collision-free slugs: names sorted, later duplicates get -2, -3, ..."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names)):
        base = slug(name)
        s, i = base, 2
        while s in used:
            s, i = f"{base}-{i}", i + 1
        used.add(s)
        out[name] = s
    return out


def group_of(last_name: str) -> str:
    """The author-index page of a last name: its first letter (ASCII), else ``other``."""
    first = slug(last_name)[:1]
    return first if first.isalpha() else "other"


# -- the whole ---------------------------------------------------------------------------
def gather(kb: KB) -> SiteData:
    from kb.notes.index import sync_notes as refresh_notes
    from kb.store.papers import list_papers

    refresh_notes(kb)
    papers = list_papers(kb.db, sort="added")
    by_key = {p.key: p for p in papers if p.key}
    indexed = indexed_notes(kb)
    notes: dict[str, NoteInfo] = {}
    social: dict[str, dict[str, Any]] = {}
    repros: dict[str, list[LinkedReproduction]] = {}
    socials = store_social.all_social_records(kb.conn)
    linked = all_linked_reproductions(kb)
    for p in papers:
        key = p.key
        assert key is not None
        notes[key] = indexed.get(key) or NoteInfo()
        found = socials.get(key)
        social[key] = found.public_dict() if found else _no_social()
        repros[key] = linked.get(key, [])

    author_papers: dict[str, list[str]] = defaultdict(list)
    author_group: dict[str, str] = {}
    topic_papers: dict[str, list[str]] = defaultdict(list)
    for p in papers:
        for a in p.authors:
            if display_name(a) and p.key not in author_papers[display_name(a)]:
                author_papers[display_name(a)].append(p.key)
                if display_name(a) not in author_group:
                    author_group[display_name(a)] = group_of(a.last or display_name(a))
        for t in p.topics:
            topic_papers[t].append(p.key)
    taxonomy = load_taxonomy(kb)
    topic_names = set(topic_papers) | set(taxonomy)
    for spec in taxonomy.values():
        if spec.get("parent"):
            topic_names.add(spec["parent"])

    collections = [{"name": c.name, "description": c.description, "papers": c.papers}
                   for c in store_social.collections(kb.db, order="name")]

    future_out: dict[str, list[str]] = {}
    future_in: dict[str, list[str]] = defaultdict(list)
    resolve = _resolver(papers)
    for key, info in notes.items():
        outs = []
        for ref in info.future:
            target = resolve(ref)
            if target and target != key and target not in outs:
                outs.append(target)
        future_out[key] = outs
        for t in outs:
            future_in[t].append(key)

    return SiteData(
        kb=kb, papers=papers, by_key=by_key, notes=notes, social=social, repros=repros,
        author_slug=unique_slugs(list(author_papers)), author_group=author_group,
        author_papers=dict(author_papers),
        topic_slug=unique_slugs(sorted(topic_names)), topic_papers=dict(topic_papers),
        taxonomy=taxonomy, collections=collections,
        reproductions=gather_reproductions(kb), future_in=dict(future_in), future_out=future_out,
    )


def _no_social() -> dict[str, Any]:
    """``SocialRecord().public_dict()``, without a model per paper (most papers have none)."""
    return {"vote": 0, "saved": False, "collections": [], "reviews": []}


def _resolver(papers: list[Paper]):
    keys = {p.key: p.key for p in papers}
    arxiv = {p.arxiv_id: p.key for p in papers if p.arxiv_id}
    doi = {p.doi.lower(): p.key for p in papers if p.doi}

    def resolve(ref: str) -> str | None:
        ref = ref.strip().strip("<>").removesuffix(".md").removesuffix(".html")
        ref = ref.rsplit("/", 1)[-1] if "/" in ref and "arxiv.org" not in ref else ref
        if ref in keys:
            return keys[ref]
        bare = re.sub(r"v\d+$", "", ref)
        if bare in arxiv:
            return arxiv[bare]
        return doi.get(ref.lower())

    return resolve


def gather_reproductions(kb: KB) -> list[ReproductionRuns]:
    """Each registered reproduction with its runs (newest first) and linked papers."""
    return [ReproductionRuns.of(r, runs=runs_for(kb, r.id),
                                papers=[p.key for p in linked_papers(kb, r.id)])
            for r in registry.REPRODUCTIONS]


def related(data: SiteData, key: str, limit: int = 8) -> list[tuple[str, int, int]]:
    """Papers sharing authors (weight 2) and topics (weight 1): (key, authors, topics).

    For a prolific author or a big topic only the 2 x TOPIC_WINDOW papers nearest in year
    are looked at, so the cost per paper stays bounded at thousands of papers. Computed for
    every paper at once (:func:`all_related`, once per build) and read from there.
    """
    return all_related(data, limit).get(key, [])


def all_related(data: SiteData, limit: int = 8) -> dict[str, list[tuple[str, int, int]]]:
    """:func:`related` of every paper, in one pass over the author and topic indexes; kept
    in ``data.related_file`` (when set) with a digest of what it is computed from (each
    paper's key, year, authors and topics, in order), and read from there while that holds."""
    import json

    from kb.site.page_cache import code_version, digest

    name = f"related:{limit}"
    if name in data._cache:
        return data._cache[name]
    inputs = digest((code_version(), limit, TOPIC_WINDOW, [
        (p.key, p.year, [display_name(a) for a in p.authors], p.topics) for p in data.papers]))
    if data.related_file is not None:
        try:
            raw = json.loads(data.related_file.read_text(encoding="utf-8"))
            if raw.get("inputs") == inputs:
                kept = {k: [tuple(x) for x in v] for k, v in raw["related"].items()}
                data._cache[name] = kept
                return kept
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass
    out = _compute_related(data, limit)
    data._cache[name] = out
    if data.related_file is not None:
        tmp = data.related_file.with_name(data.related_file.name + ".tmp")
        tmp.write_text(json.dumps({"inputs": inputs, "related": out}, separators=(",", ":")),
                       encoding="utf-8")
        tmp.replace(data.related_file)
    return out


def _compute_related(data: SiteData, limit: int) -> dict[str, list[tuple[str, int, int]]]:
    years = data.year_of()
    groups = []
    for index_name, members in (("_a", data.author_papers), ("_t", data.topic_papers)):
        index = data.by_year(members, index_name)
        groups.append({g: (pairs, [k for _, k in pairs]) for g, pairs in index.items()})
    authors_of, topics_of = groups
    empty: tuple[list, list] = ([], [])
    big = 2 * TOPIC_WINDOW
    out: dict[str, list[tuple[str, int, int]]] = {}
    for p in data.papers:
        key = p.key
        if key is None:
            continue
        year = p.year or 0
        counts = []
        for index, names in ((authors_of, [display_name(a) for a in p.authors]),
                             (topics_of, p.topics)):
            chunks = []
            for g in names:
                pairs, keys = index.get(g, empty)
                if len(pairs) > big:
                    i = bisect.bisect_left(pairs, (year, key))
                    chunks.append(keys[max(0, i - TOPIC_WINDOW): i + TOPIC_WINDOW + 1])
                else:
                    chunks.append(keys)
            counted = Counter(chain.from_iterable(chunks))  # counted in C
            counted.pop(key, None)
            counts.append(counted)
        shared_a, shared_t = counts
        score = shared_t.copy()
        for k, n in shared_a.items():
            score[k] += 2 * n
        if not score:
            out[key] = []
            continue
        # (-score, |year difference|, key) of every candidate, built by C-level maps
        ks = list(score)
        dys = map(abs, map(sub, [years[k] for k in ks], repeat(year)))
        scored = zip(map(neg, score.values()), dys, ks, strict=True)
        out[key] = [(k, shared_a[k], shared_t[k]) for _, _, k in heapq.nsmallest(limit, scored)]
    return out


def latest_full_run(kb: KB, summary: RunSummary | None) -> Run | None:
    """The whole run behind a run summary (``latest_run`` of a linked reproduction)."""
    return get_run(kb, summary.run_id) if summary is not None else None
