"""Everything the site shows, gathered once per build from the store, notes and runs.

Per-paper extras come from :func:`kb.show.paper_record` (note status, social record, linked
reproductions). The adapters below accept the shapes those modules return and fall back to
reading the core tables / the note file when one of them cannot be imported.
"""

from __future__ import annotations

import bisect
import heapq
import importlib
import json
import re
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.config import KB
from kb.models import Paper
from kb.site.escape import slug

QUESTION = re.compile(r"^\s*__\*(.+?)\*__\s*$")
HEADER = re.compile(r"\A\s*<!--(.*?)-->\s*", re.S)
HEADING = re.compile(r"^#{1,6}\s")
FUTURE = re.compile(r"^#{1,6}\s*future reading\s*$", re.I)
TOPIC_WINDOW = 40  # related papers: in a big topic, look at the 2 x 40 nearest in year
KEYLIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.+-]*")


@dataclass
class NoteInfo:
    exists: bool = False
    path: Path | None = None
    body: str = ""            # the note's Markdown without its HTML-comment header
    header: dict[str, Any] = field(default_factory=dict)
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
    repros: dict[str, list[dict[str, Any]]]       # paper key -> linked reproductions
    author_slug: dict[str, str]                    # author name -> anchor on its letter page
    author_group: dict[str, str]                   # author name -> letter page ("k", "other")
    author_papers: dict[str, list[str]]            # author name -> paper keys
    topic_slug: dict[str, str]
    topic_papers: dict[str, list[str]]
    taxonomy: dict[str, dict[str, Any]]            # topic id -> {title, parent, description}
    collections: list[dict[str, Any]]              # {name, description, papers: [keys]}
    reproductions: list[dict[str, Any]]            # registry summary + runs + linked papers
    future_in: dict[str, list[str]]                # key -> keys whose note lists it
    future_out: dict[str, list[str]]
    _cache: dict[str, Any] = field(default_factory=dict)

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
def parse_note(text: str) -> NoteInfo:
    """Header, body, questions answered and Future-reading refs of a note's text."""
    info = NoteInfo(exists=True)
    m = HEADER.match(text)
    body = text
    if m:
        try:
            header = json.loads(m.group(1).strip() or "{}")
            if isinstance(header, dict):
                info.header = header
        except json.JSONDecodeError:
            pass
        body = text[m.end():]
    info.body = body
    lines = body.splitlines()
    in_fence = False
    current_q: bool | None = None
    answered = questions = 0
    in_future = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            if current_q is False:
                current_q = True
            continue
        if in_fence:
            continue
        if QUESTION.match(line):
            if current_q:
                answered += 1
            questions += 1
            current_q = False
            in_future = False
            continue
        if HEADING.match(line):
            if current_q:
                answered += 1
            current_q = None
            in_future = bool(FUTURE.match(line.strip()))
            continue
        if line.strip() and current_q is False:
            current_q = True
        if in_future and line.strip():
            info.future.extend(_refs(line))
    if current_q:
        answered += 1
    info.answered, info.questions = answered, questions
    minutes = info.header.get("estimated_minutes")
    spent = re.search(r"^Time spent:[ \t]*\*?(\d+)\*?[ \t]*min", body, re.M)
    try:
        info.minutes = int(spent.group(1)) if spent else int(minutes or 0)
    except (TypeError, ValueError):
        info.minutes = 0
    read_on = re.search(r"^Read on:[ \t]*(\S+)", body, re.M)
    info.read_on = read_on.group(1) if read_on else None
    return info


def _refs(line: str) -> list[str]:
    """Paper refs on a Future-reading line: [[key]], [text](key), arXiv URLs/ids, bare keys."""
    out = re.findall(r"\[\[([^\]]+)\]\]", line)
    out += re.findall(r"\]\(([^)\s]+)\)", line)
    out += re.findall(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?(?=[\s)>\]]|$)", line)
    out += re.findall(r"`([^`]+)`", line)
    stripped = line.strip().lstrip("-*+ ").strip()
    if KEYLIKE.fullmatch(stripped):
        out.append(stripped)
    return [r.strip() for r in out if r.strip()]


def _note_from_record(value: Any, path: Path) -> NoteInfo:
    """Merge what ``kb.notes.status.note_for`` said with the file itself (body, future)."""
    info = NoteInfo()
    if path.is_file():
        try:
            info = parse_note(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            info = NoteInfo()
        info.path = path
    if isinstance(value, dict):  # the notes index is the authority on counts and dates
        for name in ("answered", "questions", "minutes"):
            v = value.get(name)
            if isinstance(v, int) and not isinstance(v, bool):
                setattr(info, name, v)
            elif name == "minutes" and v is None:
                info.minutes = 0
        info.read_on = str(value["read_on"]) if value.get("read_on") else None
        fut = value.get("future")
        if isinstance(fut, list) and fut:
            refs = []
            for x in fut:
                if isinstance(x, dict):
                    x = x.get("key") or x.get("ref")
                if x:
                    refs.append(str(x))
            info.future = refs
    return info


def _indexed_notes(kb: KB) -> dict[str, dict[str, Any]]:
    """The notes index (kb.notes.status.list_notes, synced first) plus future refs, by key."""
    list_notes = _call("kb.notes.status", "list_notes")
    if list_notes is None:
        return {}
    try:
        items = {i["key"]: dict(i) for i in list_notes(kb)}
        for key, future in kb.db.conn.execute("SELECT paper_key, future FROM notes"):
            if key in items:
                try:
                    items[key]["future"] = json.loads(future) if future else []
                except (TypeError, ValueError):
                    items[key]["future"] = []
    except Exception:  # noqa: BLE001 - fall back to per-paper note_for
        return {}
    return items


# -- social ------------------------------------------------------------------------------
def _social_fallback(kb: KB, key: str) -> dict[str, Any]:
    conn = kb.db.conn
    row = conn.execute("SELECT vote, saved FROM paper_social WHERE paper_key = ?", [key]).fetchone()
    cols = [r[0] for r in conn.execute(
        "SELECT collection FROM collection_papers WHERE paper_key = ? ORDER BY collection", [key])]
    cur = conn.execute(
        "SELECT strength, concern, question, created_at FROM reviews WHERE paper_key = ? "
        "ORDER BY id", [key])
    reviews = [dict(zip(("strength", "concern", "question", "created_at"), r, strict=True))
               for r in cur.fetchall()]
    return {"vote": row[0] if row else 0, "saved": bool(row[1]) if row else False,
            "collections": cols, "reviews": reviews}


def _call(module: str, func: str):
    try:
        return getattr(importlib.import_module(module), func)
    except (ModuleNotFoundError, AttributeError):
        return None


# -- taxonomy ----------------------------------------------------------------------------
def load_taxonomy(kb: KB) -> dict[str, dict[str, Any]]:
    """Topic id -> {title, parent, description}: kb/data/taxonomy.toml, then the topics table."""
    out: dict[str, dict[str, Any]] = {}
    path = Path(__file__).resolve().parent.parent / "data" / "taxonomy.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for tid, spec in (data.get("topics") or {}).items():
                if isinstance(spec, dict):
                    out[str(tid)] = {k: spec.get(k) for k in ("title", "parent", "description")}
        except (OSError, tomllib.TOMLDecodeError):
            pass
    try:
        for name, title, parent, desc in kb.db.conn.execute(
            "SELECT name, title, parent, description FROM topics"
        ):
            spec = out.setdefault(name, {"title": None, "parent": None, "description": None})
            spec["title"] = spec["title"] or title
            spec["parent"] = spec["parent"] or parent
            spec["description"] = spec["description"] or desc
    except Exception:  # noqa: BLE001 - an older store without these columns
        pass
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
    from kb.store.papers import list_papers

    refresh = _call("kb.notes_hook", "refresh_notes")
    if refresh is not None:
        try:
            refresh(kb)
        except ModuleNotFoundError:
            pass
    papers = list_papers(kb.db, sort="added")
    by_key = {p.key: p for p in papers if p.key}
    note_for = _call("kb.notes.status", "note_for")
    social_record = _call("kb.social", "social_record")
    linked = _call("kb.runs", "linked_reproductions")
    indexed = _indexed_notes(kb)
    notes: dict[str, NoteInfo] = {}
    social: dict[str, dict[str, Any]] = {}
    repros: dict[str, list[dict[str, Any]]] = {}
    for p in papers:
        key = p.key
        assert key is not None
        path = kb.notes_dir / f"{key}.md"
        if key in indexed:  # one query for all, instead of note_for per paper
            record = indexed[key]
        elif note_for is not None and path.is_file():
            record = note_for(kb, key)
        else:
            record = None
        notes[key] = _note_from_record(record, path)
        social[key] = social_record(kb, key) if social_record else _social_fallback(kb, key)
        repros[key] = linked(kb, key) if linked else []

    author_papers: dict[str, list[str]] = defaultdict(list)
    author_group: dict[str, str] = {}
    topic_papers: dict[str, list[str]] = defaultdict(list)
    for p in papers:
        for a in p.authors:
            if a.name and p.key not in author_papers[a.name]:
                author_papers[a.name].append(p.key)
                if a.name not in author_group:
                    author_group[a.name] = group_of(a.last or a.name)
        for t in p.topics:
            topic_papers[t].append(p.key)
    taxonomy = load_taxonomy(kb)
    topic_names = set(topic_papers) | set(taxonomy)
    for spec in taxonomy.values():
        if spec.get("parent"):
            topic_names.add(spec["parent"])

    collections = []
    conn = kb.db.conn
    members: dict[str, list[str]] = defaultdict(list)
    for name, key in conn.execute(
        "SELECT collection, paper_key FROM collection_papers "
        "ORDER BY collection, added_at, paper_key"
    ):
        members[name].append(key)
    for name, desc in conn.execute("SELECT name, description FROM collections ORDER BY name"):
        collections.append({"name": name, "description": desc, "papers": members.get(name, [])})

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


def gather_reproductions(kb: KB) -> list[dict[str, Any]]:
    """Each registered reproduction with its runs (newest first) and linked papers."""
    try:
        from reproductions import registry
    except ModuleNotFoundError:
        return []
    runs_for = _call("kb.runs", "runs_for")
    linked_papers = _call("kb.runs", "linked_papers")
    out = []
    for r in registry.REPRODUCTIONS:
        item = r.summary()
        item["runs"] = runs_for(kb, r.id) if runs_for else []
        try:
            item["papers"] = [p["key"] for p in linked_papers(kb, r.id)] if linked_papers else []
        except Exception:  # noqa: BLE001 - a broken link must not stop the site
            item["papers"] = []
        out.append(item)
    return out


def related(data: SiteData, key: str, limit: int = 8) -> list[tuple[str, int, int]]:
    """Papers sharing authors (weight 2) and topics (weight 1): (key, authors, topics).

    For a prolific author or a big topic only the 2 x TOPIC_WINDOW papers nearest in year
    are looked at, so the cost per paper stays bounded at thousands of papers.
    """
    p = data.by_key[key]
    year = p.year or 0
    shared_a: Counter[str] = Counter()
    shared_t: Counter[str] = Counter()
    for counter, index, names in (
        (shared_a, data.by_year(data.author_papers, "_a"), [a.name for a in p.authors]),
        (shared_t, data.by_year(data.topic_papers, "_t"), p.topics),
    ):
        for name in names:
            members = index.get(name, [])
            if len(members) > 2 * TOPIC_WINDOW:
                i = bisect.bisect_left(members, (year, key))
                members = members[max(0, i - TOPIC_WINDOW): i + TOPIC_WINDOW + 1]
            for _, k in members:
                counter[k] += 1
    shared_a.pop(key, None)
    shared_t.pop(key, None)
    years = data.year_of()
    scored = [(-(2 * shared_a[k] + shared_t[k]), abs(years[k] - year), k)
              for k in shared_a.keys() | shared_t.keys()]
    return [(k, shared_a[k], shared_t[k]) for _, _, k in heapq.nsmallest(limit, scored)]


def latest_full_run(kb: KB, summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The full run row behind a run summary (``latest_run`` of a linked reproduction)."""
    if not summary:
        return None
    get_run = _call("kb.runs", "get_run")
    run_id = summary.get("run_id") or summary.get("id")
    if get_run is None or not run_id:
        return None
    return get_run(kb, run_id)
