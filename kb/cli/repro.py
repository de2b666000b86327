"""``mtlkb repro list|run|show`` and ``mtlkb link``: runnable reproductions of papers' claims.

Only ``repro run`` imports torch (through :func:`kb.repro.execute.execute_run`).
"""

from typing import Any

import typer

from kb.cli.output import echo_json, fail, get_kb
from kb.models.reproduction import ReproductionDetail
from kb.models.run import Run, RunSummary
from kb.repro import execute as run_exec
from kb.repro import links as repro_links
from kb.repro import runs
from kb.repro import sweep as sweeps
from reproductions import registry
from reproductions.spec import SCALES

SCALE_HELP = ("smoke: seconds on a CPU, sanity checks; medium: a CPU hour where an experiment "
              "has one; full: the paper's setting and claim.")


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        fail(f"unknown scale {scale!r} (expected {', '.join(SCALES)})")


def _run_label(summary: RunSummary | None) -> str:
    """'failed (smoke, 2026-12-05)' for a run summary; 'not run' for none."""
    return summary.label() if summary is not None else "not run"


def _parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value is JSON when it parses as JSON, else the string."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _verdict_line(v: dict[str, Any]) -> str:
    outcome = v.get("outcome") or ("passed" if v.get("passed") else "failed")
    mark = {"passed": "PASS", "failed": "FAIL"}.get(outcome, str(outcome).upper())
    claim = str(v.get("claim"))
    kind = "" if claim.startswith("[") else f"({v.get('kind', 'paper')}) "
    paper = v.get("paper")
    paper_s = f"; paper {paper}" if paper is not None else ""
    return f"  [{mark}] {kind}{claim}\n         ours {v.get('ours')}{paper_s}; " \
           f"tolerance {v.get('tolerance')}"


app = typer.Typer()


repro_app = typer.Typer(
    help="Reproductions: runnable code checking papers' claims, and their recorded runs.",
    no_args_is_help=True,
)

@repro_app.command("list")
def list_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List the reproductions with the verdict of their latest run here, and apart from it
    the bundled reference run's (labelled reference)."""
    kb = get_kb(ctx)
    items = runs.list_reproductions(kb)
    if as_json:
        echo_json([item.list_dict() for item in items])
        return
    typer.echo(f"{'reproduction':<22} {'latest run':<28} {'reference (bundled)':<28} "
               "papers (arXiv / DOI)")
    for item in items:
        ids = ", ".join(item.arxiv_ids) or (f"doi:{item.doi}" if item.doi else "")
        ref = _run_label(item.reference) if item.reference else "-"
        typer.echo(f"{item.id:<22} {_run_label(item.latest):<28} {ref:<28} {ids}")
        typer.echo(f"    {item.title}")

@repro_app.command("run")
def run_cmd(
    ctx: typer.Context,
    repro_id: str = typer.Argument(..., help="Reproduction id (see `mtlkb repro list`)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda."),
    scale: str = typer.Option("smoke", "--scale", help=SCALE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed of the (first) run."),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Run N seeds: seed, seed+1, ..."),
    overrides: list[str] = typer.Option(
        None, "--set", help="Override a config field, KEY=VALUE (JSON value), repeatable."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run(s) as JSON."),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Progress bar (default: on a terminal)."
    ),
) -> None:
    """Run a reproduction, record it in the store and write its artifacts.

    Exit status: 0 when every run finished and no claim failed (passed or inconclusive),
    2 when a finished run's verdict is failed, 1 when a run crashed, 130 when interrupted.
    """
    try:
        repro = registry.get(repro_id)
    except registry.UnknownReproduction as exc:
        fail(str(exc))
    _check_scale(scale)
    kb = get_kb(ctx)
    extra = _parse_overrides(overrides)

    from reproductions.runner import Progress, is_terminal  # torch

    show_bar = progress if progress is not None else is_terminal()
    results: list[Run] = []
    try:
        for s in range(seed, seed + seeds):
            with Progress(enabled=show_bar) as bar:
                run = run_exec.execute_run(kb, repro, scale=scale, seed=s,
                                           device=device, progress=bar, overrides=extra)
            results.append(run)
            if not as_json:
                _print_run(results[-1])
    except KeyboardInterrupt:
        typer.echo("interrupted: the run is recorded as interrupted", err=True)
        raise typer.Exit(130) from None
    if as_json:
        dumped = [r.public_dict() for r in results]
        echo_json(dumped if seeds > 1 else dumped[0])
    if any(r.status != "done" for r in results):
        if not as_json:
            typer.echo("error: a run failed (traceback in the run's error and folder)",
                       err=True)
        raise typer.Exit(1)
    if any(r.verdict == "failed" for r in results):
        if not as_json:
            typer.echo("a claim failed: see the verdicts above", err=True)
        raise typer.Exit(2)

@repro_app.command("show")
def show_cmd(
    ctx: typer.Context,
    repro_id: str = typer.Argument(..., help="Reproduction id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a reproduction: its claim, linked papers, runs, verdicts and plots."""
    try:
        repro = registry.get(repro_id)
    except registry.UnknownReproduction as exc:
        fail(str(exc))
    kb = get_kb(ctx)
    summary = ReproductionDetail(**dict(runs.reproduction_summary(kb, repro)),
                                 papers=repro_links.linked_papers(kb, repro_id),
                                 module=repro.module)
    all_runs = runs.runs_for(kb, repro_id)
    if as_json:
        echo_json({"reproduction": summary.model_dump(),
                   "runs": [{**r.public_dict(), "plots": r.plots} for r in all_runs]})
        return
    typer.echo(f"{repro.id}: {repro.title}")
    typer.echo(f"claim: {repro.claim}")
    if repro.arxiv_ids:
        typer.echo(f"arXiv: {', '.join(repro.arxiv_ids)}")
    if repro.doi:
        typer.echo(f"DOI: {repro.doi}")
    papers = summary.papers
    typer.echo("papers: " + (", ".join(f"{p.key} ({p.source})" for p in papers)
                             if papers else "none in this KB"))
    typer.echo(f"latest run here: {_run_label(summary.latest)}")
    if summary.reference:
        typer.echo(f"reference run (bundled): {_run_label(summary.reference)}")
    typer.echo(f"runs: {len(all_runs)}")
    for r in all_runs:
        ref = " reference" if r.reference else ""
        typer.echo(f"  {r.id}  {r.status:<11} {r.scale or '-':<6} seed "
                   f"{r.seed}  {r.device or '-'}  {r.verdict or '-'}{ref}")
    if all_runs:
        latest = all_runs[0]
        label = "reference run" if latest.reference else "latest run"
        typer.echo(f"{label} {latest.id}:")
        for v in latest.verdicts:
            typer.echo(_verdict_line(v))
        for p in latest.plots:
            typer.echo(f"  plot: {p}")

@repro_app.command("sweep")
def sweep_cmd(
    ctx: typer.Context,
    repro_id: str = typer.Argument(..., help="Reproduction id (see `mtlkb repro list`)."),
    methods: str | None = typer.Option(
        None, "--methods", help="Comma-separated method labels (default: all it runs)."),
    seeds: str = typer.Option("0-2", "--seeds", help="Seeds: a range 0-4, a list 0,3,7."),
    scale: str = typer.Option("smoke", "--scale", help=SCALE_HELP),
    device: str = typer.Option("cpu", "--device", help="auto, cpu or cuda (each run's)."),
    executor: str = typer.Option(
        "local", "--executor", help="local (subprocesses), slurm (a job array) or debug "
        "(in this process)."),
    parallel: int = typer.Option(1, "--parallel", min=1, help="Runs at once."),
    overrides: list[str] = typer.Option(
        None, "--set", help="Override a config field, KEY=VALUE (JSON value), repeatable."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the cells and the table."),
) -> None:
    """Run methods x seeds (submitit), each an ordinary recorded run; print per method the mean,
    a 95% interval over seeds and the paper's number.

    A cell whose run (same config, seed and code commit) already finished is skipped, so a
    killed sweep resumes and a repeated one changes nothing. Exit status 1 when a cell failed
    (the others still ran).
    """
    try:
        registry.get(repro_id)
    except registry.UnknownReproduction as exc:
        fail(str(exc))
    _check_scale(scale)
    kb = get_kb(ctx)
    names = [m.strip() for m in methods.split(",") if m.strip()] if methods else None

    def line(cell: sweeps.Cell) -> None:
        if not as_json:
            tail = f"  {cell.error}" if cell.error else ""
            typer.echo(f"{cell.status:<8} {cell.method or '-':<14} seed {cell.seed:<4} "
                       f"{cell.run_id or ''}{tail}")

    try:
        report = sweeps.run_sweep(
            kb, repro_id, methods=names, seeds=sweeps.parse_seeds(seeds), scale=scale,
            device=device, executor=executor, parallel=parallel,
            overrides=_parse_overrides(overrides), on_cell=line)
    except KeyboardInterrupt:
        typer.echo("interrupted: finished runs are kept; rerun to resume", err=True)
        raise typer.Exit(130) from None
    if as_json:
        echo_json(report.model_dump())
    else:
        _print_table(report.table)
    if report.failed:
        typer.echo(f"error: {len(report.failed)} of {len(report.cells)} run(s) failed",
                   err=True)
        raise typer.Exit(1)


def _print_table(table: list[sweeps.MethodRow]) -> None:
    from kb.cli.output import print_table

    rows = []
    for row in table:
        for name, iv in row.metrics.items():
            paper = row.paper.get(name)
            rows.append([row.method, name, f"{iv.mean:.4g}", f"[{iv.low:.4g}, {iv.high:.4g}]",
                         str(iv.n), "" if paper is None else str(paper)])
    if rows:
        print_table(["method", "metric", "mean", "95% interval", "seeds", "paper"], rows)


app.add_typer(repro_app, name="repro")

def _print_run(r: Run) -> None:
    typer.echo(f"run {r.id}: {r.status} ({r.scale}, seed {r.seed}, {r.device}, {r.wall_s} s)")
    for v in r.verdicts:
        typer.echo(_verdict_line(v))
    if r.status == "done":
        typer.echo(f"verdict: {r.verdict}")
    if r.artifacts:
        first = r.artifacts[0]
        typer.echo(f"artifacts: {first.rsplit('/', 1)[0] if '/' in first else first} "
                   f"({len(r.artifacts)} files)")
    if r.error:
        typer.echo(r.error.strip().splitlines()[-1], err=True)
