"""site build, site serve: the MkDocs Material site of the KB (mkdocs imported inside)."""

from pathlib import Path

import typer

from kb.cli.output import echo_json, require_kb
from kb.site.build import build_site
from kb.site.serve import serve_site

app = typer.Typer()


site = typer.Typer(help="Build or preview the static site (MkDocs + Material).",
                   no_args_is_help=True)
app.add_typer(site, name="site")

@site.command("build")
def build_cmd(
    ctx: typer.Context,
    site_dir: Path | None = typer.Option(
        None, "--site-dir", help="Where to write the site (default: mkdocs.yml's site_dir)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show MkDocs' log."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Write the pages into .staging/docs and build the site (works from file://)."""
    kb = require_kb(ctx)
    result = build_site(kb, site_dir.resolve() if site_dir else None, verbose=verbose)
    gen = result.gen
    if as_json:
        echo_json({
            "site_dir": str(result.site_dir), "index": str(result.index),
            "papers": gen.papers, "pages_written": len(gen.written),
            "pages_unchanged": gen.unchanged, "pages_removed": len(gen.removed),
            "generate_s": round(result.generate_s, 3), "mkdocs_s": round(result.mkdocs_s, 3),
        })
        return
    typer.echo(
        f"{gen.papers} papers: {len(gen.written)} file(s) written, {gen.unchanged} unchanged, "
        f"{len(gen.removed)} removed in {kb.rel(gen.docs_dir)} "
        f"({result.generate_s:.1f} s); MkDocs build {result.mkdocs_s:.1f} s")
    typer.echo(f"site built in {result.site_dir}")
    typer.echo(f"open {result.index}")

@site.command("serve")
def serve_cmd(
    ctx: typer.Context,
    port: int = typer.Option(8000, "--port", "-p", help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    open_browser: bool = typer.Option(False, "--open", help="Open a browser tab."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show MkDocs' log."),
) -> None:
    """Live preview that rebuilds when a note, a run or the store changes."""
    kb = require_kb(ctx)
    serve_site(kb, host=host, port=port, open_in_browser=open_browser, verbose=verbose)
