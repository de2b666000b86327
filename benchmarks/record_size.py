"""What the paper record's column (``record_text``: summary, comments, reviews) costs the
search index, on search_mix.py's generated KB (issue 16).

    python benchmarks/record_size.py                 # 10,000 papers
    python benchmarks/record_size.py --papers 2000 --keep /tmp/kb

1. Papers without a record (search_mix's KB has none): two contentless FTS5 twins of the
   live index, built the same way in the same process from the same content, one with the
   record column and one without (the schema-12 columns); the difference a paper is what
   the empty column costs. The live index's own size a paper is printed beside.
2. Then every tenth paper gets a summary and two comments (words of search_mix's
   vocabulary) through mtlkb's own writers; the growth of a twin built afresh is reported
   per paper with a record and per KB of record text (and the live index's, whose segments
   keep the re-indexed rows' deletions until FTS5 merges them), with the CPU time of that
   write (its ``catch_up`` recomputes the noted papers' text and re-indexes them).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def index_bytes(conn, table: str) -> int:
    """Bytes FTS5 keeps for ``table``: its segments and each row's column sizes."""
    schema, _, name = table.rpartition(".")
    prefix = f"{schema}." if schema else ""
    data = conn.execute(f"SELECT coalesce(sum(length(block)), 0) FROM {prefix}{name}_data"
                        ).fetchone()[0]
    sizes = conn.execute(f"SELECT coalesce(sum(length(sz)), 0) FROM {prefix}{name}_docsize"
                         ).fetchone()[0]
    return data + sizes


def twin_bytes(conn, columns: list[str]) -> int:
    """Size of a contentless FTS5 twin of the live index over ``columns`` of its content."""
    from kb.store.fts import TOKENIZE_ARG

    cols = ", ".join(columns)
    conn.execute("DROP TABLE IF EXISTS temp.twin")
    conn.execute(f"CREATE VIRTUAL TABLE temp.twin USING fts5({cols}, content='', "
                 f"{TOKENIZE_ARG})")
    conn.execute(f"INSERT INTO temp.twin(rowid, {cols}) SELECT rid, {cols} "
                 "FROM papers_fts_content")
    size = index_bytes(conn, "temp.twin")
    conn.execute("DROP TABLE temp.twin")
    conn.commit()
    return size


def add_records(kb, n: int, every: int = 10, seed: int = 5) -> tuple[int, int, float]:
    """A summary and two comments on every ``every``-th paper, through mtlkb's writers.
    Returns (papers given a record, characters of record text, CPU seconds)."""
    from search_mix import vocabulary

    from kb.store.comments import add_comment
    from kb.store.enrichment import put_summary

    rng = random.Random(seed)
    words, weights = vocabulary()
    cum = list(itertools.accumulate(weights))

    def text(k: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cum, k=k)) + "."

    stamp = "2026-01-01T00:00:00+00:00"
    keys = [f"paper{i}" for i in range(0, n, every)]
    chars = 0
    t0 = time.process_time()
    with kb.write() as db:
        for key in keys:
            summary, c1, c2 = text(rng.randint(40, 70)), text(rng.randint(10, 60)), text(
                rng.randint(10, 60))
            put_summary(db, key, summary, "benchmark")
            add_comment(db, key, "bench", c1, stamp)
            add_comment(db, key, "bench", c2, stamp)
            chars += len(summary) + len(c1) + len(c2) + 2
    return len(keys), chars, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=10000)
    ap.add_argument("--keep", type=Path, default=None, help="build (or reuse) the KB here")
    args = ap.parse_args()
    from search_mix import build

    from kb.config import KB
    from kb.store.fts import FTS_COLUMNS

    n = args.papers
    root = args.keep or Path(tempfile.mkdtemp(prefix="mtlkb-record-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load "
          f"{os.getloadavg()[0]:.1f}")
    if not (root / "mtlkb.db").exists():
        dt = build(root, n)
        print(f"built {n:,} papers in {dt:.1f} s CPU")
    kb = KB(root)
    conn = kb.conn
    if conn.execute("SELECT count(*) FROM comments").fetchone()[0]:
        sys.exit(f"{root}: already has comments (use a fresh --keep folder)")
    old = [c for c in FTS_COLUMNS if c != "record_text"]
    with_col, without = twin_bytes(conn, FTS_COLUMNS), twin_bytes(conn, old)
    live = index_bytes(conn, "papers_fts")
    print(f"\nno record (search_mix's KB): twin index with the record column "
          f"{with_col / n:.1f} B a paper, without {without / n:.1f} B: "
          f"+{(with_col - without) / n:.2f} B a paper ({with_col / without - 1:+.3%}); "
          f"live index {live / n / 1024:.2f} KB a paper")
    papers, chars, cpu = add_records(kb, n)
    grown = twin_bytes(conn, FTS_COLUMNS) - with_col
    live_grown = index_bytes(conn, "papers_fts") - live
    print(f"a summary and two comments on {papers:,} papers ({chars / papers:.0f} characters "
          f"each): twin index +{grown / papers:.0f} B a paper with a record, "
          f"{grown / chars * 1024:.0f} B per KB of record text (the live index, whose "
          f"segments still hold the re-indexed papers' deletions until merged: "
          f"+{live_grown / papers:.0f} B); papers.record_text holds a copy of the text; "
          f"written in {cpu:.2f} s CPU ({cpu / papers * 1000:.2f} ms a paper, catch_up "
          "included)")
    kb.close()


if __name__ == "__main__":
    main()
