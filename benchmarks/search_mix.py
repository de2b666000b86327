"""Search latency on a broad, held-out-style query mix, ranking exactness and index size.

    python benchmarks/search_mix.py                 # 100,000 papers, 400 queries
    python benchmarks/search_mix.py --papers 10000  # a smoke run
    python benchmarks/search_mix.py --keep /tmp/kb  # keep (or reuse) the generated KB
    python benchmarks/search_mix.py --lists cold    # lists made by the queries that need them
    python benchmarks/search_mix.py --lists none    # FTS5 ranks every query itself
    python benchmarks/search_mix.py --keep /tmp/kb --lists kept   # the lists already made
    python benchmarks/search_mix.py --query-seed 8  # a second query set (check a trick)

The store is generated with realistic-looking text (~1.3 KB a paper): titles and abstracts
drawn from a Zipf-weighted vocabulary of real machine-learning English (function words and
domain words first, then a tail of made-up rare terms), hyphenated terms both ways
(``multi-task`` and ``multitask``), authors with letters unicode61 does not fold (ø, æ, ł,
ß, đ), DOIs and arXiv ids. The queries are drawn from their own seed, in these classes:
common word, rare word, 2-word phrase, 3-word phrase, prefix of 1-4 letters, author,
hyphenated term, operators (OR, NOT, -word, NEAR), long unquoted query (5-8 words), id.

Impact lists (:mod:`kb.store.topk`): ``prepared`` (the default) makes them first with
``search.prepare_lists`` (words, 1-3 letter prefixes and hyphenated terms that look broad in
a sample of 2,000 papers' text, never the query set; its time is reported apart), then
the queries run with ``build=True`` (a broad phrase still without a list gets one inside
that query's time); ``cold`` starts with none; ``kept`` uses the lists a kept KB has
(prepared by an earlier run), so a change to the query code is measured in seconds.

Reported: CPU time per query (``time.process_time``; the machine is shared) p50/p95/p99 per
class and overall, whether each top 20 equals FTS5's own uncapped ``ORDER BY rank`` top 20
for the same query, and the index size per paper against a plain FTS5 index (no prefix
indexes) of the same content.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FUNCTION = ("the of and to in a for we is that on with by this as are from our be an which "
            "can it at these two each both not has than more such their also between over "
            "into when while only all its most new one using based via").split()
DOMAIN = (
    "learning task tasks model models network networks neural deep training multi loss "
    "gradient gradients shared representation representations performance data method methods "
    "approach results optimization objective objectives weighting transfer negative auxiliary "
    "single joint parameters parameter sharing layers encoder decoder attention features "
    "feature benchmark benchmarks dataset datasets accuracy segmentation depth estimation "
    "semantic scene understanding dense prediction conflicting conflict pareto optimal front "
    "uncertainty balancing dynamic adaptive weights routing experts mixture sparse gating "
    "language recommendation ranking click conversion reinforcement policy agents continual "
    "meta domain adaptation distillation knowledge contrastive self supervised pretraining "
    "fine tuning adapters prompts robust efficient scalable federated clients privacy "
    "convergence analysis theoretical bound generalization regularization stochastic descent "
    "projection surgery normalization magnitude direction cosine similarity alignment "
    "curriculum sampling scheduling hierarchical hard soft cross stitch branching architecture "
    "search evaluate propose demonstrate show improve outperforms baselines state art "
    "experiments empirical extensive simple effective novel framework problem setting "
    "trade off competing multiple related improves reduces interference capacity head heads "
    "backbone vision detection classification regression graph node molecular property "
    "speech translation question answering summarization medical imaging clinical survey"
).split()
HYPHENATED = [("multi", "task"), ("self", "supervised"), ("pareto", "optimal"),
              ("fine", "tuning"), ("cross", "stitch"), ("state", "of", "the", "art"),
              ("trade", "off"), ("pre", "training"), ("meta", "learning"), ("mixture", "of",
                                                                                "experts")]
SURNAMES = ["Søgaard", "Łukasiewicz", "Strauß", "Đoković", "Ægisdóttir", "Müller", "García",
            "Kendall", "Ruder", "Sener", "Koltun", "Chen", "Liu", "Yu", "Finn", "Levine",
            "Navon", "Crawshaw", "Standley", "Fifty", "Zamir", "Misra", "Caruana", "Ma",
            "Zhang", "Wang", "Li", "Kim", "Park", "Nguyen", "Singh", "Kumar", "Rossi", "Dubois"]
FIRST = ["Anders", "Jan", "Lena", "Novak", "Sigrún", "Jörg", "José", "Alex", "Sebastian", "Ozan",
         "Zhao", "Bo", "Tianhe", "Chelsea", "Aviv", "Amir", "Rich", "Wei", "Min", "Priya"]
RARE = 12000  # made-up rare terms (the vocabulary's tail)
SYL = "ka lo mi ne ru ta vi so de pa ri gu fe zo ba tu".split()


def _rare_words(rng: random.Random) -> list[str]:
    out, seen = [], set()
    while len(out) < RARE:
        w = "".join(rng.choices(SYL, k=rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def vocabulary() -> tuple[list[str], list[float]]:
    rng = random.Random(1)
    words = FUNCTION + DOMAIN + _rare_words(rng)
    weights = [1.0 / (r + 1) ** 0.95 for r in range(len(words))]
    return words, weights


def _text(rng, words, cum, k: int) -> list[str]:
    out = rng.choices(words, cum_weights=cum, k=k)
    for _ in range(max(1, k // 40)):  # hyphenated terms, written both ways
        parts = rng.choice(HYPHENATED)
        form = rng.random()
        term = "-".join(parts) if form < 0.6 else ("".join(parts) if form < 0.8 else
                                                    " ".join(parts))
        out.insert(rng.randrange(len(out) + 1), term)
    return out


def generate(n: int, seed: int = 42):
    import itertools

    rng = random.Random(seed)
    words, weights = vocabulary()
    cum = list(itertools.accumulate(weights))
    for i in range(n):
        title = " ".join(_text(rng, words, cum, rng.randint(6, 12))).capitalize()
        abstract = " ".join(_text(rng, words, cum, rng.randint(130, 200))) + "."
        authors = "; ".join(f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}"
                            for _ in range(rng.randint(1, 6)))
        doi = f"10.{rng.randint(1000, 9999)}/mtl.{i}" if rng.random() < 0.5 else None
        arxiv = f"{rng.randint(15, 25):02d}{rng.randint(1, 12):02d}.{i:05d}" if (
            rng.random() < 0.6) else None
        topics = " ".join(sorted(rng.sample(["mtl", "optimization", "architectures", "nlp",
                                             "vision", "recsys", "theory"], 2)))
        yield (f"paper{i}", title, abstract, authors, topics, doi, arxiv,
               rng.randint(1990, 2025))


def build(root: Path, n: int) -> float:
    from kb.config import KB
    from kb.core.init import init_kb

    kb = KB(root)
    init_kb(kb)
    stamp = "2026-01-01T00:00:00+00:00"
    t0 = time.process_time()
    rows = [(k, t, t.lower(), a, au, tp, d, ax, y, stamp, stamp)
            for k, t, a, au, tp, d, ax, y in generate(n)]
    with kb.write() as db:
        db.conn.executemany(
            "INSERT INTO papers (key, title, title_norm, abstract, authors_text, topics_text, "
            "doi, arxiv_id, year, added_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    kb.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kb.conn.execute("ANALYZE")
    dt = time.process_time() - t0
    kb.close()
    return dt


CLASSES = ("common word", "rare word", "2-word phrase", "3-word phrase", "prefix 1-4",
           "author", "hyphenated", "operators", "long unquoted", "id")


def make_queries(k: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    words, _ = vocabulary()
    common = FUNCTION[:10] + DOMAIN[:60]
    mid = DOMAIN[60:]
    rare = words[len(FUNCTION) + len(DOMAIN) + 200:]
    per = k // len(CLASSES)
    out = []
    for cls in CLASSES:
        for _ in range(per):
            if cls == "common word":
                q = rng.choice(common)
            elif cls == "rare word":
                q = rng.choice(rare)
            elif cls == "2-word phrase":
                q = f'"{rng.choice(common + mid)} {rng.choice(common + mid)}"'
            elif cls == "3-word phrase":
                q = '"' + " ".join(rng.choice(common + mid) for _ in range(3)) + '"'
            elif cls == "prefix 1-4":
                w = rng.choice(DOMAIN + rare[:500])
                q = w[:rng.randint(1, 4)] + "*"
            elif cls == "author":
                q = rng.choice([rng.choice(SURNAMES), f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}",
                                rng.choice(["sogaard", "strauss", "lukasiewicz", "dokovic"])])
            elif cls == "hyphenated":
                parts = rng.choice(HYPHENATED)
                q = rng.choice(["-".join(parts), "".join(parts)]) + (
                    f" {rng.choice(mid)}" if rng.random() < 0.5 else "")
            elif cls == "operators":
                a, b = rng.choice(common + mid), rng.choice(mid + rare[:300])
                q = rng.choice([f"{a} OR {b}", f"{a} -{b}", f"{a} NOT {b}", f"{a} NEAR {b}",
                                f"NOT {b} {a}", f"{a} NEAR/3 {rng.choice(mid)}"])
            elif cls == "long unquoted":
                q = " ".join(rng.choice(common + mid + rare[:2000])
                             for _ in range(rng.randint(5, 8)))
            else:
                i = rng.randrange(100000)
                q = rng.choice([f"10.{rng.randint(1000, 9999)}/mtl.{i}", f"mtl.{i}",
                                f"arXiv:{rng.randint(15, 25):02d}{rng.randint(1, 12):02d}.{i:05d}"])
            out.append((cls, q))
    rng.shuffle(out)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(len(xs) * p)) - 1))]


def plain_index_bytes(conn, n: int) -> int:
    """Size of a plain FTS5 index (porter unicode61, no prefix) over the same content."""
    from kb.store.fts import FTS_COLUMNS

    cols = ", ".join(FTS_COLUMNS)
    conn.execute("DROP TABLE IF EXISTS temp.plain_fts")
    conn.execute(f"CREATE VIRTUAL TABLE temp.plain_fts USING fts5({cols}, "
                 "tokenize='porter unicode61')")  # (its own copy of the text; not counted)
    conn.execute(f"INSERT INTO temp.plain_fts(rowid, {cols}) SELECT rid, {cols} "
                 "FROM papers_fts_content")
    size = conn.execute("SELECT sum(length(block)) FROM temp.plain_fts_data").fetchone()[0]
    conn.execute("DROP TABLE temp.plain_fts")
    conn.commit()
    return size


def _bytes(conn, *names: str) -> int:
    marks = ",".join("?" * len(names))
    return conn.execute(f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})",
                        names).fetchone()[0]


def run(root: Path, n: int, k: int, lists: str = "prepared", query_seed: int = 7,
        slowest: int = 0) -> dict:
    """``lists``: "prepared" (topk.prepare first, timed apart), "cold" (each list made by
    the first query that needs it, inside that query's time), "kept" (the lists the store
    has) or "none" (FTS5 ranks all). ``query_seed``: the query set's seed (7 is the one
    reported; another checks that a change was not tuned on it)."""
    from kb.config import KB
    from kb.store import topk
    from kb.store.search import fts_query, prepare_lists, search_results

    kb = KB(root)
    conn = kb.conn
    if lists != "kept":
        with kb.write():
            topk.clear(conn)
    prepared = {"lists": 0, "cpu_s": 0.0}
    if lists == "prepared":
        t0 = time.process_time()
        prepared["lists"] = prepare_lists(conn)
        prepared["cpu_s"] = time.process_time() - t0
    build = lists != "none"
    qs = make_queries(k, query_seed)
    for _, q in make_queries(20, seed=99):  # warm the page cache (queries not measured)
        search_results(conn, q, limit=20, build=build)
    by: dict[str, list[float]] = {}
    wall: list[float] = []
    exact = mismatched = 0
    examples: list[str] = []
    times: list[tuple[float, str, str]] = []
    for cls, q in qs:
        w0, t0 = time.perf_counter(), time.process_time()
        hits = search_results(conn, q, limit=20, build=build).hits
        by.setdefault(cls, []).append((time.process_time() - t0) * 1000)
        times.append((by[cls][-1], cls, q))
        wall.append((time.perf_counter() - w0) * 1000)
        fq = fts_query(q, conn)
        ref = [] if fq is None else conn.execute(
            "SELECT p.key, papers_fts.rank FROM papers_fts JOIN papers p ON p.rowid = "
            "papers_fts.rowid WHERE papers_fts MATCH ? ORDER BY papers_fts.rank LIMIT 20",
            [fq]).fetchall()
        # (papers of equal score may come in either order)
        if sorted((round(h.score, 9), h.key) for h in hits) == sorted(
                (round(r[1], 9), r[0]) for r in ref):
            exact += 1
        else:
            mismatched += 1
            examples.append(q)
    index = conn.execute("SELECT sum(length(block)) FROM papers_fts_data").fetchone()[0]
    list_bytes = _bytes(conn, "papers_fts_top", "papers_fts_lists", "papers_fts_changed")
    list_count = conn.execute("SELECT count(*) FROM papers_fts_lists").fetchone()[0]
    plain = plain_index_bytes(conn, n)
    kb.close()
    every = [x for v in by.values() for x in v]
    return {
        "papers": n, "queries": len(qs),
        "p50_ms": pct(every, .5), "p95_ms": pct(every, .95), "p99_ms": pct(every, .99),
        "max_ms": max(every), "wall_p95_ms": pct(wall, .95),
        "classes": {c: {"n": len(v), "p50_ms": pct(v, .5), "p95_ms": pct(v, .95),
                        "p99_ms": pct(v, .99), "max_ms": max(v)} for c, v in by.items()},
        "top20_equal": exact, "top20_different": mismatched, "different_examples": examples[:5],
        "index_bytes_per_paper": (index + list_bytes) / n,
        "plain_fts5_bytes_per_paper": plain / n,
        "list_bytes_per_paper": list_bytes / n, "lists_at_end": list_count,
        "lists_mode": lists, "prepared_lists": prepared["lists"],
        "prepare_cpu_s": prepared["cpu_s"], "query_seed": query_seed,
        "slowest": sorted(times, reverse=True)[:slowest],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=100000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--keep", type=Path, default=None, help="build (or reuse) the KB here")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--lists", choices=("prepared", "cold", "kept", "none"),
                    default="prepared", help="impact lists made first (prepared), by the "
                    "queries (cold), those the kept KB has (kept), or none")
    ap.add_argument("--query-seed", type=int, default=7,
                    help="seed of the query set (7: the one reported)")
    ap.add_argument("--slowest", type=int, default=0, help="print the N slowest queries")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="mtlkb-mix-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load "
          f"{os.getloadavg()[0]:.1f}")
    if not (root / "mtlkb.db").exists():
        dt = build(root, args.papers)
        size = (root / "mtlkb.db").stat().st_size
        print(f"built {args.papers:,} papers in {dt:.1f} s CPU ({size / 1e6:.0f} MB store)")
    r = run(root, args.papers, args.queries, args.lists, args.query_seed, args.slowest)
    if args.lists == "prepared":
        print(f"prepared {r['prepared_lists']} impact lists in {r['prepare_cpu_s']:.1f} s CPU")
    print(f"\n{r['queries']} queries (seed {r['query_seed']}) on {r['papers']:,} papers, "
          "CPU ms per query: "
          f"p50 {r['p50_ms']:.2f}, p95 {r['p95_ms']:.2f}, p99 {r['p99_ms']:.2f}, "
          f"max {r['max_ms']:.1f} (wall p95 {r['wall_p95_ms']:.2f})")
    for c, v in r["classes"].items():
        print(f"  {c:<14} n={v['n']:<3} p50 {v['p50_ms']:7.2f}  p95 {v['p95_ms']:7.2f}  "
              f"p99 {v['p99_ms']:7.2f}  max {v['max_ms']:7.1f}")
    print(f"top 20 equal to FTS5's uncapped bm25 top 20: {r['top20_equal']}/{r['queries']}"
          + (f" (different: {r['different_examples']})" if r["top20_different"] else ""))
    print(f"index {r['index_bytes_per_paper'] / 1024:.2f} KB a paper; plain FTS5 of the same "
          f"content {r['plain_fts5_bytes_per_paper'] / 1024:.2f} KB "
          f"(+{(r['index_bytes_per_paper'] - r['plain_fts5_bytes_per_paper']) / 1024:.2f} KB); "
          f"of which {r['lists_at_end']} impact lists {r['list_bytes_per_paper'] / 1024:.2f} KB")
    for ms, cls, q in r["slowest"]:
        print(f"  {ms:7.2f} ms  {cls:<14} {q}")
    if args.json:
        print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
