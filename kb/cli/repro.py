"""``mtlkb repro list|run|show`` and ``mtlkb link``: runnable reproductions of papers' claims.

Only ``repro run`` imports torch (through :func:`kb.repro.execute.execute_run`).
"""

from typing import Any

import typer

from kb.cli.output import echo_json, fail, get_kb
from kb.repro import execute as run_exec
from kb.repro import links as repro_links
from kb.repro import runs
from reproductions import registry

SCALE_HELP = "smoke: seconds on a CPU, sanity checks; full: the paper's setting and claim."


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
    """List the reproductions with the verdict of their latest run."""
    kb = get_kb(ctx)
    items = runs.list_reproductions(kb)
    if as_json:
        echo_json([
            {k: item[k] for k in ("id", "title", "arxiv_ids", "claim", "last_verdict",
                                  "last_verdict_scale", "doi", "n_runs", "latest_run")}
            for item in items
        ])
        return
    typer.echo(f"{'reproduction':<22} {'last verdict':<16} papers (arXiv / DOI)")
    for item in items:
        verdict = item["last_verdict"] or "not run"
        if item["last_verdict"] and item["last_verdict_scale"] != "full":
            verdict += f" ({item['last_verdict_scale']})"
        ids = ", ".join(item["arxiv_ids"]) or (f"doi:{item['doi']}" if item["doi"] else "")
        typer.echo(f"{item['id']:<22} {verdict:<16} {ids}")
        typer.echo(f"    {item['title']}")

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
    if scale not in ("smoke", "full"):
        fail(f"unknown scale {scale!r} (expected smoke or full)")
    kb = get_kb(ctx)
    extra = _parse_overrides(overrides)

    from reproductions.runner import Progress, is_terminal  # torch

    show_bar = progress if progress is not None else is_terminal()
    results = []
    try:
        for s in range(seed, seed + seeds):
            with Progress(enabled=show_bar) as bar:
                run = run_exec.execute_run(kb, repro, scale=scale, seed=s,
                                           device=device, progress=bar, overrides=extra)
            results.append(runs.public_run(run))
            if not as_json:
                _print_run(results[-1])
    except KeyboardInterrupt:
        typer.echo("interrupted: the run is recorded as interrupted", err=True)
        raise typer.Exit(130) from None
    if as_json:
        echo_json(results if seeds > 1 else results[0])
    if any(r["status"] != "done" for r in results):
        if not as_json:
            typer.echo("error: a run failed (traceback in the run's error and folder)",
                       err=True)
        raise typer.Exit(1)
    if any(r["verdict"] == "failed" for r in results):
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
    summary = runs.reproduction_summary(kb, repro)
    summary["papers"] = repro_links.linked_papers(kb, repro_id)
    summary["module"] = repro.module
    all_runs = [runs.public_run(r) for r in runs.runs_for(kb, repro_id)]
    for r in all_runs:
        r["plots"] = [a for a in r["artifacts"] if a.endswith((".png", ".svg"))]
    if as_json:
        echo_json({"reproduction": summary, "runs": all_runs})
        return
    typer.echo(f"{repro.id}: {repro.title}")
    typer.echo(f"claim: {repro.claim}")
    if repro.arxiv_ids:
        typer.echo(f"arXiv: {', '.join(repro.arxiv_ids)}")
    if repro.doi:
        typer.echo(f"DOI: {repro.doi}")
    papers = summary["papers"]
    typer.echo("papers: " + (", ".join(f"{p['key']} ({p['source']})" for p in papers)
                             if papers else "none in this KB"))
    typer.echo(f"last verdict: {summary['last_verdict'] or 'not run'}"
               + (f" ({summary['last_verdict_scale']})" if summary["last_verdict"] else ""))
    typer.echo(f"runs: {len(all_runs)}")
    for r in all_runs:
        ref = " reference" if r["reference"] else ""
        typer.echo(f"  {r['run_id']}  {r['status']:<11} {r['scale'] or '-':<6} seed "
                   f"{r['seed']}  {r['device'] or '-'}  {r['verdict'] or '-'}{ref}")
    if all_runs:
        latest = all_runs[0]
        typer.echo(f"latest run {latest['run_id']}:")
        for v in latest["verdicts"]:
            typer.echo(_verdict_line(v))
        for p in latest["plots"]:
            typer.echo(f"  plot: {p}")

app.add_typer(repro_app, name="repro")

@app.command("link")
def link_cmd(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Paper key (or arXiv id / DOI)."),
    repro_id: str = typer.Argument(..., help="Reproduction id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Link a paper to a reproduction by hand (arXiv-id matches link automatically)."""
    kb = get_kb(ctx)
    out = repro_links.link(kb, key, repro_id)
    if as_json:
        echo_json(out)
    else:
        typer.echo(f"linked {out['paper_key']} -> {out['reproduction']}")


def _print_run(r: dict[str, Any]) -> None:
    typer.echo(f"run {r['run_id']}: {r['status']} ({r['scale']}, seed {r['seed']}, "
               f"{r['device']}, {r['wall_s']} s)")
    for v in r["verdicts"]:
        typer.echo(_verdict_line(v))
    if r["status"] == "done":
        typer.echo(f"verdict: {r['verdict']}")
    if r["artifacts"]:
        first = r["artifacts"][0]
        typer.echo(f"artifacts: {first.rsplit('/', 1)[0] if '/' in first else first} "
                   f"({len(r['artifacts'])} files)")
    if r["error"]:
        typer.echo(r["error"].strip().splitlines()[-1], err=True)
