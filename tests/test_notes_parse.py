"""Reading hand-written notes back: header, status, answered questions, future reading."""

from pathlib import Path

import pytest

from kb.notes.parse import future_refs, parse_note, template_spec
from kb.notes.render import packaged_template

FIXTURES = Path(__file__).parent / "fixtures" / "notes"
SPEC = template_spec(packaged_template())


def _parse(name: str, spec=SPEC):
    return parse_note((FIXTURES / name).read_bytes(), spec)


def _answered(note) -> list[str]:
    return [q.question for q in note.questions if q.answered]


def test_seed_note_read_back():
    note = _parse("seed_template.md")
    assert note.header["title"] == "An Overview of Multi-Task Learning in Deep Neural Networks"
    assert note.read_on == "2020-01-16"
    assert note.minutes == 180
    assert note.topics == ["multi-task"]
    assert (note.answered, note.total) == (0, 16)
    assert note.warnings == []
    assert note.text == ""  # nothing written by hand yet (citation and questions excluded)


def test_answered_and_empty_questions():
    note = _parse("answered.md")
    assert _answered(note) == [
        "What questions are the authors addressing?",
        "What is the work's significance?",
        "What data set(s) were used?",
    ]  # an HTML comment alone is not an answer
    assert (note.answered, note.total) == (3, 16)
    assert note.questions[0].line is not None and note.questions[0].section == "Abstract"
    assert "How to share representations across tasks." in note.text
    assert "zebrafish" in note.text
    assert "no code, just prose in a fence" in note.text
    assert "Multi-task learning (MTL) has led" not in note.text  # the citation is not indexed
    assert "What questions are the authors" not in note.text
    refs = [(r["kind"], r["ref"]) for r in note.future]
    assert refs == [("arxiv", "1705.07115"), ("arxiv", "1810.04650"),
                    ("key", "chen2018gradnorm"), ("key", "yu2020gradient")]


def test_unread_note():
    note = _parse("unread.md")
    assert note.read_on is None and note.minutes == 0 and not note.is_read


def test_broken_header_is_a_warning_and_the_rest_counts():
    note = _parse("broken_header.md")
    assert note.header is None
    assert len(note.warnings) == 1
    line, message = note.warnings[0]
    assert line == 2 and "not valid JSON" in message
    assert (note.answered, note.total) == (3, 16)
    assert note.read_on == "2020-01-16" and note.minutes == 180
    assert note.topics == ["multi-task"]


def test_no_header():
    note = _parse("no_header.md")
    assert note.header is None
    assert note.warnings and note.warnings[0][0] == 1 and "no header" in note.warnings[0][1]
    assert note.answered == 3 and note.read_on == "2020-01-16"


def test_duplicated_section_and_question_are_reported():
    note = _parse("duplicated.md")
    messages = [m for _, m in note.warnings]
    assert any("question 'What do the results mean?' repeated" in m for m in messages)
    assert any("section 'Results' repeated" in m for m in messages)
    assert _answered(note) == ["What do the results mean?"]
    assert note.total == 16


@pytest.mark.parametrize("data", [
    b"",
    b"\x00\x01\x02\xff\xfe binary junk \x00" * 50,
    bytes(range(256)) * 20,
    b"<!--",
    b"<!-- [1, 2] -->\n__*What do the results mean?*__\nyes",
    b"<!--\n" + b"[" * 5000 + b"\n-->",
    b"```\n### Abstract\n__*What do the results mean?*__\nunclosed fence",
    "Read on: \ud800".encode("utf-8", "surrogatepass"),
    b"Time spent: *lots* minutes\n",
    b"#\n##\n###### \n__**__\n__*?*__\n",
])
def test_nonsense_never_raises(data):
    note = parse_note(data, SPEC)
    assert note.total == 16
    assert all(isinstance(line, int) and line >= 1 for line, _ in note.warnings)


def test_binary_junk_warns_with_line():
    note = parse_note(b"line one\nline two \x00\x00 junk\n", SPEC)
    assert any(line == 2 and "NUL" in msg for line, msg in note.warnings)
    note = parse_note(b"ok\n\xff\xfe\n", SPEC)
    assert any(line == 2 and "UTF-8" in msg for line, msg in note.warnings)


def test_time_spent_not_a_number():
    note = parse_note(b"<!--\n{}\n-->\nRead on: yesterday  \nTime spent: *an hour* minutes\n",
                      SPEC)
    assert note.read_on == "yesterday" and note.minutes is None
    assert any(line == 5 and "time spent" in msg for line, msg in note.warnings)


def test_header_fallbacks():
    text = ('<!--\n{"title": "T", "url": "u", "topics": ["a", "b"], "date": "2021-02-03",'
            ' "estimated_minutes": 30}\n-->\n### T\n')
    note = parse_note(text.encode(), SPEC)
    assert note.read_on == "2021-02-03" and note.minutes == 30 and note.topics == ["a", "b"]
    assert (note.answered, note.total) == (0, 16)


def test_questions_learned_from_a_lab_template():
    spec = template_spec((FIXTURES / "lab_template.md").read_text(encoding="utf-8"))
    assert spec.questions == ["Which loss weighting do they use?", "Does it beat equal weighting?",
                              "Would we reproduce it?"]
    note = _parse("lab_note.md", spec)
    assert _answered(note) == ["Which loss weighting do they use?", "Would we reproduce it?"]
    assert note.topics == ["loss weighting", "mtl"] and note.minutes == 45
    # against the packaged template, none of its questions are in that note
    assert _parse("lab_note.md").answered == 0


def test_template_hint_text_is_not_an_answer():
    spec = template_spec("## S\n__*Q1?*__\nfill me in\n\n__*Q2?*__\n")
    note = parse_note(b"## S\n__*Q1?*__\nfill me in\n\n__*Q2?*__\nreal\n", spec)
    assert [q.answered for q in note.questions] == [False, True]
    note = parse_note(b"## S\n__*Q1?*__\nsomething else\n", spec)
    assert [q.answered for q in note.questions] == [True, False]


def test_future_refs_forms():
    refs = future_refs([
        (1, "- arXiv:1705.07115v3 and https://arxiv.org/pdf/2001.06782.pdf"),
        (2, "- hep-th/9901001, `sener2018multi`, @liu2019end, [[kendall2018multi]]"),
        (3, "- Ruder2017 (the survey); see also 1234.5678 which is not a valid id"),
        (4, "- https://example.org/x/lin2019pareto should not count"),
    ])
    assert [(r["kind"], r["ref"]) for r in refs] == [
        ("arxiv", "1705.07115"), ("arxiv", "2001.06782"), ("arxiv", "hep-th/9901001"),
        ("key", "sener2018multi"), ("key", "liu2019end"), ("key", "kendall2018multi"),
        ("key", "Ruder2017"),
    ]


def test_inline_answers_and_bold_italic_text():
    spec = template_spec("## S\n__*Q1?*__\n\n__*Q2?*__\n\n__*Q3?*__\n")
    note = parse_note(
        b"## S\n__*Q1?*__ yes, inline.\n\n__*Q2?*__\n__*Key point*__ is bold-italic text\n"
        b"\n__*Q3?*__\n", spec)
    assert [q.answered for q in note.questions] == [True, True, False]
    assert "yes, inline." in note.text and "Key point" in note.text
