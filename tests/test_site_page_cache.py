"""The generator's caches (issue 17: the one-note rebuild at 5,000 papers).

Pages are kept from the last build when a digest of what they read is unchanged
(``.staging/pages_inputs.json``), related papers are kept while the papers' authors, topics
and years are (``.staging/related.json``), and the search index is re-packed from the last
one (``.staging/search_packed.json``). Each change below must leave the staging docs byte for
byte what a clean generation makes, and write exactly the pages whose bytes that changes.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kbtest import make_paper, put
from test_site_generate import populate

from kb.config import KB
from kb.models import Author
from kb.site import generate as gen_module
from kb.site.generate import generate
from kb.site.search_index import pack, repack

CITER_NOTE = """<!--
{"title": "Citer", "estimated_minutes": "20"}
-->
### A citing paper

__*What questions are the authors addressing?*__

How [[ruder2017overview]] frames sharing.
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


@pytest.fixture
def site_kb(tmp_path: Path) -> KB:
    from kb.core.citations import cite
    from kb.core.init import init_kb

    kb = KB(tmp_path / "kb")
    init_kb(kb)
    populate(kb, with_run=False)
    put(kb, make_paper(key="citer2021", title="A citing paper", arxiv_id="2101.00001",
                       year=2021, authors=[Author(first="Sebastian", last="Ruder"),
                                           Author(first="Ana", last="Lopes")],
                       topics=["surveys"]),
        make_paper(key="loner2019", title="An unrelated paper", arxiv_id="1901.00002",
                   year=2019, authors=[Author(first="Omar", last="Solo")], topics=["theory"]))
    cite(kb, "citer2021", ["ruder2017overview"])
    (kb.notes_dir / "citer2021.md").write_text(CITER_NOTE, encoding="utf-8")
    yield kb
    kb.close()


class Rebuilds:
    """Generate into the staging folder and check each rebuild against a clean one."""

    def __init__(self, kb: KB, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kb, self.tmp, self.n = kb, tmp, 0
        self.generated: list[str] = []
        real = gen_module.paper_page

        def spy(data, p, artifacts):
            self.generated.append(p.key)
            return real(data, p, artifacts)

        monkeypatch.setattr(gen_module, "paper_page", spy)
        self.docs = generate(kb).docs_dir

    def rebuild(self) -> tuple[set[str], set[str]]:
        """(pages written, pages removed); asserts the staging docs equal a clean build and
        that exactly the pages whose bytes changed were written."""
        before = _tree(self.docs)
        self.generated.clear()
        stats = generate(self.kb)
        after = _tree(self.docs)
        generated = list(self.generated)
        self.n += 1
        clean_dir = self.tmp / f"clean{self.n}"
        generate(self.kb, clean_dir)
        self.generated[:] = generated  # the pages the incremental build generated
        clean = _tree(clean_dir)
        assert sorted(after) == sorted(clean)
        differ = sorted(k for k in after if after[k] != clean[k])
        assert differ == [], differ
        changed = {k for k in after if before.get(k) != after[k]}
        assert set(stats.written) == changed
        assert set(stats.removed) == set(before) - set(after)
        return set(stats.written), set(stats.removed)


def test_each_change_rewrites_exactly_its_pages(site_kb: KB, tmp_path: Path, monkeypatch):
    from kb.core.comments import add_comment
    from kb.core.papers import remove, tag
    from kb.store.papers import set_fields

    kb = site_kb
    r = Rebuilds(kb, tmp_path, monkeypatch)
    staging = kb.root / ".staging"
    for name in ("pages_inputs.json", "related.json"):
        assert (staging / name).is_file()

    # no change: nothing written, no paper page generated but the one with a reproduction
    # (kendall2018multi's arXiv id is kendall-uncertainty's: it shows runs and plots)
    written, _ = r.rebuild()
    assert written == set()
    assert r.generated == ["kendall2018multi"]

    # an edited note: its page, and only its page generated
    note = kb.notes_dir / "citer2021.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA new thought: wombat.\n",
                    encoding="utf-8")
    written, _ = r.rebuild()
    assert "papers/citer2021.md" in written
    assert sorted(r.generated) == ["citer2021", "kendall2018multi"]
    assert "wombat" in (r.docs / "papers/citer2021.md").read_text(encoding="utf-8")

    # a linked paper's new title: the pages linking it ([[key]] in a note, a citation,
    # future reading) show it
    with kb.write() as db:
        set_fields(db, "ruder2017overview", {"title": "A retitled overview"})
    written, _ = r.rebuild()
    for page in ("papers/ruder2017overview.md", "papers/citer2021.md",
                 "papers/kendall2018multi.md", "topics/surveys.md"):
        assert page in written
        assert "A retitled overview" in (r.docs / page).read_text(encoding="utf-8")
    assert "papers/loner2019.md" not in written
    assert "loner2019" not in r.generated

    # a comment: its paper's page only
    add_comment(kb, "loner2019", "A first comment")
    written, _ = r.rebuild()
    assert {w for w in written if w.startswith("papers/")} == {"papers/loner2019.md"}

    # new topics for a paper: related papers everywhere computed again (related.json)
    tag(kb, "loner2019", ["surveys"])
    written, _ = r.rebuild()
    assert "papers/loner2019.md" in written and "papers/citer2021.md" in written

    # a new run: its reproduction's page and its paper's page
    run_id = "kendall-uncertainty-20990101T000000-s0-cafe00"
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    with kb.write() as db:
        db["runs"].insert({
            "id": run_id, "reproduction": "kendall-uncertainty", "status": "done",
            "scale": "smoke", "seed": 0, "device": "cpu", "metrics": '{"sigma": 1.5}',
            "verdicts": "[]", "artifacts": "[]", "started_at": now, "finished_at": now,
            "wall_s": 1.0, "reference": 0}, replace=True)
    written, _ = r.rebuild()
    assert "reproductions/kendall-uncertainty.md" in written
    assert "papers/kendall2018multi.md" in written
    assert run_id in (r.docs / "papers/kendall2018multi.md").read_text(encoding="utf-8")

    # a deleted paper: its page goes, the pages listing it change
    remove(kb, ["ruder2017overview"])
    written, removed = r.rebuild()
    assert "papers/ruder2017overview.md" in removed
    assert "papers/citer2021.md" in written and "papers/kendall2018multi.md" in written


def test_a_changed_generator_regenerates_every_page(site_kb: KB, tmp_path, monkeypatch):
    r = Rebuilds(site_kb, tmp_path, monkeypatch)
    cache = site_kb.root / ".staging" / "pages_inputs.json"
    raw = json.loads(cache.read_text(encoding="utf-8"))
    raw["version"] = "an older generator"
    cache.write_text(json.dumps(raw), encoding="utf-8")
    r.rebuild()
    assert sorted(r.generated) == sorted(p for p in ("citer2021", "evil2020",
                                                     "kendall2018multi", "loner2019",
                                                     "ruder2017overview"))


def test_a_staged_page_edited_by_hand_is_generated_again(site_kb: KB, tmp_path, monkeypatch):
    r = Rebuilds(site_kb, tmp_path, monkeypatch)
    page = r.docs / "papers" / "loner2019.md"
    good = page.read_bytes()
    page.write_bytes(good + b"\nedited\n")
    written, _ = r.rebuild()
    assert written == {"papers/loner2019.md"}
    assert page.read_bytes() == good


def _entries(rng: random.Random, n_pages: int) -> dict[str, list[dict]]:
    words = "alpha beta gamma delta Müller 多任务学习 loss weighting <b>bold</b> &amp; x1".split()
    pages = {}
    for i in range(n_pages):
        pages[f"papers/p{i}.html"] = [
            {"location": f"papers/p{i}.html#s{j}", "title": " ".join(rng.sample(words, 2)),
             "text": " ".join(rng.choices(words, k=rng.randint(0, 12))),
             **({"tags": [rng.choice(words)]} if rng.random() < .3 else {})}
            for j in range(rng.randint(1, 4))]
    return pages


def test_repack_equals_a_full_pack():
    rng = random.Random(7)
    for _ in range(30):
        before = _entries(rng, 12)
        packed = pack([e for url in sorted(before) for e in before[url]])
        state = {"layout": [[u, len(before[u])] for u in sorted(before)],
                 "terms": packed["terms"], "title": packed["title"], "text": packed["text"]}
        after = dict(before)
        for url in rng.sample(sorted(before), 3):
            changed = copy.deepcopy(before[url])
            for e in changed:
                e["text"] = " ".join(rng.sample(e["text"].split(), len(e["text"].split()) // 2)
                                     + ["brandnew", rng.choice(["gamma", "zeta"])])
                if rng.random() < .5:
                    e["title"] = "retitled " + e["title"]
            after[url] = changed
        expected = pack([e for url in sorted(after) for e in after[url]])
        assert repack(state, before, after) == expected
    # a page with another number of entries moves every later doc id: a full pack instead
    grown = dict(before)
    grown[sorted(before)[0]] = [*before[sorted(before)[0]], {"location": "x", "text": "y"}]
    assert repack(state, before, grown) is None


def test_note_cache_keeps_a_few_new_notes_in_a_small_file(tmp_path: Path):
    from kb.site.note_cache import SAVE_FRESH, NoteCache

    path = tmp_path / "notes_html.json"
    small = tmp_path / "notes_html.add.json"
    first = NoteCache(path)
    for i in range(3):
        first.render(f"note {i}", lambda i=i: f"<p>{i}</p>")
    first.save()
    assert small.is_file() and not path.exists()
    second = NoteCache(path)
    calls: list[str] = []
    for i in range(3):
        assert second.render(f"note {i}", lambda: calls.append("x") or "") == f"<p>{i}</p>"
    assert calls == []
    for i in range(3, 4 + SAVE_FRESH):  # more than SAVE_FRESH new notes: one big file again
        second.render(f"note {i}", lambda i=i: f"<p>{i}</p>")
    second.save()
    assert path.is_file() and not small.exists()
    third = NoteCache(path)
    assert len(third.entries) == 4 + SAVE_FRESH


@pytest.mark.parametrize("other_writer", [False, True])
def test_write_index_repacks_only_the_entries_it_packed(tmp_path: Path, monkeypatch,
                                                        other_writer: bool):
    from kb.site import search_index
    from kb.site.search_index import EntryCache, index_json, write_index

    entries, state, site = tmp_path / "entries.json", tmp_path / "packed.json", tmp_path / "site"
    cache = EntryCache(entries)
    cache.pages, cache.config = _entries(random.Random(3), 6), {"lang": ["en"]}
    write_index(site, cache, state)
    if other_writer:  # e.g. an older mtlkb: the packed postings no longer describe the file
        other = EntryCache(entries).load()
        url = sorted(other.pages)[0]
        other.pages[url] = [{"location": url, "title": "Other", "text": "otherword"}]
        other.save()
    packs: list[int] = []
    real = search_index.pack
    monkeypatch.setattr(search_index, "pack", lambda es: packs.append(1) or real(es))
    again = EntryCache(entries).load()
    before = dict(again.pages)
    url = sorted(again.pages)[1]
    again.pages[url] = [{**e, "text": e["text"] + " newword"} for e in again.pages[url]]
    write_index(site, again, state, before)
    assert packs == ([1] if other_writer else [])
    monkeypatch.setattr(search_index, "pack", real)
    expected = index_json(again.config, again.entries())
    assert (site / "search" / "search_index.json").read_text(encoding="utf-8") == expected


def test_front_cache_gives_the_front_matter_only_of_an_unchanged_file(tmp_path: Path):
    import os

    from kb.site.front_cache import FrontCache

    page = tmp_path / "p.md"
    page.write_text("---\ntitle: A\ntags:\n  - t\n---\n\nbody\n", encoding="utf-8")
    cache = FrontCache(tmp_path / "front.json")
    cache.put("p.md", str(page), {"title": "A", "tags": ["t"]})
    cache.save()
    again = FrontCache(tmp_path / "front.json")
    meta = again.get("p.md", str(page))
    assert meta == {"title": "A", "tags": ["t"]}
    meta["tags"].append("changed by a plugin")  # a copy: the cache keeps what was parsed
    assert again.get("p.md", str(page)) == {"title": "A", "tags": ["t"]}
    st = page.stat()
    page.write_text("---\ntitle: B\ntags:\n  - t\n---\n\nbody\n", encoding="utf-8")
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert again.get("p.md", str(page)) is None
    assert again.get("q.md", str(tmp_path / "q.md")) is None


def test_a_page_another_writer_left_in_the_manifest_is_generated_again(site_kb: KB, tmp_path,
                                                                         monkeypatch):
    """An older mtlkb generating into the same staging folder updates the manifest too: the
    page is kept only if it holds the text its recorded inputs produced."""
    import hashlib

    r = Rebuilds(site_kb, tmp_path, monkeypatch)
    page = r.docs / "papers" / "loner2019.md"
    good = page.read_bytes()
    other = good.replace(b"An unrelated paper", b"An older generator's title")
    page.write_bytes(other)
    manifest = site_kb.root / ".staging" / "pages_manifest.json"
    known = json.loads(manifest.read_text(encoding="utf-8"))
    st = page.stat()
    known["papers/loner2019.md"] = [st.st_size, st.st_mtime_ns, hashlib.sha1(other).hexdigest()]
    manifest.write_text(json.dumps(known), encoding="utf-8")
    written, _ = r.rebuild()
    assert written == {"papers/loner2019.md"}
    assert page.read_bytes() == good
