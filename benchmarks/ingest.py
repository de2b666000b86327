"""Ingest and lookup speed of mtlkb, each figure a ratio to a baseline run in the same process.

    python benchmarks/ingest.py            # full: 20,000 entries, 100,000-paper store
    python benchmarks/ingest.py --quick    # small sizes, for a smoke run

(1) ``mtlkb import`` core (parse + @string/# + LaTeX decoding + store, one transaction) of a
    generated .bib with LaTeX in a third of the fields, vs. bibtexparser's bare
    ``parse_string`` of the same text. Target: >= 2,000 entries/s, <= 3x the bare parse.
    For scale, also bibtexparser with its LatexDecodingMiddleware on a slice of the file.
(2) ``kb.store.search.search`` latency (p50/p95) on a generated store of 100,000 papers.
    Target: p95 <= 10 ms.
(3) Wall time of ``mtlkb --help`` and ``mtlkb search X`` (subprocess, median) vs. a minimal
    typer app's ``--help``. Targets: <= 1.2x and <= 1.5x. Prints where the startup time goes
    (``python -X importtime``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from kb.config import KB
    from kb.core.bib_import import ImportReport

# The words of generated titles and abstracts; import_realworld.py adds its own to the first
# four lines (the order is kept: the generated text depends on it).
WORDS_SHARED = (
    "multi task learning loss weighting gradient surgery pareto optimal shared encoder "
    "attention network uncertainty balancing conflicting gradients representation transfer "
    "negative auxiliary tasks scene understanding depth segmentation normals dense prediction "
).split()
WORDS = WORDS_SHARED + (
    "recommendation language models adapters routing mixture experts soft sharing hard "
    "parameter cross stitch units nash bargaining projection normalization dynamic weight "
    "average curriculum meta continual domain adaptation benchmark survey analysis robust "
    "efficient scalable federated reinforcement policy distillation contrastive self supervised"
).split()
LATEX_TITLE_BITS = [
    r"{\"U}ber", r"M{\"u}ller-Optimierung", r"{\ss}-Gewichte", r"Garc{\'\i}a", r"na\"{\i}ve",
    r"{\textendash}", r"\emph{Pareto}", r"$\alpha$-Fair", r"{MTL}", r"Sch\"on", r"\& more",
    r"caf\'e", r"{\o}stergaard", r"1--2",
]
LATEX_NAMES = [
    r"M{\"u}ller, J{\"o}rg", r"Garc{\'\i}a, Jos\'e", r"S{\o}gaard, Anders", r"Erd\H{o}s, Paul",
    r"Ko\c{c}, Ay{\c{s}}e", r"{\v{S}}koda, Petr", r"Bj{\"o}rk, {\AA}sa", r"Du\v{s}ek, Ond\v{r}ej",
]
PLAIN_NAMES = [
    "Kendall, Alex", "Gal, Yarin", "Ruder, Sebastian", "Sener, Ozan", "Koltun, Vladlen",
    "Chen, Zhao", "Liu, Shikun", "Yu, Tianhe", "Finn, Chelsea", "Levine, Sergey",
    "Navon, Aviv", "Liu, Bo", "Crawshaw, Michael", "Standley, Trevor", "Fifty, Christopher",
]
VENUES = ["icml", "neurips", "cvpr", "iclr"]


def generate_bib(n: int, seed: int = 0) -> str:
    """``n`` entries; about a third of the shown fields carry LaTeX; @string macros and #."""
    rng = random.Random(seed)
    out = [
        '@string{icml = "Proceedings of the International Conference on Machine Learning"}',
        '@string{neurips = "Advances in Neural Information Processing Systems"}',
        '@string{cvpr = "IEEE/CVF Conference on Computer Vision and Pattern Recognition"}',
        '@string{iclr = "International Conference on Learning Representations"}',
        "",
    ]
    for i in range(n):
        words = rng.sample(WORDS, 7)
        if rng.random() < 1 / 3:
            words.insert(rng.randrange(len(words)), rng.choice(LATEX_TITLE_BITS))
        title = " ".join(words).capitalize() + f" {i}"
        names = [
            rng.choice(LATEX_NAMES) if rng.random() < 1 / 3 else rng.choice(PLAIN_NAMES)
            for _ in range(rng.randint(1, 5))
        ]
        year = rng.randint(1995, 2025)
        kind = rng.random()
        fields = [f"  title = {{{title}}}", f"  author = {{{' and '.join(names)}}}",
                  f"  year = {year}"]
        if kind < 0.4:
            fields.append(f"  booktitle = {rng.choice(VENUES)}")
            entry_type = "inproceedings"
        elif kind < 0.7:
            journal = rng.choice(["Journal of Machine Learning Research",
                                  r"Zeitschrift f{\"u}r Lernen \& Optimierung",
                                  "Machine Learning", r"IEEE Trans.~Pattern Anal."])
            fields.append(f"  journal = {{{journal}}}")
            fields.append(f"  volume = {rng.randint(1, 40)}")
            fields.append(f"  pages = {{{rng.randint(1, 500)}--{rng.randint(501, 999)}}}")
            entry_type = "article"
        else:
            yymm = f"{rng.randint(15, 24):02d}{rng.randint(1, 12):02d}"
            fields.append(f"  eprint = {{{yymm}.{i % 100000:05d}}}")
            fields.append("  archivePrefix = {arXiv}")
            entry_type = "misc"
        if rng.random() < 0.3:
            fields.append(f"  doi = {{10.{rng.randint(1000, 9999)}/mtl.{i}}}")
        if rng.random() < 0.5:
            fields.append(f"  month = {rng.choice(['jan', 'mar', 'jun', 'sep', 'dec'])}")
        if rng.random() < 0.4:
            fields.append("  keywords = {" + ", ".join(rng.sample(WORDS, 3)) + "}")
        if rng.random() < 0.3:
            abstract = " ".join(rng.choices(WORDS, k=60))
            if rng.random() < 1 / 3:
                abstract += r" We reach 95\% with $\lambda$-weighting {\textemdash} see Fig.~2."
            fields.append(f"  abstract = {{{abstract}}}")
        out.append(f"@{entry_type}{{gen{i},\n" + ",\n".join(fields) + ",\n}\n")
    return "\n".join(out)


# In-process figures are CPU time of this process (time.process_time): on a shared, loaded
# machine wall time measures the neighbours as much as the code. Wall time is printed too.
WALL: dict[str, float] = {}


def timed_cpu_wall(fn, *args, **kwargs) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of one call."""
    w0, t0 = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return time.process_time() - t0, time.perf_counter() - w0, result


def timed(fn, *args, **kwargs):
    """(CPU seconds, result); the wall time goes to ``WALL`` under the function's name."""
    dt, WALL[getattr(fn, "__name__", "?")], result = timed_cpu_wall(fn, *args, **kwargs)
    return dt, result


def best_of(k: int, fn, *args, **kwargs) -> float:
    return min(timed(fn, *args, **kwargs)[0] for _ in range(k))


# -- (1) import --------------------------------------------------------------------------
def fresh_kb(work: Path) -> KB:
    """A new, initialised KB in a folder of its own under ``work``, its store opened and
    migrated (so that none of it is timed)."""
    from kb.config import KB
    from kb.core.init import init_kb

    kb = KB(Path(tempfile.mkdtemp(dir=work)))
    init_kb(kb)
    kb.db  # noqa: B018 - open and migrate outside the timing
    return kb


def timed_import(kb: KB, paths: list[Path]) -> tuple[float, float, ImportReport]:
    """(CPU s, wall s, report) of ``mtlkb import`` of ``paths`` into ``kb`` (the core, in
    this process); an entry that failed fails the benchmark."""
    from kb.core import bib_import

    cpu, wall, report = timed_cpu_wall(bib_import.run, kb, paths)
    assert not report.failed, report.problem_lines()[:3]
    return cpu, wall, report


def bench_import(n: int, work: Path) -> dict:
    import bibtexparser

    text = generate_bib(n)
    bib = work / "gen.bib"
    bib.write_text(text, encoding="utf-8")
    bare = best_of(3, bibtexparser.parse_string, text)

    def fresh_import():
        import kb.store.pairs

        kb.store.pairs._tokenizer = None  # as in a new process: no words learned yet
        kb = fresh_kb(work)
        dt, _, report = timed_import(kb, [bib])
        assert len(report.added) == n, (len(report.added), n)
        kb.close()
        return dt

    e2e = min(fresh_import() for _ in range(3))
    # Where the time goes: parse + decode without the store.
    from kb.sources.bibtex_source import parse_bibtex

    parse_only = best_of(3, parse_bibtex, text, "gen.bib")
    # bibtexparser's own LaTeX decoding on every field, on a slice (it is slow).
    from bibtexparser.middlewares import LatexDecodingMiddleware

    k = min(n, 2000)
    slice_text = generate_bib(k, seed=1)
    stack_bare = best_of(1, bibtexparser.parse_string, slice_text)
    stack_latex = best_of(
        1, bibtexparser.parse_string, slice_text, append_middleware=[LatexDecodingMiddleware()]
    )
    return {
        "entries": n,
        "bare_parse_s": bare,
        "bare_parse_per_s": n / bare,
        "parse_decode_s": parse_only,
        "end_to_end_s": e2e,
        "end_to_end_per_s": n / e2e,
        "ratio_vs_bare": e2e / bare,
        "latexmiddleware_slice": k,
        "latexmiddleware_ratio_vs_bare": stack_latex / stack_bare,
        "latexmiddleware_per_s": k / stack_latex,
    }


# -- (2) search --------------------------------------------------------------------------
VOCAB_SIZE = 20000


def zipf_vocab() -> tuple[list[str], list[float]]:
    """A Zipf-distributed vocabulary (s = 1): the MTL words first (most frequent), then
    made-up words, so common words match most papers and rare ones a handful."""
    vocab = list(dict.fromkeys(WORDS)) + [f"w{i}x" for i in range(VOCAB_SIZE - len(set(WORDS)))]
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    return vocab, weights


def build_store(root: Path, n: int) -> None:
    """A store of ``n`` papers, written with raw executemany in one transaction."""
    from kb.config import KB
    from kb.core.init import init_kb
    from kb.keys import normalize_title

    kb = KB(root)
    init_kb(kb)
    rng = random.Random(42)
    vocab, weights = zipf_vocab()
    cum = list(itertools.accumulate(weights))
    surnames = [n.split(",")[0] for n in PLAIN_NAMES] + [f"Author{i}" for i in range(20000)]
    rows = []
    for i in range(n):
        title = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 12))).capitalize()
        abstract = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(100, 200)))
        authors = "; ".join(rng.sample(surnames, rng.randint(1, 5)))
        rows.append((
            f"paper{i}", title, normalize_title(title), abstract, rng.randint(1990, 2025),
            "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", authors,
            " ".join(rng.sample(WORDS, 2)),
        ))
    with kb.write() as db:
        db.conn.executemany(
            "INSERT INTO papers (key, title, title_norm, abstract, year, added_at, "
            "modified_at, authors_text, topics_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    kb.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kb.db.conn.execute("ANALYZE")
    kb.close()


# Query mix: (class, share). head = the 50 most frequent words (each in 10-100% of the
# papers), torso = ranks 200-3000, tail = ranks 5000+, author = a surname.
QUERY_MIX = (("head word", 0.15), ("torso word", 0.30), ("tail word", 0.15),
             ("two torso words", 0.15), ("phrase", 0.10), ("prefix*", 0.05), ("author", 0.10))


def make_queries(k: int, rng: random.Random) -> list[tuple[str, str]]:
    vocab, _ = zipf_vocab()
    out = []
    for cls, share in QUERY_MIX:
        for _ in range(max(1, round(k * share))):
            if cls == "head word":
                q = vocab[rng.randrange(50)]
            elif cls == "torso word":
                q = vocab[rng.randrange(200, 3000)]
            elif cls == "tail word":
                q = vocab[rng.randrange(5000, len(vocab))]
            elif cls == "two torso words":
                q = f"{vocab[rng.randrange(200, 3000)]} {vocab[rng.randrange(200, 3000)]}"
            elif cls == "phrase":
                q = f'"{vocab[rng.randrange(50)]} {vocab[rng.randrange(50)]}"'
            elif cls == "prefix*":
                q = vocab[rng.randrange(200, 3000)][:4] + "*"
            else:
                q = f"Author{rng.randrange(20000)}"
            out.append((cls, q))
    rng.shuffle(out)
    return out


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(len(xs) * p)) - 1))]


def bench_search(root: Path, n: int, queries: int) -> dict:
    from kb.config import KB
    from kb.store.search import fts_query, search

    dt_build, _ = timed(build_store, root, n)
    kb = KB(root)
    qs = make_queries(queries, random.Random(7))
    for _, q in qs[:30]:  # warm the page cache
        search(kb.db, q)
    lat: list[float] = []
    wall: list[float] = []
    by_class: dict[str, list[float]] = {}
    matches: dict[str, list[int]] = {}
    for cls, q in qs:
        w0, t0 = time.perf_counter(), time.process_time()
        search(kb.db, q)
        dt = (time.process_time() - t0) * 1000
        wall.append((time.perf_counter() - w0) * 1000)
        lat.append(dt)
        by_class.setdefault(cls, []).append(dt)
        fq = fts_query(q)
        matches.setdefault(cls, []).append(kb.db.conn.execute(
            "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", [fq]).fetchone()[0])
    index_mb = kb.db.conn.execute(
        "SELECT sum(length(block)) FROM papers_fts_data").fetchone()[0] / 1e6
    kb.close()
    return {
        "papers": n,
        "build_s": dt_build,
        "fts_index_mb": index_mb,
        "queries": len(lat),
        "p50_ms": _pct(lat, 0.50),
        "p95_ms": _pct(lat, 0.95),
        "max_ms": max(lat),
        "wall_p50_ms": _pct(wall, 0.50),
        "wall_p95_ms": _pct(wall, 0.95),
        "classes": {
            cls: {"n": len(v), "p50_ms": _pct(v, 0.5), "p95_ms": _pct(v, 0.95),
                  "median_matches": statistics.median(matches[cls])}
            for cls, v in by_class.items()
        },
    }


# -- (3) startup -------------------------------------------------------------------------
MINIMAL_APP = textwrap.dedent(
    """
    import typer

    app = typer.Typer(add_completion=False)


    @app.command()
    def hello(name: str = "world") -> None:
        print(name)


    @app.command()
    def bye() -> None:
        pass


    app()
    """
)


def median_wall(cmd: list[str], env: dict, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - t0)
    return times


def import_self_times(cmd: list[str], env: dict) -> dict[str, float]:
    """Self import time (ms) per top-level package for one run of ``cmd`` (-X importtime)."""
    r = subprocess.run([sys.executable, "-X", "importtime", *cmd], env=env,
                       capture_output=True, text=True, check=False)
    out: dict[str, float] = {}
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cum_us, name = line[len("import time:"):].split("|")
        root = name.strip().split(".")[0]
        out[root] = out.get(root, 0.0) + int(self_us) / 1000
    return out


def import_extra(cmd: list[str], base: list[str], env: dict, runs: int = 3,
                 top: int = 8) -> tuple[float, list[tuple[str, float]]]:
    """Import time ``cmd`` spends beyond ``base``, per top-level package (median of runs)."""
    def med(c: list[str]) -> dict[str, float]:
        samples = [import_self_times(c, env) for _ in range(runs)]
        keys = set().union(*samples)
        return {k: statistics.median(s.get(k, 0.0) for s in samples) for k in keys}

    a, b = med(cmd), med(base)
    diff = {k: a.get(k, 0.0) - b.get(k, 0.0) for k in set(a) | set(b)}
    total = sum(a.values()) - sum(b.values())
    ranked = sorted(diff.items(), key=lambda kv: -kv[1])[:top]
    return total, [(k, v) for k, v in ranked if v > 0.5]


# A mid-frequency word (in ~1% of the papers): measures start-up, not a slow query.
SEARCH_WORD = "w1000x"


def bench_startup(kb_root: Path, runs: int, work: Path) -> dict:
    app = work / "minimal_app.py"
    app.write_text(MINIMAL_APP)
    mtlkb = shutil.which("mtlkb", path=str(Path(sys.executable).parent)) or "mtlkb"
    env = dict(os.environ, MTLKB_HOME=str(kb_root))
    cmds = {
        "minimal --help": [sys.executable, str(app), "--help"],
        "mtlkb --help": [mtlkb, "--help"],
        "mtlkb search": [mtlkb, "search", SEARCH_WORD],
    }
    for cmd in cmds.values():  # warm caches
        median_wall(cmd, env, 1)
    samples: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):  # interleaved, so load changes hit all three alike
        for name, cmd in cmds.items():
            samples[name] += median_wall(cmd, env, 1)
    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["minimal --help"]
    return {
        "runs": runs,
        "minimal_help_s": base,
        "mtlkb_help_s": med["mtlkb --help"],
        "mtlkb_search_s": med["mtlkb search"],
        "help_ratio": med["mtlkb --help"] / base,
        "search_ratio": med["mtlkb search"] / base,
        "search_imports_ms": import_extra(["-m", "kb", "search", SEARCH_WORD],
                                          [str(app), "--help"], env),
        "help_imports_ms": import_extra(["-m", "kb", "--help"], [str(app), "--help"], env),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--entries", type=int, default=None)
    ap.add_argument("--papers", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--parts", default="1,2,3", help="which of (1) (2) (3) to run, e.g. 1,3")
    args = ap.parse_args()
    n = args.entries or (2000 if args.quick else 20000)
    papers = args.papers or (10000 if args.quick else 100000)
    runs = args.runs or (3 if args.quick else 10)
    work = Path(tempfile.mkdtemp(prefix="mtlkb-bench-"))
    try:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load "
              f"{os.getloadavg()[0]:.1f}")
        parts = {int(p) for p in args.parts.split(",") if p.strip()}
        imp = se = st = None
        if 1 in parts:
            imp = bench_import(n, work)
            _print_import(n, imp)
        if 2 in parts or 3 in parts:
            store = work / "store"
            se = bench_search(store, papers, 200 if args.quick else 500)
            if 2 in parts:
                _print_search(papers, se)
        if 3 in parts:
            st = bench_startup(store, runs, work)
            _print_startup(runs, st)
        if args.json:
            print(json.dumps({"import": imp, "search": se, "startup": st}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _print_import(n: int, imp: dict) -> None:
    print(f"\n(1) import of {n:,} generated entries (LaTeX in ~1/3 of the shown fields); "
          "CPU time, best of 3")
    print(f"    bibtexparser bare parse_string : {imp['bare_parse_s']:.2f} s "
          f"({imp['bare_parse_per_s']:,.0f} entries/s)  [baseline]")
    print(f"    parse + resolve + decode only  : {imp['parse_decode_s']:.2f} s")
    print(f"    mtlkb import, end to end       : {imp['end_to_end_s']:.2f} s "
          f"({imp['end_to_end_per_s']:,.0f} entries/s) = {imp['ratio_vs_bare']:.2f}x "
          f"the bare parse  (target >= 2,000/s, <= 3x)")
    print(f"    for scale: LatexDecodingMiddleware on {imp['latexmiddleware_slice']:,} "
          f"entries = {imp['latexmiddleware_ratio_vs_bare']:.1f}x the bare parse "
          f"({imp['latexmiddleware_per_s']:,.0f} entries/s)")


def _print_search(papers: int, se: dict) -> None:
    print(f"\n(2) kb.store.search.search on {papers:,} papers (Zipf vocabulary; store built "
          f"in {se['build_s']:.1f} s CPU, FTS index {se['fts_index_mb']:.0f} MB), "
          f"{se['queries']} queries, CPU time per query")
    print(f"    CPU  p50 {se['p50_ms']:.2f} ms, p95 {se['p95_ms']:.2f} ms, max "
          f"{se['max_ms']:.2f} ms  (target p95 <= 10 ms)")
    print(f"    wall p50 {se['wall_p50_ms']:.2f} ms, p95 {se['wall_p95_ms']:.2f} ms")
    for cls, c in se["classes"].items():
        print(f"      {cls:<16} n={c['n']:<4} p50 {c['p50_ms']:6.2f} ms  p95 "
              f"{c['p95_ms']:6.2f} ms  (median {c['median_matches']:,.0f} matching papers)")


def _print_startup(runs: int, st: dict) -> None:
    print(f"\n(3) startup, median of {runs} runs (subprocess wall time)")
    print(f"    minimal typer app --help : {st['minimal_help_s'] * 1000:.0f} ms  [baseline]")
    print(f"    mtlkb --help             : {st['mtlkb_help_s'] * 1000:.0f} ms = "
          f"{st['help_ratio']:.2f}x  (target <= 1.2x)")
    print(f"    mtlkb search {SEARCH_WORD:<11} : {st['mtlkb_search_s'] * 1000:.0f} ms = "
          f"{st['search_ratio']:.2f}x  (target <= 1.5x)")
    for label, key in (("mtlkb search", "search_imports_ms"), ("mtlkb --help",
                                                                "help_imports_ms")):
        total, parts = st[key]
        print(f"    `{label}` imports {total:.0f} ms more than the minimal app "
              "(-X importtime, self time by package): "
              + ", ".join(f"{m} {t:.0f}" for m, t in parts))


if __name__ == "__main__":
    main()
