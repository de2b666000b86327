"""What a new user met (issue 18): versions, confirmations, honest messages, clean output."""

import json
import re

from kbtest import make_paper, put, run_cli

from kb import __version__


def test_version_three_ways():
    for args in (["--version"], ["-V"], ["version"]):
        r = run_cli(None, *args)
        assert r.returncode == 0 and r.stdout == f"mtlkb {__version__}\n", args


def test_flags_show_no_bool_metavar():
    r = run_cli(None, "list", "--help", env={"COLUMNS": "120"})
    assert r.returncode == 0 and "<bool>" not in r.stdout and "--json" in r.stdout


def test_tag_and_untag_say_what_changed(tmp_kb):
    put(tmp_kb, make_paper())
    key = "ruder2017overview"
    assert run_cli(tmp_kb, "tag", key, "survey").stdout == f"{key}: tagged survey\n"
    r = run_cli(tmp_kb, "tag", key, "survey", "mtl")
    assert r.stdout == f"{key}: tagged mtl\n{key}: already tagged survey\n"
    r = run_cli(tmp_kb, "untag", key, "nosuchtag")
    assert r.returncode == 0 and r.stdout == f"{key}: not tagged nosuchtag\n"
    assert run_cli(tmp_kb, "untag", key, "mtl").stdout == f"{key}: untagged mtl\n"


def test_list_count_is_not_in_the_tsv(tmp_kb):
    put(tmp_kb, make_paper())
    r = run_cli(tmp_kb, "list")
    assert r.stdout.splitlines()[0].split("\t")[0] == "key"
    assert len(r.stdout.splitlines()) == 2 and "1 paper(s)" in r.stderr


def test_collection_remove_asks_unless_yes(tmp_kb):
    put(tmp_kb, make_paper())
    run_cli(tmp_kb, "collection", "add", "to read", "ruder2017overview")
    r = run_cli(tmp_kb, "collection", "remove", "to read", input="n\n")
    assert r.returncode == 1
    assert "to read" in run_cli(tmp_kb, "collection", "list").stdout
    r = run_cli(tmp_kb, "collection", "remove", "to read", "--yes")
    assert r.returncode == 0 and "deleted collection to read (1 paper(s) in it)" in r.stdout


def test_export_refuses_to_overwrite_without_force(tmp_kb, tmp_path):
    put(tmp_kb, make_paper())
    out = tmp_path / "library.bib"
    out.write_text("mine\n")
    r = run_cli(tmp_kb, "export", "-o", str(out))
    assert r.returncode == 1 and "--force" in r.stderr and out.read_text() == "mine\n"
    assert run_cli(tmp_kb, "export", "-o", str(out), "--force").returncode == 0
    assert out.read_text().startswith("@")


def test_saved_lists_saved_papers(tmp_kb):
    put(tmp_kb, make_paper())
    assert run_cli(tmp_kb, "saved").stdout == "no saved papers\n"
    run_cli(tmp_kb, "save", "ruder2017overview")
    r = run_cli(tmp_kb, "saved", "--json")
    assert [p["key"] for p in json.loads(r.stdout)] == ["ruder2017overview"]


def test_notes_unread_says_unread(tmp_kb):
    from kb.notes.create import ensure_note

    put(tmp_kb, make_paper())
    path = ensure_note(tmp_kb, "ruder2017overview")
    text = re.sub(r"(?m)^Read on:.*$", "Read on: 2026-01-02", path.read_text(), count=1)
    path.write_text(text)
    assert "ruder2017overview" in run_cli(tmp_kb, "notes").stdout  # a note exists
    r = run_cli(tmp_kb, "notes", "--unread")
    assert r.returncode == 0 and r.stdout == "no unread notes\n"


def test_repro_list_has_a_header(tmp_kb):
    r = run_cli(tmp_kb, "repro", "list")
    assert r.returncode == 0 and r.stdout.startswith("reproduction ")


def test_a_user_error_is_one_line_in_process(tmp_kb):
    r = run_cli(tmp_kb, "show", "nosuchpaper")
    assert r.returncode == 1 and r.stderr.startswith("error: no paper") and "Traceback" not in \
        r.stderr
    r = run_cli(tmp_kb, "link", "nosuchpaper", "toy-pareto")
    assert r.returncode == 1 and r.stderr == "error: no paper 'nosuchpaper' in the knowledge base\n"


def test_the_command_table_matches_the_modules():
    """Every name in kb.cli.COMMANDS is a command of its module, and every command of those
    modules is in the table (what --help lists is what runs)."""
    import importlib

    import typer

    from kb.cli import COMMANDS, load_command

    for name in COMMANDS:
        assert load_command(name).name == name
    for module in {m for m, _ in COMMANDS.values()}:
        group = typer.main.get_group(importlib.import_module(f"kb.cli.{module}").app)
        for name in group.commands:
            assert COMMANDS.get(name, ("?",))[0] == module, (module, name)
