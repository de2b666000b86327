"""Reproduction runs as HTML: metrics, verdict tables, plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.models.run import Run
from kb.site.escape import attr, oneline, text
from kb.site.pieces import Artifacts, badge
from reproductions.spec import verdict_outcome


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:
        return "—"
    return str(v)


def flatten_metrics(metrics: Any, prefix: str = "", limit: int = 40) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(metrics, dict):
        for k, v in metrics.items():
            name = f"{prefix}{k}"
            if isinstance(v, dict):
                out += flatten_metrics(v, name + ".", limit)
            elif isinstance(v, int | float | str | bool) or v is None:
                out.append((name, v))
            if len(out) >= limit:
                break
    return out[:limit]


def verdicts_table(verdicts: list[dict[str, Any]]) -> str:
    if not verdicts:
        return ""
    rows = []
    for v in verdicts:
        outcome = verdict_outcome(v)  # passed / failed / inconclusive (issue 12)
        kind = v.get("kind")
        rows.append(
            f"<tr><td>{badge(outcome, outcome)}"
            f"{' ' + badge(str(kind)) if kind else ''}</td>"
            f"<td>{oneline(v.get('claim'))}</td><td>{text(_fmt(v.get('paper')))}</td>"
            f"<td>{text(_fmt(v.get('ours')))}</td><td>{oneline(v.get('tolerance'))}</td></tr>"
        )
    return ("<table><thead><tr><th>Verdict</th><th>Claim</th><th>Paper</th><th>Ours</th>"
            "<th>Tolerance</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")


def run_block(run: Run, artifacts: Artifacts, up: str, *, plots: bool = True) -> str:
    head = [badge(run.status, run.status)]
    if run.verdict:
        head.append(badge(f"claims {run.verdict}", run.verdict))
    meta = " · ".join(text(str(x)) for x in (
        run.id, run.scale and f"scale {run.scale}",
        run.seed is not None and f"seed {run.seed}", run.device_name or run.device,
        run.started_at, run.wall_s is not None and f"{run.wall_s} s",
        run.reference and "reference run") if x)
    parts = [f'<div class="mtlkb-run"><p>{" ".join(head)} <small>{meta}</small></p>']
    parts.append(verdicts_table(run.verdicts))
    metrics = flatten_metrics(run.metrics)
    if metrics:
        rows = "".join(f"<tr><td><code>{text(k)}</code></td><td>{text(_fmt(v))}</td></tr>"
                       for k, v in metrics)
        parts.append("<details><summary>Metrics</summary><table><thead><tr><th>Metric</th>"
                     f"<th>Value</th></tr></thead><tbody>{rows}</tbody></table></details>")
    if plots:
        svgs = {Path(a).with_suffix("").as_posix() for a in run.artifacts
                if a.lower().endswith(".svg")}
        for a in run.artifacts:  # a plot saved as both SVG and PNG is shown once, as SVG
            if not a.lower().endswith(".svg") and Path(a).with_suffix("").as_posix() in svgs:
                continue
            rel = artifacts.add(run.id, a)
            if rel:
                parts.append(f'<p><img class="mtlkb-plot" src="{attr(up + rel)}" '
                             f'alt="{attr(Path(a).name)}" loading="lazy"></p>')
    if run.notes:
        parts.append("<ul>" + "".join(f"<li><small>{oneline(n)}</small></li>"
                                      for n in run.notes[:10]) + "</ul>")
    if run.error and run.status != "done":
        err = run.error.strip().splitlines()[-1:]
        parts.append(f"<p><small>error: {oneline(' '.join(err))}</small></p>")
    parts.append("</div>")
    return "\n".join(p for p in parts if p) + "\n"
