"""The KB's ``mkdocs.yml``: the default written by ``mtlkb init`` and used when it is absent.

Only features both MkDocs + Material and Zensical support: search, tags, offline, meta
(front matter), ``content.code.copy``, attr_list / md_in_html / superfences. No hooks, no
third-party plugins. ``extra.polyfills`` names the local iframe-worker shim, so Material's
offline plugin does not add ``https://unpkg.com/iframe-worker/shim`` (it only adds it when no
polyfill URL contains "iframe-worker"); ``theme.font: false`` keeps Google Fonts out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.site.escape import yaml_str

if TYPE_CHECKING:
    from kb.config import KB

STAGING_DIR = ".staging"
DOCS_DIR = ".staging/docs"
SITE_DIR = "site"
SHIM_PATH = "assets/iframe-worker/shim.js"
EXTRA_CSS = "assets/mtlkb.css"
EXTRA_JS = "assets/mtlkb.js"

# The top-level pages, in nav order: (title, file). Everything else is reached through them.
NAV = (
    ("Home", "index.md"),
    ("Papers", "papers.md"),
    ("Topics", "topics.md"),
    ("Authors", "authors.md"),
    ("Collections", "collections.md"),
    ("Reproductions", "reproductions.md"),
    ("Results", "results.md"),
    ("Research map", "map.md"),
    ("Tags", "tags.md"),
)
NOT_IN_NAV = ("/papers/", "/authors/", "/topics/", "/collections/", "/reproductions/")

TEMPLATE = """\
# MkDocs + Material configuration of the mtlkb site (also read by Zensical).
# Written by `mtlkb init` when absent and never overwritten: edit freely.
# `mtlkb site build` writes the pages into docs_dir, then builds site_dir.
site_name: {site_name}
docs_dir: {docs_dir}
site_dir: {site_dir}
use_directory_urls: false

theme:
  name: material
  font: false            # no Google Fonts: the site works offline
  features:
    - content.code.copy
    - search.highlight

plugins:
  - search
  - tags
  - offline

extra:
  # Local Worker shim for search from file:// (Material would fetch it from unpkg.com).
  polyfills:
    - {shim}

extra_css:
  - {css}
extra_javascript:
  - {js}

markdown_extensions:
  - attr_list
  - tables
  - admonition
  - toc:
      permalink: true
  - fenced_code

validation:
  omitted_files: ignore
  absolute_links: ignore
  unrecognized_links: ignore
  anchors: ignore

# Per-item pages (papers, authors, topics, ...) stay out of the navigation: every page
# embeds the whole nav, so listing thousands of papers there makes builds quadratic.
nav:
{nav}
not_in_nav: |
{not_in_nav}
"""


def default_mkdocs_yml(kb: KB) -> str:
    """The default ``mkdocs.yml`` text for ``kb``."""
    try:
        name = (kb.settings.get("kb") or {}).get("name")
    except Exception:  # an unreadable mtlkb.toml must not stop init or the build
        name = None
    site_name = f"{name or kb.root.name} - MTL knowledge base"
    return TEMPLATE.format(
        site_name=yaml_str(site_name),
        docs_dir=DOCS_DIR,
        site_dir=SITE_DIR,
        shim=SHIM_PATH,
        css=EXTRA_CSS,
        js=EXTRA_JS,
        nav="\n".join(f"  - {yaml_str(title)}: {path}" for title, path in NAV),
        not_in_nav="\n".join(f"  {p}" for p in NOT_IN_NAV),
    )
