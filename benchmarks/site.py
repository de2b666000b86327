"""Site build time at 100, 1,000 and 5,000 papers with notes; search index size.

    python benchmarks/site.py                 # 100 1000 5000
    python benchmarks/site.py 100 1000        # chosen sizes
    python benchmarks/site.py --keep DIR 250  # keep the generated KBs under DIR

For each size: a fresh KB with synthetic papers (abstracts ~1 KB, 2-5 authors from a pool of
about 1.2 authors a paper, 1-3 taxonomy topics, BibTeX), a filled-in reading note for every
paper, one reproduction run with a plot. Prints the first build (generation + MkDocs), a
second build with no change (pages rewritten must be 0), and the search index size (raw and
gzipped). Results go in benchmarks/site.md.
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSER = False
sys.path.insert(0, str(ROOT))

WORDS = (
    "multi task learning shared representation gradient conflict loss weighting uncertainty "
    "pareto optimal descent auxiliary tasks negative transfer hard parameter sharing soft "
    "attention routing experts mixture cross stitch network dense prediction segmentation depth "
    "surface normals benchmark cityscapes nyuv2 celeba recommendation click conversion ranking "
    "optimization convergence curvature projection cosine similarity magnitude normalisation "
    "scale invariance stochastic regret bargaining nash equilibrium fairness balance dynamic "
    "weight average homoscedastic noise regression classification encoder decoder branching"
).split()
FIRST = ("Alex Yarin Roberto Sebastian Ozan Vladlen Zhao Kaisa Bo Liu Xi Tianhe Aviv Ethan Simon "
         "Maria Jonas Wei Ana Li Sara Omar Ivan Chen Lucas Mia Noah Emma Hugo Lena").split()
LAST = ("Kendall Gal Cipolla Ruder Sener Koltun Chen Yu Navon Fifty Vandenhende Crawshaw Misra "
        "Ma Liu Wang Zhang Li Kurin Royer Xin Javaloy Lin Senushkin Standley Zamir Guo Sun Hu "
        "Ahn Park Kim Lee Novak Rossi Muller Dubois Garcia Silva Costa Nagy Horvat Berg").split()


def _png(w: int = 160, h: int = 90) -> bytes:
    raw = b"".join(b"\x00" + bytes([30, 120, 200]) * w for _ in range(h))

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_kb(root: Path, n: int, seed: int = 0):
    from kb.config import KB
    from kb.core.init import init_kb
    from kb.models import Author, Paper
    from kb.site.data import load_taxonomy
    from kb.store.papers import PaperWriter

    rng = random.Random(seed)
    kb = KB(root)
    init_kb(kb)
    topics = sorted(load_taxonomy(kb)) or [f"topic-{i}" for i in range(25)]
    pool = [f"{rng.choice(FIRST)} {chr(65 + i % 26)}. {rng.choice(LAST)}"
            for i in range(max(20, int(n * 1.2)))]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(pool))]
    with kb.write() as db:
        w = PaperWriter(db)
        for i in range(n):
            names = list(dict.fromkeys(rng.choices(pool, weights, k=rng.randint(2, 5))))
            title = f"{_sentence(rng, rng.randint(5, 10))[:-1]} {i}"
            w.put(Paper(
                key=f"paper{i:05d}", title=title, year=2015 + i % 11,
                authors=[Author.from_display(a) for a in names],
                venue=rng.choice(["NeurIPS", "ICML", "ICLR", "CVPR", "arXiv"]),
                arxiv_id=f"{20 + i % 5:02d}{1 + i % 12:02d}.{10000 + i:05d}",
                abstract=" ".join(_sentence(rng, rng.randint(12, 22)) for _ in range(7)),
                topics=rng.sample(topics, rng.randint(1, 3)),
                added_at=f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
            ))
    kb.notes_dir.mkdir(exist_ok=True)
    for i in range(n):
        key = f"paper{i:05d}"
        answers = "\n\n".join(
            f"__*Question {q}?*__\n\n{_sentence(rng, rng.randint(15, 40))}" for q in range(8))
        future = f"paper{(i * 7 + 3) % n:05d}"
        (kb.notes_dir / f"{key}.md").write_text(
            f'<!--\n{{"title": "Paper {i}", "estimated_minutes": "{30 + i % 90}"}}\n-->\n'
            f"### Paper {i}\n\nRead on: 2025-02-{1 + i % 28:02d}  \nTime spent: *{30 + i % 90}* "
            f"minutes  \n\ncitation:\n```\n@misc{{{key}, title={{Paper {i}}}}}\n```\n\n{answers}"
            f"\n\n#### Future reading\n\n- [[{future}]]\n", encoding="utf-8")
    try:
        from kb.repro.runs import record_run

        rid = "kendall-uncertainty-bench-run"
        (kb.runs_dir / rid).mkdir(parents=True, exist_ok=True)
        (kb.runs_dir / rid / "plot.png").write_bytes(_png())
        record_run(kb, {"id": rid, "reproduction": "kendall-uncertainty", "status": "done",
                        "scale": "smoke", "seed": 0, "device": "cpu", "metrics": {"a": 1.0},
                        "verdicts": [{"claim": "c", "ours": 1, "paper": 1, "tolerance": "0",
                                      "passed": True}],
                        "artifacts": [f"runs/{rid}/plot.png"], "started_at": "2025-01-01"})
    except Exception as exc:  # noqa: BLE001 - the benchmark still measures the papers
        print(f"  (no run recorded: {exc})")
    return kb


def measure(n: int, keep: Path | None) -> dict:
    from kb.config import KB
    from kb.site.build import build_site

    base = Path(tempfile.mkdtemp(prefix="mtlkb-bench-")) if keep is None else keep
    root = base / f"kb{n}"
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    make_kb(root, n).close()
    make_s = time.perf_counter() - t0
    kb = KB(root)
    t0, c0 = time.perf_counter(), time.process_time()
    first = build_site(kb)
    first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    second = build_site(kb)
    second_s = time.perf_counter() - t0
    if second.gen.written:
        print(f"  (2nd build rewrote: {', '.join(second.gen.written[:5])})", flush=True)
    index = first.site_dir / "search" / "search_index.json"
    raw = index.read_bytes() if index.is_file() else b""
    out = {
        "papers": n, "make_s": make_s, "pages": first.gen.total,
        "gen1": first.generate_s, "mk1": first.mkdocs_s, "total1": first_s, "cpu1": first_cpu,
        "gen2": second.generate_s, "mk2": second.mkdocs_s, "total2": second_s,
        "rewritten2": len(second.gen.written),
        "index_raw": len(raw), "index_gz": len(gzip.compress(raw, 6)),
        "search_s": search_timing(first.site_dir, "paper00001") if BROWSER else None,
    }
    kb.close()
    if keep is None:
        shutil.rmtree(base, ignore_errors=True)
    return out


def search_timing(site: Path, word: str) -> float | None:
    """Seconds from opening index.html (file://) to the first search result, in headless
    Debian Chromium (None when Chromium or Playwright is missing)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(chromium).is_file():
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(120_000)
        t0 = time.perf_counter()
        page.goto((site / "index.html").as_uri())
        page.keyboard.press("/")
        page.keyboard.type(word)
        page.locator(".md-search-result__item").first.wait_for()
        took = time.perf_counter() - t0
        browser.close()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    ap.add_argument("--keep", type=Path, help="keep the generated KBs under this folder")
    ap.add_argument("--browser", action="store_true",
                    help="also time the first search result from file:// in headless Chromium")
    args = ap.parse_args()
    global BROWSER
    BROWSER = args.browser
    print("| papers | pages | 1st: generate | 1st: MkDocs | 1st: total (CPU) | 2nd: generate | "
          "2nd: MkDocs | 2nd: pages rewritten | search index | gzipped | first search hit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        r = measure(n, args.keep)
        print(f"| {r['papers']:,} | {r['pages']:,} | {r['gen1']:.1f} s | {r['mk1']:.1f} s | "
              f"{r['total1']:.1f} s ({r['cpu1']:.1f} s) | {r['gen2']:.1f} s | "
              f"{r['mk2']:.1f} s | {r['rewritten2']} | "
              f"{r['index_raw'] / 1e6:.2f} MB | {r['index_gz'] / 1e6:.2f} MB | "
              f"{'-' if r['search_s'] is None else format(r['search_s'], '.1f') + ' s'} |",
              flush=True)


if __name__ == "__main__":
    main()
