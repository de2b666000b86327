"""The results page: each reproduction's results table, methods x metrics, the mean over
seeds with its 95% Student-t interval, and the paper's number beside ours where the
experiment declares one (``PAPER_TABLE``) -- the tables Papers with Code no longer serves.

Where the numbers come from, per reproduction: the single-method runs of a sweep
(:func:`kb.repro.sweep.results_table`, at the scale of the newest such run), else the newest
finished run here -- else the bundled reference -- of an experiment that lists its numbers
per seed (``seed_table(metrics)`` in its module). A reproduction with neither shows no table.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from kb.models.run import Run
from kb.repro.sweep import Interval, MethodRow, interval, results_table
from kb.site.data import SiteData
from kb.site.escape import oneline, text
from kb.site.pieces import front_matter, link


def _module(repro_id: str) -> Any:
    if importlib.util.find_spec("torch") is None:  # the site builds without the repro extra
        return None
    from reproductions import registry

    return registry.load(repro_id)


def _from_sweep(repro_id: str, runs: list[Run]) -> tuple[str, list[MethodRow]] | None:
    own = [r for r in runs if not r.reference and r.status == "done"
           and isinstance(r.config.get("methods"), list) and len(r.config["methods"]) == 1]
    if not own:
        return None
    scale = own[0].scale  # runs are newest first
    rows = results_table(None, repro_id, scale=scale, runs=runs)  # type: ignore[arg-type]
    if not rows:
        return None
    return f"sweep runs here, {scale} scale", rows


def _from_one_run(repro_id: str, runs: list[Run],
                  module: Any) -> tuple[str, list[MethodRow]] | None:
    table = getattr(module, "seed_table", None)
    if table is None:
        return None
    done = [r for r in runs if r.status == "done" and r.metrics]
    chosen = next((r for r in done if not r.reference), None) or next(
        (r for r in done if r.reference), None)
    if chosen is None:
        return None
    by_method: dict[str, dict[str, list[float]]] = table(chosen.metrics)
    if not by_method:
        return None
    paper = getattr(module, "PAPER_TABLE", {}) or {}
    rows = [MethodRow(method=m, seeds=[], paper=paper.get(m, {}),
                      metrics={k: interval(v) for k, v in sorted(numbers.items()) if v})
            for m, numbers in by_method.items()]
    label = "bundled reference run" if chosen.reference else "latest run here"
    return f"{label} {chosen.id}, {chosen.scale} scale", rows


def results_for(repro_id: str, runs: list[Run]) -> tuple[str, list[MethodRow]] | None:
    """(where the numbers come from, the rows) for one reproduction, or None."""
    found = _from_sweep(repro_id, runs)
    if found is not None:
        return found
    module = _module(repro_id)
    return _from_one_run(repro_id, runs, module) if module is not None else None


def _cell(iv: Interval) -> str:
    if iv.n < 2:
        return f"{iv.mean:.4g} <small>(n=1, no interval)</small>"
    return f"{iv.mean:.4g} <small>[{iv.low:.4g}, {iv.high:.4g}], n={iv.n}</small>"


def _paper(value: float | str | None) -> str:
    if value is None or value == "":
        return ""
    return f"{value:g}" if isinstance(value, int | float) else text(value)


def results_table_html(source: str, rows: list[MethodRow]) -> str:
    """One table: a column per metric, the paper's number in a column right beside ours."""
    metrics = sorted({m for r in rows for m in r.metrics})
    with_paper = {m for r in rows for m in r.paper}
    columns = [c for m in metrics for c in ([(m, False), (m, True)] if m in with_paper
                                             else [(m, False)])]
    columns += [(m, True) for m in sorted(with_paper - set(metrics))]
    head = "".join(f"<th>{'paper: ' if paper else ''}{text(m)}</th>" for m, paper in columns)
    body = []
    for r in rows:
        cells = "".join(
            f"<td>{_paper(r.paper.get(m))}</td>" if paper
            else f"<td>{_cell(r.metrics[m]) if m in r.metrics else ''}</td>"
            for m, paper in columns)
        body.append(f"<tr><td>{text(r.method)}</td>{cells}</tr>")
    return (f"<p><em>{text(source)}</em>: mean over seeds [95% Student-t interval]</p>\n"
            '<table class="mtlkb-table results-table"><thead><tr><th>Method</th>'
            f"{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>\n")


def results_page(data: SiteData) -> str:
    out = [front_matter("Results", exclude=True), "# Results\n\n",
           "<p>Each reproduction's methods x metrics over seeds, with the papers' numbers "
           "beside ours where they could be verified.</p>\n\n"]
    shown = 0
    for r in data.reproductions:
        found = results_for(r.id, r.runs)
        if found is None:
            continue
        shown += 1
        page = link("reproductions/" + r.id + ".html", oneline(r.title), raw_label=True)
        out.append(f"## {text(r.id)}\n\n<p>{page}</p>\n\n")
        out.append(results_table_html(*found) + "\n")
    if not shown:
        out.append("<p><em>No results yet</em>: <code>mtlkb repro sweep EXPERIMENT "
                   "--seeds 0-2</code></p>\n")
    return "".join(out)
