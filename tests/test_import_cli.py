"""``mtlkb import`` end to end: the real command (in-process) on a fresh KB; a process where
it is the point (Ctrl-C during a large import)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kbtest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "bib"
MTLKB = shutil.which("mtlkb", path=str(Path(sys.executable).parent)) or shutil.which("mtlkb")


def mtlkb(home: Path, *args: str, cwd: Path | None = None):
    return run_cli(home, *args, cwd=cwd or home, env={"COLUMNS": "200", "NO_COLOR": "1"})


def new_kb(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    r = mtlkb(path, "init")
    assert r.returncode == 0, r.stderr
    return path


def papers(home: Path) -> dict[str, dict]:
    """What the store holds (read in process: the commands under test are the writers)."""
    from kb.config import KB
    from kb.store.papers import list_papers

    kb = KB(home)
    try:
        return {p.key: p.public_dict() for p in list_papers(kb.db)}
    finally:
        kb.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_kb(tmp_path_factory.mktemp("template") / "kb")


@pytest.fixture
def kb(tmp_path: Path, template: Path) -> Path:
    """A fresh KB made by `mtlkb init` (copied from one made once per module)."""
    shutil.copytree(template, tmp_path / "kb")
    return tmp_path / "kb"


def test_clean_file_imports_everything(kb: Path) -> None:
    r = mtlkb(kb, "import", str(FIXTURES / "clean.bib"))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "7 entries read from 1 file(s): 7 added, 0 merged, 0 error(s)" in r.stdout
    got = papers(kb)
    assert len(got) == 7
    p = got["muller2019umlaut"]
    assert p["title"] == "Über die Multitask-Optimierung mit ß-Gewichten – ein Ärger?"
    assert p["authors"][0] == "Jörg Müller"
    assert got["google2021pathways"]["authors"][:2] == ["Google Research", "DeepMind Technologies"]
    assert got["kendall2018multi"]["arxiv_id"] == "1705.07115"
    assert got["kendall2018multi"]["topics"] == ["loss weighting", "multi-task learning",
                                                 "uncertainty"]
    # decoded text is searchable
    s = mtlkb(kb, "search", "Ärger", "--json")
    assert s.returncode == 0, s.stderr
    assert [h["key"] for h in json.loads(s.stdout)] == ["muller2019umlaut"]


def test_problems_are_reported_with_file_and_line(kb: Path) -> None:
    r = mtlkb(kb, "import", "broken.bib", cwd=FIXTURES)
    assert r.returncode == 1
    err = r.stderr.splitlines()
    assert [line.split(": error:")[0] for line in err] == [
        "broken.bib:9", "broken.bib:14", "broken.bib:20", "broken.bib:36",
    ]
    assert "duplicate key 'good1' (first defined at line 3)" in err[0]
    assert "repeats field(s) title" in err[1]
    assert "could not parse" in err[2]
    assert "has no title" in err[3]
    assert ("broken.bib:30: key '../escape' is not a safe file name; stored as 'gamma2022unsafe'"
            in r.stdout)
    assert ("broken.bib:41: key 'my key' is not a safe file name; stored as 'epsilon2023key'"
            in r.stdout)
    assert "4 entries read from 1 file(s): 4 added, 0 merged, 4 error(s)" in r.stdout
    got = papers(kb)
    assert sorted(got) == ["epsilon2023key", "gamma2022unsafe", "good1", "good2"]
    assert got["good1"]["title"] == "A Good Entry Before the Problems"


def test_strict_writes_nothing_when_anything_failed(kb: Path) -> None:
    r = mtlkb(kb, "import", "--strict", str(FIXTURES / "clean.bib"),
              str(FIXTURES / "broken.bib"))
    assert r.returncode == 1
    assert "nothing written" in r.stdout
    assert papers(kb) == {}
    ok = mtlkb(kb, "import", "--strict", str(FIXTURES / "clean.bib"))
    assert ok.returncode == 0 and len(papers(kb)) == 7


def test_dry_run_writes_nothing_but_reports(kb: Path) -> None:
    r = mtlkb(kb, "import", "--dry-run", "same_paper.bib", "broken.bib", cwd=FIXTURES)
    assert r.returncode == 1
    assert "dry run, nothing written" in r.stdout
    assert "same_paper.bib:9: 'liu2019mtan' merged into 'mtan-arxiv'" in r.stdout
    assert "broken.bib:9: error: duplicate key" in r.stderr
    assert papers(kb) == {}


def test_same_paper_under_two_keys_is_merged(kb: Path) -> None:
    r = mtlkb(kb, "import", "same_paper.bib", cwd=FIXTURES)
    assert r.returncode == 0, r.stderr
    assert ("same_paper.bib:9: 'liu2019mtan' merged into 'mtan-arxiv' "
            "(same arXiv id 1803.10704)") in r.stdout
    assert ("same_paper.bib:25: 'gradnorm-copy' merged into 'chen2018gradnorm' "
            "(same title and year)") in r.stdout
    got = papers(kb)
    assert sorted(got) == ["chen2018gradnorm", "mtan-arxiv"]
    assert got["mtan-arxiv"]["doi"] == "10.1109/cvpr.2019.00197"  # filled by the merge
    assert got["chen2018gradnorm"]["doi"] == "10.5555/gradnorm"
    # importing again merges every record into itself, and says so
    again = mtlkb(kb, "import", "same_paper.bib", cwd=FIXTURES)
    assert again.returncode == 0
    assert "0 added, 4 merged (2 already in the KB)" in again.stdout


def test_missing_file_and_missing_kb(kb: Path, tmp_path: Path) -> None:
    r = mtlkb(kb, "import", str(tmp_path / "nope.bib"))
    assert r.returncode == 1
    assert "nope.bib: error: cannot read" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = mtlkb(empty, "import", str(FIXTURES / "clean.bib"))
    assert r.returncode == 1 and "no knowledge base" in r.stderr


def test_notes_flag_creates_notes(kb: Path) -> None:
    r = mtlkb(kb, "import", "--notes", str(FIXTURES / "same_paper.bib"))
    assert r.returncode == 0, r.stderr
    assert (kb / "notes" / "mtan-arxiv.md").is_file()
    assert (kb / "notes" / "chen2018gradnorm.md").is_file()
    assert "note notes/mtan-arxiv.md" in r.stdout


IDENTITY = ("title", "authors", "year", "arxiv_id", "doi", "topics", "venue")


def _identity(got: dict[str, dict]) -> dict[str, tuple]:
    return {k: tuple(str(p[f]) for f in IDENTITY) for k, p in got.items()}


def test_export_round_trips(tmp_path: Path, kb: Path, template: Path) -> None:
    r = mtlkb(kb, "import", "clean.bib", "same_paper.bib", "broken.bib", cwd=FIXTURES)
    assert r.returncode == 1  # broken.bib's problems; its valid entries are in
    assert mtlkb(kb, "tag", "mtan-arxiv", "attention").returncode == 0
    before = papers(kb)
    assert len(before) == 7 + 2 + 4
    for fmt, name in (("bibtex", "library.bib"), ("json", "library.json")):
        out = tmp_path / name
        e = mtlkb(kb, "export", "--format", fmt, "-o", str(out))
        assert e.returncode == 0, e.stderr
        assert e.stdout == ""
        two = tmp_path / f"two-{fmt}"
        shutil.copytree(template, two)
        back = mtlkb(two, "import", str(out))
        assert back.returncode == 0, back.stderr
        assert back.stderr == ""
        assert "13 entries read from 1 file(s): 13 added" in back.stdout
        assert _identity(papers(two)) == _identity(before), fmt
    # stdout is the default, and the same text
    stdout = mtlkb(kb, "export")
    assert stdout.stdout == (tmp_path / "library.bib").read_text(encoding="utf-8")


def test_bibtex_export_keeps_the_original_text(kb: Path) -> None:
    mtlkb(kb, "import", str(FIXTURES / "clean.bib"))
    text = mtlkb(kb, "export").stdout
    ruder = (FIXTURES / "clean.bib").read_text().split("@article{ruder2017overview")[1]
    original = "@article{ruder2017overview" + ruder.split("\n}\n")[0] + "\n}"
    assert original in text
    assert "@techreport{gamma" not in text


def test_json_export_round_trips_social_record(tmp_path: Path, kb: Path, template: Path) -> None:
    one = kb
    assert mtlkb(one, "import", str(FIXTURES / "same_paper.bib")).returncode == 0
    assert mtlkb(one, "vote", "mtan-arxiv", "up").returncode == 0
    out = tmp_path / "lib.json"
    assert mtlkb(one, "export", "-f", "json", "-o", str(out)).returncode == 0
    data = json.loads(out.read_text())
    assert isinstance(data, dict) and set(data) == {"papers", "social", "record"}
    assert data["papers"][0]["authors_full"][0] == {"first": "Zhao", "last": "Chen"}
    two = tmp_path / "two"
    shutil.copytree(template, two)
    r = mtlkb(two, "import", str(out))
    assert r.returncode == 0, r.stderr
    assert "social record imported" in r.stdout
    from kb.config import KB
    from kb.core.social import social_record

    assert social_record(KB(two), "mtan-arxiv")["vote"] == 1


def test_export_rejects_unknown_format(kb: Path) -> None:
    r = mtlkb(kb, "export", "--format", "ris")
    assert r.returncode == 1 and "--format must be one of bibtex, json" in r.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_only(kb: Path, tmp_path: Path) -> None:
    import pty

    big = tmp_path / "big.bib"
    big.write_text("".join(
        f"@misc{{k{i}, title = {{Paper {i} about multi-task {{\\\"u}} weighting}}, "
        f"author = {{Doe, Jane and Roe, Rick}}, year = 2020,\n"
        f"  abstract = {{{'a long abstract ' * 12}}}}}\n" for i in range(1500)
    ))
    assert big.stat().st_size > 256 * 1024
    env = dict(os.environ, MTLKB_HOME=str(kb))
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([MTLKB or "mtlkb", "import", str(big)], env=env,
                            stdout=secondary, stderr=secondary)
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    assert b"\x1b[" in out and (b"reading" in out or b"storing" in out)  # rich's live bar
    assert b"1500 entries read from 1 file(s): 1500 added" in out
