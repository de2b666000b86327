"""Peak memory (RSS) of ``mtlkb export --format json`` and ``mtlkb list --json`` on a large KB.

    python benchmarks/memory.py                  # 37,000 papers (the size of the issue's KB)
    python benchmarks/memory.py --papers 2000    # a smoke run
    python benchmarks/memory.py --keep /tmp/kb   # keep (or reuse) the generated KB

The KB is built by the real import of a generated .bib (``search_mix``'s realistic text:
~1.3 KB abstracts, 1-6 authors, DOIs, arXiv ids, a venue), so every paper carries its
original BibTeX entry as well. Each command then runs as its own process (the real ``mtlkb``
entry point) and its peak resident set size is read from ``wait4``'s rusage; the baseline is
``mtlkb --version`` in the same way (the interpreter and the imports alone).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _bib_escape(text: str) -> str:
    return text.replace("{", "").replace("}", "").replace("\\", "")


def write_bib(path: Path, n: int) -> None:
    from search_mix import generate

    with open(path, "w", encoding="utf-8") as f:
        for key, title, abstract, authors, _topics, doi, arxiv, year in generate(n, seed=3):
            names = " and ".join(
                f"{a.split(' ', 1)[1]}, {a.split(' ', 1)[0]}" for a in authors.split("; "))
            fields = [("title", title), ("author", names), ("year", str(year)),
                      ("journal", "Journal of Generated Results"), ("abstract", abstract)]
            if doi:
                fields.append(("doi", doi))
            if arxiv:
                fields += [("eprint", arxiv), ("archivePrefix", "arXiv")]
            body = ",\n".join(f"  {k} = {{{_bib_escape(v)}}}" for k, v in fields)
            f.write(f"@article{{{key},\n{body}\n}}\n\n")


def build(root: Path, n: int) -> float:
    from kb.config import KB
    from kb.core import bib_import
    from kb.core.init import init_kb

    kb = KB(root)
    init_kb(kb)
    bib = root / "gen.bib"
    write_bib(bib, n)
    t0 = time.perf_counter()
    report = bib_import.run(kb, [bib])
    assert not report.failed, report.problem_lines()[:3]
    kb.close()
    bib.unlink()
    return time.perf_counter() - t0


_MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_, status, usage = os.wait4(proc.pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.stderr.write(err.decode(errors="replace")[-500:] if code else "")
print(usage.ru_maxrss)
sys.exit(code)
"""


def peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``mtlkb ARGS`` as its own process.

    A small helper process starts the command: a child's peak RSS starts from its parent's
    at ``fork`` (Linux keeps it across ``exec``), so this process, which built the KB, must
    not be the parent.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-c", "from kb.cli import main; main()", *args]
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True,
                          text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return int(done.stdout.split()[-1]) / 1024, wall  # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=37000)
    ap.add_argument("--keep", type=Path, default=None, help="build (or reuse) the KB here")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="mtlkb-mem-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load "
          f"{os.getloadavg()[0]:.1f}")
    if not (root / "mtlkb.db").exists():
        dt = build(root, args.papers)
        size = (root / "mtlkb.db").stat().st_size
        print(f"imported {args.papers:,} papers in {dt:.1f} s ({size / 1e6:.0f} MB store)")
    kb = ["--kb", str(root)]
    out = root / "export.json"
    base, _ = peak_rss_mb(["--version"])
    print(f"baseline `mtlkb --version`: peak RSS {base:.0f} MB")
    for label, cmd in (
        ("export --format json -o FILE", [*kb, "export", "--format", "json", "-o", str(out),
                                          "--force"]),
        ("export --format json > stdout", [*kb, "export", "--format", "json"]),
        ("list --json > stdout", [*kb, "list", "--json"]),
        ("list > stdout", [*kb, "list"]),
    ):
        rss, wall = peak_rss_mb(cmd)
        print(f"{label:<32} peak RSS {rss:7.0f} MB ({rss - base:+.0f} MB over the baseline), "
              f"{wall:.1f} s")
    print(f"export file {out.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
