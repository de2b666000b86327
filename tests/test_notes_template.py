"""A new note has the seed template's shape, filled from the store, safely escaped."""

import json
import re
from pathlib import Path

from kbtest import make_paper, put

from kb.models import Author
from kb.notes.create import ensure_note
from kb.notes.parse import parse_note, template_spec
from kb.notes.render import fill, packaged_template, render_note

FIXTURES = Path(__file__).parent / "fixtures" / "notes"
SEED = (FIXTURES / "seed_template.md").read_text(encoding="utf-8")


def _header(text: str) -> dict:
    m = re.match(r"<!--\n(.*?)\n-->\n", text, re.S)
    assert m, text[:200]
    return json.loads(m.group(1))


def _skeleton(text: str) -> list[str]:
    """Headings (title heading generalised) and questions, in order, outside the citation."""
    out, in_fence = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("#") or re.match(r"^__\*.*\*__$", line):
            out.append(line)
    out[0] = "### TITLE"
    return out


def _line_shapes(text: str) -> list[str]:
    """The metadata lines with their values blanked: label, emphasis and trailing breaks."""
    shapes = []
    for line in text.split("\n"):
        for label in ("Read on:", "Time spent:", "Link to pdf:", "Topic(s):", "citation:"):
            if line.startswith(label):
                shape = re.sub(r"\*\d+\*", "*N*", line)
                shape = re.sub(r"(?<=:) .*?(?=( {2})?$)", " V", shape) if label not in (
                    "Time spent:", "citation:") else shape
                shapes.append((label, line.endswith("  "), shape.split(" ")[0]))
    return shapes


def test_generated_note_has_the_seed_shape(tmp_kb):
    put(tmp_kb, make_paper(topics=["multi-task"], url="https://arxiv.org/abs/1706.05098"))
    text = ensure_note(tmp_kb, "ruder2017overview").read_text(encoding="utf-8")

    assert _skeleton(text) == _skeleton(SEED)
    assert list(_header(text)) == list(_header(SEED))  # same fields, same order
    assert _line_shapes(text) == _line_shapes(SEED)
    assert text.startswith("<!--\n{")
    # the seed's order of blocks
    order = ["<!--", "-->", "### An Overview", "Read on:", "Time spent:", "Link to pdf:",
             "Topic(s):", "citation:", "```", "@", "abstract = {", "```", "### Abstract",
             "### Materials and Methods", "### Results", "### Figures, Tables, and Data",
             "### Conclusions/Discussion", "### Additional notes or thoughts",
             "#### Future reading"]
    pos = 0
    for marker in order:
        found = text.find(marker, pos)
        assert found >= pos, marker
        pos = found + 1
    header = _header(text)
    assert header["title"] == "An Overview of Multi-Task Learning in Deep Neural Networks"
    assert header["url"] == "https://arxiv.org/abs/1706.05098"
    assert header["topics"] == "multi-task"
    assert header["date"] == ""  # unread
    assert "Read on:   \n" in text and "Time spent: *0* minutes  \n" in text
    assert "Topic(s): `multi-task`\n" in text
    assert "Link to pdf: https://arxiv.org/abs/1706.05098  \n" in text
    # the generated entry holds the abstract
    assert "abstract = {Multi-task learning has led to successes in many applications.}" in text
    assert "@misc{ruder2017overview," in text
    assert "author = {Ruder, Sebastian}" in text


def test_packaged_template_questions_are_the_seeds():
    seed_spec = template_spec(SEED)
    spec = template_spec(packaged_template())
    assert spec.questions == seed_spec.questions
    assert len(spec.questions) == 16
    assert spec.headings == [h for h in seed_spec.headings if not h.startswith("An Overview")]


def test_stored_bibtex_used_and_abstract_added(tmp_kb):
    bib = "@techreport{Ruder2017,\narchivePrefix = {arXiv},\ntitle = {{An Overview}},\n" \
          "year = {2017}\n}"
    put(tmp_kb, make_paper(bibtex=bib, pdf_url="https://arxiv.org/pdf/1706.05098"))
    text = ensure_note(tmp_kb, "ruder2017overview").read_text(encoding="utf-8")
    # the stored entry's text, under the paper's stored key (the one writer's entry)
    assert "@techreport{ruder2017overview,\nabstract = {Multi-task learning has led to " \
           "successes in many applications.},\narchivePrefix = {arXiv}," in text
    assert "title = {{An Overview}}" in text
    assert "Link to pdf: https://arxiv.org/pdf/1706.05098  \n" in text


def test_bibtex_with_abstract_kept_as_is(tmp_kb):
    bib = "@article{k1,\n  title = {X},\n  abstract = {Own abstract}"
    put(tmp_kb, make_paper(bibtex=bib + "\n}"))
    text = ensure_note(tmp_kb, "ruder2017overview").read_text(encoding="utf-8")
    assert bib.replace("{k1,", "{ruder2017overview,") in text
    assert text.count("abstract =") == 1


def test_hostile_metadata_is_escaped_and_never_formatted():
    paper = make_paper(
        key="k",
        title="A {title} {{key}} <script>x</script> --> ``` title",
        abstract="Abstract with } unbalanced { braces and a ```` fence\n### Abstract",
        authors=[Author(first="Zoë", last="{O'Brien}")],
        topics=["a`b", "c"],
    )
    text = render_note(paper, key="k")
    header = _header(text)
    assert header["title"] == paper.title
    head = text.split("-->", 1)[0]
    assert "<script>" not in head and "-->" not in head[4:]
    assert "### A {title} {{key}} &lt;script&gt;x&lt;/script&gt; --&gt; ``` title\n" in text
    m = re.search(r"^citation:\n(`+)\n(.*?)\n\1\n", text, re.M | re.S)
    fence, block = m.group(1), m.group(2)
    assert len(fence) > max(len(run) for run in re.findall(r"`+", block))
    assert "Topic(s): `ab`, `c`" in text
    # the note still parses to the template's questions, none answered
    note = parse_note(text.encode(), template_spec(packaged_template()))
    assert note.total == 16 and note.answered == 0 and note.header["title"] == paper.title
    assert not note.warnings


def test_fill_is_one_pass():
    out = fill("{{a}} {{b|json}} {{missing}} {{a|nofilter}}", {"a": "{{b}}", "b": '"<x>"'})
    assert out == '{{b}} "\\"\\u003cx\\u003e\\"" {{missing}} {{a|nofilter}}'


def test_kb_template_override(tmp_kb):
    tmp_kb.templates_dir.mkdir(exist_ok=True)
    (tmp_kb.templates_dir / "note.md").write_text(
        (FIXTURES / "lab_template.md").read_text(encoding="utf-8"), encoding="utf-8")
    put(tmp_kb, make_paper())
    text = ensure_note(tmp_kb, "ruder2017overview").read_text(encoding="utf-8")
    assert text.startswith("<!--\n{\"title\": \"An Overview")
    assert "__*Which loss weighting do they use?*__" in text
    assert "__*What is the work's significance?*__" not in text
