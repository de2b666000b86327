"""Import speed where identity has work to do (issue 15): a corpus with merges and near-misses.

    python benchmarks/identity.py            # 20,000 entries
    python benchmarks/identity.py --n 4000   # a smoke run

The corpus: one entry in ten is a preprint whose published version (same title and authors,
a year later, a venue and a DOI) comes later; one in ten shares a DOI with an earlier entry
(the same publication under another key, other BibTeX fields); one in ten reuses an earlier
title and year under other authors and pages (a near-miss: reported, not merged). Figures
are CPU time (``time.process_time``) against bibtexparser's bare parse of the same text in
the same process, plus a re-import of the same file (which must rewrite nothing).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("task gradient loss weighting shared network attention routing expert "
         "uncertainty pareto conflict balance transfer representation learning deep "
         "sparse dense mixture multi objective scene depth semantic").split()
NAMES = ["Kendall, Alex", "Gal, Yarin", "Chen, Zhao", "Liu, Shikun", "Sener, Ozan",
         "Ruder, Sebastian", "Yu, Tianhe", "Navon, Aviv", "Ma, Jiaqi", "Crawshaw, Michael"]


def corpus(n: int, seed: int = 0) -> tuple[str, dict[str, int]]:
    rng = random.Random(seed)
    entries: list[str] = []
    made: list[tuple[str, list[str], int]] = []
    counts = {"preprint+published": 0, "same DOI": 0, "near-miss": 0}
    i = 0
    while len(entries) < n:
        i += 1
        roll = rng.random()
        if made and roll < 0.1:
            title, names, year = rng.choice(made)
            entries.append(
                f"@inproceedings{{pub{i},\n  title = {{{title}}},\n  author = "
                f"{{{' and '.join(names)}}},\n  booktitle = {{Proceedings of ICML}},\n"
                f"  pages = {{{i}--{i + 9}}},\n  year = {year + 1},\n  doi = {{10.5555/p{i}}}\n}}")
            counts["preprint+published"] += 1
            continue
        if made and roll < 0.2:
            title, names, year = rng.choice(made)
            entries.append(
                f"@article{{other{i},\n  title = {{{title}}},\n  author = {{Someone, Else}},\n"
                f"  journal = {{Journal of MTL}},\n  pages = {{{i}--{i + 3}}},\n"
                f"  year = {year}\n}}")
            counts["near-miss"] += 1
            continue
        title = " ".join(rng.sample(WORDS, 6)).capitalize() + f" {i}"
        names = rng.sample(NAMES, rng.randint(1, 4))
        year = rng.randint(2010, 2024)
        if roll < 0.3:
            entries.append(
                f"@article{{doi{i},\n  title = {{{title}}},\n  author = {{{' and '.join(names)}}},"
                f"\n  journal = {{Machine Learning}},\n  volume = {{{i % 40}}},\n"
                f"  year = {year},\n  doi = {{10.5555/d{i}}}\n}}")
            entries.append(
                f"@article{{doi{i}b,\n  title = {{{title}}},\n  author = "
                f"{{{' and '.join(names)}}},\n  journal = {{Mach. Learn.}},\n"
                f"  note = {{another copy}},\n  year = {year},\n  doi = {{10.5555/D{i}}}\n}}")
            counts["same DOI"] += 1
            continue
        entries.append(
            f"@article{{pre{i},\n  title = {{{title}}},\n  author = {{{' and '.join(names)}}},\n"
            f"  journal = {{arXiv preprint arXiv:{15 + i % 9}{1 + i % 12:02d}.{i:05d}}},\n"
            f"  year = {year}\n}}")
        made.append((title, names, year))
    return "\n\n".join(entries[:n]) + "\n", counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()

    import bibtexparser

    from kb.config import KB
    from kb.core import bib_import
    from kb.core.init import init_kb

    text, counts = corpus(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "identity.bib"
        bib.write_text(text, encoding="utf-8")
        bare = min(_cpu(bibtexparser.parse_string, text)[0] for _ in range(3))
        runs = []
        for r in range(3):
            kb = KB(Path(tmp) / f"kb{r}")
            init_kb(kb)
            kb.db  # noqa: B018 - open and migrate outside the timing
            dt, report = _cpu(bib_import.run, kb, [bib])
            assert not report.failed, report.problem_lines()[:3]
            before = dict(kb.db.conn.execute("SELECT key, modified_at FROM papers"))
            again, _ = _cpu(bib_import.run, kb, [bib])
            after = dict(kb.db.conn.execute("SELECT key, modified_at FROM papers"))
            runs.append((dt, again, report, sum(before[k] != after.get(k) for k in before)))
            kb.close()
        dt, again, report, rewritten = min(runs, key=lambda x: x[0])
    print(f"corpus: {args.n} entries ({counts})")
    print(f"added {len(report.added)}, merged {len(report.merged)}, "
          f"reported near-misses {sum('may be the same' in x for x in report.notices)}")
    print(f"bare bibtexparser parse: {bare:.2f} s CPU ({args.n / bare:,.0f} entries/s)")
    print(f"import: {dt:.2f} s CPU, {args.n / dt:,.0f} entries/s, {dt / bare:.2f}x the bare parse")
    print(f"re-import of the same file: {again:.2f} s CPU, {again / bare:.2f}x the bare parse, "
          f"{rewritten} rows' modified_at rewritten")


def _cpu(fn, *args):
    t0 = time.process_time()
    out = fn(*args)
    return time.process_time() - t0, out


if __name__ == "__main__":
    main()
