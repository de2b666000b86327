"""Impact lists (kb.store.topk): the top k read from them is FTS5's own bm25 top k, also
after other tools wrote the store, and the lists are used (not only the fallback)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from kb.config import KB
from kb.store import topk
from kb.store.search import fts_query, prepare_lists, search_results

STAMP = "2026-01-01T00:00:00+00:00"
WORDS = ("the of and learning task tasks multi model network loss gradient shared "
         "ranking pareto weighting transfer sparse experts routing depth vision").split()
HYPHEN = ["multi-task", "multitask", "multi task", "self-supervised", "selfsupervised"]


def _text(rng: random.Random, k: int) -> str:
    words = rng.choices(WORDS, weights=[1 / (r + 1) for r in range(len(WORDS))], k=k)
    for _ in range(k // 8):
        words.insert(rng.randrange(len(words) + 1), rng.choice(HYPHEN))
    return " ".join(words)


def _rows(n: int, seed: int, start: int = 0) -> list[tuple]:
    rng = random.Random(seed)
    return [(f"p{i}", _text(rng, rng.randint(3, 9)), _text(rng, rng.randint(10, 60)),
             rng.choice(["Anders Søgaard", "Ann Lee", "Bo Chen; Ann Lee"]), STAMP, STAMP)
            for i in range(start, start + n)]


INSERT = ("INSERT INTO papers (key, title, abstract, authors_text, added_at, modified_at) "
          "VALUES (?,?,?,?,?,?)")
QUERIES = ["the", "learning", "task", "t*", "mu*", "l*", "multi-task", "multitask",
           "learning OR ranking", "learning OR sparse", "the -pareto", "task NOT vision",
           "NOT experts model", "learning task", "sogaard", "Anders Søgaard", "pareto",
           '"multi task"', "shared OR routing OR depth", "multi-task ranking",
           "depth learning", "the routing", "multi-task vision", "pareto -the", "a* experts"]


@pytest.fixture
def small_lists(monkeypatch):
    """Lists at test scale: a phrase in over 12 papers is broad; lists of 10."""
    monkeypatch.setattr(topk.lists, "SMALL", 12)
    monkeypatch.setattr(topk.lists, "LIST_LEN", 10)


@pytest.fixture
def kb(tmp_kb: KB, small_lists) -> KB:
    with tmp_kb.write() as db:
        db.conn.executemany(INSERT, _rows(400, seed=1))
    return tmp_kb


def _reference(conn: sqlite3.Connection, text: str, k: int) -> list[tuple[float, str]]:
    query = fts_query(text, conn)
    return sorted(
        (round(r[1], 9), r[0]) for r in conn.execute(
            "SELECT p.key, papers_fts.rank FROM papers_fts JOIN papers p ON p.rowid = "
            "papers_fts.rowid WHERE papers_fts MATCH ? ORDER BY papers_fts.rank LIMIT ?",
            [query, k]))


def _ours(conn: sqlite3.Connection, text: str, k: int, build: bool = True):
    return sorted((round(h.score, 9), h.key)
                  for h in search_results(conn, text, limit=k, build=build).hits)


def _all_exact(conn: sqlite3.Connection, k: int = 5) -> None:
    for text in QUERIES:
        assert _ours(conn, text, k) == _reference(conn, text, k), text


def test_top_k_from_lists_equals_fts5(kb: KB, answered: list[str]) -> None:
    _all_exact(kb.conn)
    lists = kb.conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0]
    assert lists >= 8  # the broad phrases got lists ...
    assert len(answered) >= 8, answered  # ... and most queries were answered from them
    answered.clear()
    _all_exact(kb.conn, k=3)  # again, with every list already made
    assert len(answered) >= 8, answered


def test_without_build_a_store_without_lists_is_ranked_by_fts5(kb: KB,
                                                              answered: list[str]) -> None:
    for text in QUERIES:
        assert _ours(kb.conn, text, 5, build=False) == _reference(kb.conn, text, 5), text
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0] == 0
    assert '"the"' not in answered and '"t"*' not in answered  # broad: FTS5 ranked them


def test_other_tools_writes_keep_the_top_k_exact(kb: KB, answered: list[str]) -> None:
    _all_exact(kb.conn)  # lists made
    made = kb.conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0]
    # Another tool: new papers that outrank the listed ones, an edit, a delete, an upsert.
    other = sqlite3.connect(kb.db_path)
    best = " ".join(["learning"] * 30 + ["task"] * 20 + ["the"] * 30)
    other.execute(INSERT, ("new1", "learning task the multitask", best, "Ann Lee", STAMP, STAMP))
    other.execute("UPDATE papers SET title = 'multi-task learning learning learning' "
                  "WHERE key = 'p7'")
    top_the = kb.conn.execute("SELECT p.key FROM papers_fts JOIN papers p ON p.rowid = "
                              "papers_fts.rowid WHERE papers_fts MATCH 'the' "
                              "ORDER BY rank LIMIT 1").fetchone()[0]
    other.execute("DELETE FROM papers WHERE key = ?", [top_the])
    other.execute("INSERT INTO papers (key, title, added_at, modified_at) VALUES "
                  "('p9', 'sparse routing', ?, ?) ON CONFLICT(key) DO UPDATE SET "
                  "abstract = 'the the the learning'", [STAMP, STAMP])
    other.commit()
    other.close()
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_changed").fetchone()[0] == 4
    answered.clear()
    _all_exact(kb.conn)
    assert len(answered) >= 8  # still answered from the lists, the changed papers rescored
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0] >= made


def test_many_changes_drop_the_lists_and_nothing_pending_without_lists(kb: KB) -> None:
    _all_exact(kb.conn)
    with kb.write() as db:  # mtlkb's own write: settles after it
        db.conn.executemany(INSERT, _rows(topk.lists.QUEUE_MAX + 1, seed=2, start=1000))
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0] == 0
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_top").fetchone()[0] == 0
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_changed").fetchone()[0] == 0
    _all_exact(kb.conn)  # lists made again, from the new state
    with kb.write() as db:
        db.conn.executemany(INSERT, _rows(3, seed=3, start=2000))
    assert kb.conn.execute("SELECT count(*) FROM papers_fts_changed").fetchone()[0] == 3
    _all_exact(kb.conn)


def test_prepare_and_list_contents(kb: KB, answered: list[str]) -> None:
    made = prepare_lists(kb.conn, sample=400)
    assert made >= 5
    assert topk.broad_compounds(kb.conn, sample=400) == ["multi-task", "self-supervised"]
    heads = {r[0] for r in kb.conn.execute(
        "SELECT phrase FROM papers_fts_lists WHERE dfs IS NOT NULL")}
    assert '"multi task" or "multitask"' in heads  # multi-task's own list, made ahead
    phrases = {r[0] for r in kb.conn.execute("SELECT phrase FROM papers_fts_lists")}
    assert '"the"' in phrases and '"t"*' in phrases
    got = topk.get_list(kb.conn, '"The"')  # keys are case-insensitive, as FTS5 is
    assert got is not None and len(got.entries) == topk.lists.LIST_LEN
    assert got.df == kb.conn.execute(
        "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'the'").fetchone()[0]
    rows, tokens = topk.totals(kb.conn)
    shares = sorted((topk.term(1.0, tf, dl, tokens / rows) for _, tf, dl in got.entries),
                    reverse=True)
    assert shares[-1] >= got.bound > 0  # every listed paper scores at least the bound
    assert prepare_lists(kb.conn, sample=400) == 0  # nothing left to make
    answered.clear()
    _all_exact(kb.conn)
    assert '"multi task"' in answered and '"multitask"' in answered


def test_read_only_store_searches_without_writing(kb: KB, tmp_path, monkeypatch) -> None:
    _all_exact(kb.conn)  # lists made while writable
    other = sqlite3.connect(kb.db_path)  # another tool writes more than a search rescores
    other.executemany(INSERT, _rows(topk.lists.QUEUE_MAX + 5, seed=9, start=5000))
    other.commit()
    other.close()
    kb.close()
    monkeypatch.setenv("MTLKB_READ_ONLY", "1")
    ro = KB(kb.root)
    assert ro.read_only
    for text in QUERIES + ["vision depth"]:
        got = sorted((round(h.score, 9), h.key) for h in search_results(
            ro.conn, text, limit=5, build=not ro.read_only).hits)
        assert got == _reference(ro.conn, text, 5), text
    assert ro.conn.execute("SELECT count(*) FROM papers_fts_changed").fetchone()[0] > (
        topk.lists.QUEUE_MAX)  # nothing settled: read as it is
    ro.close()


def test_varints_and_totals_match_fts5(kb: KB) -> None:
    rows, tokens = topk.totals(kb.conn)
    assert rows == kb.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    lengths = topk.lengths(kb.conn, [1, 2, 3])
    assert set(lengths) == {1, 2, 3} and sum(lengths.values()) > 0
    assert topk.bm25.varints(bytes([0x81, 0x00, 0x05])) == [128, 5]


def test_a_list_made_while_another_process_writes_is_not_kept(kb: KB, monkeypatch) -> None:
    """The list is read outside the write lock: a write in between makes it worthless."""
    real = topk.bm25.lengths

    def write_meanwhile(conn, rids):
        other = sqlite3.connect(kb.db_path)
        other.execute(INSERT, ("meanwhile", "the the the", "the", "Ann Lee", STAMP, STAMP))
        other.commit()
        other.close()
        monkeypatch.setattr(topk.bm25, "lengths", real)
        return real(conn, rids)

    monkeypatch.setattr(topk.bm25, "lengths", write_meanwhile)
    assert topk.build_list(kb.conn, '"the"') is None
    assert topk.get_list(kb.conn, '"the"') is None
    assert topk.build_list(kb.conn, '"the"') is not None  # nothing written meanwhile


def test_narrow_units_and_ands_with_a_narrow_unit(kb: KB, monkeypatch) -> None:
    """An OR of narrow phrases is scored from their match sets; an AND with a narrow unit
    from that unit's papers and the other units' lists."""
    rng = random.Random(5)
    rows = [(f"rare{i}", f"zeta {_text(rng, 5)}", f"omega learning {_text(rng, 30)}",
             "Ann Lee", STAMP, STAMP) for i in range(8)]
    with kb.write() as db:
        db.conn.executemany(INSERT, rows)
    _all_exact(kb.conn)  # lists made (and settled: nothing noted as changed)
    calls: list[str] = []
    for module, name in ((topk.ors, "from_small"), (topk.ands, "and_query")):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            got = _real(*args, **kwargs)
            calls.append(_name if got is not None else f"{_name}: none")
            return got

        monkeypatch.setattr(module, name, spy)
    prepare_lists(kb.conn, sample=400)  # multi-task's list
    for text in ("zeta OR omega -xyzzy", "zeta learning", "omega multi-task",
                 "multi-task zeta", "zeta self-supervised"):
        assert _ours(kb.conn, text, 5) == _reference(kb.conn, text, 5), text
    assert calls.count("from_small") == 1 and calls.count("and_query") >= 2, calls


def test_ands_of_two_listed_units_from_the_lists_and_postings(kb: KB, monkeypatch) -> None:
    """An AND of a hyphenated term and a broad word, both listed: a threshold over the two
    lists, the missing shares read from the term's postings, sought paper by paper (a word
    in most papers) or one pass over the word's matches; the top k stays FTS5's own, and
    many such queries are answered here."""
    monkeypatch.setattr(topk.lists, "LIST_LEN", 60)
    made = prepare_lists(kb.conn, sample=400)
    assert made >= 5
    rests = {r[0] for r in kb.conn.execute(
        "SELECT phrase FROM papers_fts_lists WHERE phrase LIKE '% #rest'")}
    # one set of postings a term, whichever way it is written
    assert rests == {'"multi task" or "multitask" #rest',
                     '"self supervised" or "selfsupervised" #rest'}
    postings = topk.lists.rest_head(kb.conn, ['"multitask"', '"multi task"'])
    assert postings is not None
    every = {r[0] for r in kb.conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH '\"multi task\" OR multitask'")}
    looked = topk.lists.rest_lookup(kb.conn, postings[0], sorted(every) + [99999])
    assert set(looked) == every  # every paper holding the term, nothing else
    for rid, (_, tfs) in list(looked.items())[:20]:  # F of each phrase, as FTS5 counts it
        assert tfs == [topk.bm25.resolve(kb.conn, p, [rid]).get(rid, 0)
                       for p in postings[1]]
    answered: list[str] = []
    real = topk.ands.all_listed

    def spy(conn, units, phrases, avgdl, limit):
        got = real(conn, units, phrases, avgdl, limit)
        if got is not None:
            answered.append(" ".join(phrases))
        return got

    monkeypatch.setattr(topk.ands, "all_listed", spy)
    ways: list[str] = []
    for name in ("_from_walk", "_from_rest", "_from_seeks"):
        real_way = getattr(topk.ands, name)

        def way(*args, _real=real_way, _name=name):
            ways.append(_name)
            return _real(*args)

        monkeypatch.setattr(topk.ands, name, way)
    queries = [f"{a} {b}" for a in ("multi-task", "multitask", "self-supervised")
               for b in ("learning", "the", "task", "model", "network", "of")]
    queries += [f"{b} {a}" for a in ("multi-task", "selfsupervised") for b in ("the", "loss")]
    for k in (1, 3, 5, 10):
        for text in queries:
            assert _ours(kb.conn, text, k) == _reference(kb.conn, text, k), (text, k)
    assert len(answered) >= 2 * len(queries), answered
    # every way of filling a share: a word's walk or seeks (a word in most papers), the
    # hyphenated term's postings
    assert {"_from_walk", "_from_rest", "_from_seeks"} <= set(ways), set(ways)


def test_merging_the_segments_keeps_the_index_and_the_rankings(kb: KB) -> None:
    from kb.store import fts

    with kb.write() as db:  # a second segment at least
        db.conn.executemany(INSERT, _rows(30, seed=4, start=3000))
    before = {t: _reference(kb.conn, t, 5) for t in QUERIES}
    topk.merge_segments(kb.conn)
    assert not kb.conn.in_transaction
    fts.integrity_check(kb.conn)
    assert {t: _reference(kb.conn, t, 5) for t in QUERIES} == before
    _all_exact(kb.conn)


def test_ors_with_broad_exclusions_from_the_lists(kb: KB, monkeypatch) -> None:
    """An OR less a broad phrase: the excluded papers walked (no bm25), the OR ranked from
    the lists, only the papers whose bound reaches the k-th best lower bound scored."""
    monkeypatch.setattr(topk.lists, "LIST_LEN", 60)
    answered: list[str] = []
    real = topk.ors.ranked

    def spy(*args, **kwargs):
        got = real(*args, **kwargs)
        if got is not None:
            answered.append(args[2][0])
        return got

    monkeypatch.setattr(topk.ors, "ranked", spy)
    queries = ["learning OR ranking -the", "shared OR routing NOT task",
               "NOT model learning OR depth", "task OR pareto -multi-task",
               "the OR of -learning -vision", "learning OR learning -learning"]
    for k in (1, 5, 10):
        for text in queries:
            assert _ours(kb.conn, text, k) == _reference(kb.conn, text, k), (text, k)
    # (at this scale many bounds prove nothing: FTS5 ranks those; "the" is broad here)
    assert len(answered) >= 4 and answered.count('"learning"') >= 2, answered


def test_prepare_makes_a_word_s_list_also_as_typed_without_accents(kb: KB) -> None:
    rng = random.Random(6)
    with kb.write() as db:
        db.conn.executemany(INSERT, [(f"m{i}", _text(rng, 6), _text(rng, 20), "Jörg Müller",
                                      STAMP, STAMP) for i in range(30)])
    prepare_lists(kb.conn, sample=400)
    made = topk.lists.known(kb.conn)
    assert '"muller"' in made and '"müller"' in made
    for text in ("muller", "Müller", "jorg muller"):
        assert _ours(kb.conn, text, 5, build=False) == _reference(kb.conn, text, 5), text


def test_a_word_excluding_many_papers_is_sought_paper_by_paper(kb: KB, monkeypatch,
                                                             answered: list[str]) -> None:
    """`-word` where the word is in too many papers to list them: each paper read from the
    list is sought in the index; a word in nearly every paper leaves the query to FTS5."""
    _all_exact(kb.conn)  # lists made
    monkeypatch.setattr(topk.ors, "EXCLUDED_MAX", 5)
    sought: list[tuple] = []
    real = topk.bm25.holding

    def spy(conn, words, rids):
        sought.append(words)
        return real(conn, words, rids)

    monkeypatch.setattr(topk.bm25, "holding", spy)
    answered.clear()
    queries = ["the -pareto", "learning NOT vision", "NOT model the", "learning -model",
               "the -pareto -vision", "learning -task"]  # (task: in 397 of 400 papers)
    for k in (1, 5, 10):
        for text in queries:
            assert _ours(kb.conn, text, k) == _reference(kb.conn, text, k), (text, k)
    assert len(answered) >= 10 and any(w and w[0] == '"model"' for w in sought), answered
    monkeypatch.setattr(topk, "SOUGHT_MAX", 0.01)  # every word too broad to seek for
    answered.clear()
    for text in queries:
        assert _ours(kb.conn, text, 5) == _reference(kb.conn, text, 5), text
    assert answered == []
