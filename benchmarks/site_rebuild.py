"""One-note rebuilds of a kept KB: wall and CPU time of ``build_site``, the files written.

    python benchmarks/site.py 5000 --keep /tmp/rb5k          # makes /tmp/rb5k/kb5000 once
    python benchmarks/site_rebuild.py /tmp/rb5k/kb5000        # median of 3 one-note rebuilds
    python benchmarks/site_rebuild.py /tmp/rb5k/kb5000 --profile /tmp/rebuild.prof

First a settling build (whatever the last build left: a code change makes it a full one),
then ``--rounds`` times: one note (``--note``) gets a line with a new word, then
``build_site``. Prints each round (wall, CPU, generation, MkDocs mode, files written in
``site/``), the median, and the load average before and after (the machine is shared: the
CPU time is the figure that does not follow the load). With ``--profile`` the last round
runs under cProfile and its stats are written there (the timed figures exclude it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rebuild_once(kb, note: Path, word: str) -> dict:
    from kb.site.build import build_site

    note.write_text(note.read_text(encoding="utf-8") + f"\nA later thought: {word}.\n",
                    encoding="utf-8")
    t0, c0 = time.perf_counter(), time.process_time()
    result = build_site(kb)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "generate": result.generate_s, "mkdocs": result.mkdocs_s,
            "mode": result.mkdocs_mode, "written": sorted(result.site_written),
            "pages_written": sorted(result.gen.written)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kb", type=Path, help="a KB folder (e.g. /tmp/rb5k/kb5000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--note", default="paper00001", help="the key of the note to edit")
    ap.add_argument("--profile", type=Path, help="also profile one more round into this file")
    args = ap.parse_args()

    import kb as kb_package
    from kb.config import KB
    from kb.site.build import build_site

    print(f"code: {Path(kb_package.__file__).parent}")
    kb = KB(args.kb)
    note = kb.notes_dir / f"{args.note}.md"
    t0, c0 = time.perf_counter(), time.process_time()
    settle = build_site(kb)
    print(f"settling build: {time.perf_counter() - t0:.1f} s wall, "
          f"{time.process_time() - c0:.1f} s CPU, mkdocs {settle.mkdocs_mode}, "
          f"{len(settle.site_written)} files written in site/")
    print(f"load average before: {_load()}")
    rows = []
    for i in range(args.rounds):
        r = rebuild_once(kb, note, f"rebuildword{time.time_ns()}x{i}")
        rows.append(r)
        print(f"round {i + 1}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU "
              f"(generation {r['generate']:.2f} s, MkDocs {r['mkdocs']:.2f} s {r['mode']}); "
              f"staging pages written {r['pages_written']}; site files written {r['written']}")
    print(f"load average after: {_load()}")
    print(f"median of {len(rows)}: {statistics.median(r['wall'] for r in rows):.2f} s wall, "
          f"{statistics.median(r['cpu'] for r in rows):.2f} s CPU, generation "
          f"{statistics.median(r['generate'] for r in rows):.2f} s")
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
        rebuild_once(kb, note, f"profiledword{time.time_ns()}")
        prof.disable()
        prof.dump_stats(args.profile)
        print(f"profile of one more round: {args.profile}")
    kb.close()


if __name__ == "__main__":
    main()
