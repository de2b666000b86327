"""Exactness of the impact lists on many random queries of the shapes they answer.

    python benchmarks/search_exact.py --keep /tmp/mix100k            # a KB search_mix kept
    python benchmarks/search_exact.py --keep /tmp/mix100k --queries 300 --seed 11

Draws queries from search_mix's vocabulary (never its query sets): a hyphenated term with
a word (either order), a word less another (``-b``, ``NOT b``), ORs with and without an
exclusion, a hyphenated term alone, two words; for each, the top 1, 7 and 20 must equal
FTS5's own ``ORDER BY rank`` (papers of equal score in either order). Prints how many
differ and how many the lists answered (the rest FTS5 ranked).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def queries(n: int, seed: int) -> list[str]:
    import search_mix as mix

    rng = random.Random(seed)
    words, _ = mix.vocabulary()
    common, mid = mix.FUNCTION[:10] + mix.DOMAIN[:60], mix.DOMAIN[60:]
    rare = words[len(mix.FUNCTION) + len(mix.DOMAIN) + 200:]
    out = []
    for _ in range(n):
        parts = rng.choice(mix.HYPHENATED)
        h = rng.choice(["-".join(parts), "".join(parts)])
        a, b = rng.choice(common + mid), rng.choice(common + mid + rare[:300])
        out.append(rng.choice([f"{h} {a}", f"{a} {h}", f"{a} -{b}", f"{a} NOT {b}",
                               f"NOT {b} {a}", f"{a} OR {b}", f"{a} OR {b} -{rng.choice(mid)}",
                               h, f"{a} {b}"]))
    return out


def main() -> None:
    from kb.config import KB
    from kb.store import search, topk

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", type=Path, required=True, help="a KB search_mix.py kept")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    conn = KB(args.keep).conn
    different = answered = 0
    qs = queries(args.queries, args.seed)
    for q in qs:
        plan = search._plan(search.parse(q), conn)
        for k in (1, 7, 20):
            answered += bool(plan.shape) and topk.top(conn, plan.shape, k, True) is not None
            hits = search.search_results(conn, q, k, build=True).hits
            ref = conn.execute(
                "SELECT p.key, papers_fts.rank FROM papers_fts JOIN papers p ON p.rowid = "
                "papers_fts.rowid WHERE papers_fts MATCH ? ORDER BY papers_fts.rank LIMIT ?",
                [plan.query, k]).fetchall()
            if sorted((round(h.score, 9), h.key) for h in hits) != sorted(
                    (round(r[1], 9), r[0]) for r in ref):
                different += 1
                print(f"different: {q!r} (top {k})")
    print(f"{len(qs)} queries x top 1, 7, 20: {different} different from FTS5's ranking, "
          f"{answered} answered from the lists")


if __name__ == "__main__":
    main()
