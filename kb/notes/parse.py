"""Reading a note back: header, reading status, which questions have answers, future reading.

Parsing never raises on content: whatever cannot be read (binary junk, a missing header, a
header that is not JSON, a repeated section) becomes a warning ``(line, message)`` and the
rest of the note still counts. The questions are learned from the template in effect (its
``__*...*__`` lines), so a lab that changes the template changes what is counted.

A question is answered when some text stands under it before the next question or heading
(HTML comments and the template's own text under that question do not count).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from kb.ids import BadId, parse_arxiv_id

MAX_NOTE_BYTES = 4 * 1024 * 1024
HEADER_FIELDS = ("title", "url", "topics", "date", "estimated_minutes")

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_QUESTION = re.compile(r"^\s*__\*(.+?)\*__(.*)$")
_READ_ON = re.compile(r"^\s*Read on:(.*)$", re.I)
_TIME_SPENT = re.compile(r"^\s*Time spent:(.*)$", re.I)
_PDF = re.compile(r"^\s*Link to pdf:(.*)$", re.I)
_TOPICS = re.compile(r"^\s*Topics?(?:\(s\))?:(.*)$", re.I)
_MINUTES = re.compile(r"^\*?\s*(\d{1,7})\s*\*?\s*(?:min(?:ute)?s?\.?)?$", re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")

# Future reading: arXiv ids (URLs, arXiv: prefix, bare) and citation keys.
_ARXIV_CANDIDATE = re.compile(
    r"(?<![\w./-])(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|arxiv:\s*)?"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)(?![\w])",
    re.I,
)
_EXPLICIT_KEY = re.compile(
    r"\[\[([A-Za-z0-9][A-Za-z0-9_.:+\-]*)\]\]|(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.:+\-]*[A-Za-z0-9])"
    r"|`([A-Za-z0-9][A-Za-z0-9_.:+\-]*)`"
)
_KEY_SHAPE = re.compile(r"(?<![\w/.:@-])([A-Za-z][A-Za-z_-]*(?:19|20)\d\d[A-Za-z0-9_+-]*)(?![\w/])")


def norm_text(text: str) -> str:
    """How question and heading texts are compared: case, spacing and end punctuation off."""
    return " ".join(text.split()).casefold().rstrip(" ?.:!")


# -- the template ------------------------------------------------------------------------
@dataclass
class TemplateSpec:
    """What the template in effect asks: its section headings and questions, in order."""

    headings: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    question_sections: list[str] = field(default_factory=list)
    default_answers: dict[str, str] = field(default_factory=dict)

    @property
    def heading_keys(self) -> set[str]:
        return {norm_text(h) for h in self.headings}

    @property
    def question_keys(self) -> list[str]:
        return [norm_text(q) for q in self.questions]


def template_spec(template: str) -> TemplateSpec:
    """Learn the headings and questions from a template's text (placeholders ignored)."""
    spec = TemplateSpec()
    lines = _split_lines(template)
    section = ""
    current_q: str | None = None
    answer: list[str] = []

    def close() -> None:
        if current_q is not None:
            spec.default_answers.setdefault(norm_text(current_q), _answer_key(answer))

    for kind, _, line, info in _scan(lines, 0):
        if kind == "heading":
            close()
            current_q, answer = None, []
            if info and not _PLACEHOLDER.search(info):
                spec.headings.append(info)
                section = info
        elif kind == "question":
            close()
            current_q, answer = info[0], [info[1]]
            if norm_text(info[0]) not in spec.question_keys:
                spec.questions.append(info[0])
                spec.question_sections.append(section)
        elif current_q is not None:
            answer.append(line)
    close()
    return spec


# -- results -----------------------------------------------------------------------------
@dataclass
class QuestionStatus:
    question: str
    section: str
    answered: bool = False
    line: int | None = None  # 1-based line of the question in the note (None: not there)


@dataclass
class ParsedNote:
    header: dict[str, Any] | None = None
    title: str | None = None
    url: str | None = None
    pdf: str | None = None
    read_on: str | None = None
    minutes: int | None = None
    topics: list[str] = field(default_factory=list)
    questions: list[QuestionStatus] = field(default_factory=list)
    future: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answered)

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def is_read(self) -> bool:
        return bool(self.read_on)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((max(1, int(line)), message))


# -- scanning ----------------------------------------------------------------------------
def _split_lines(text: str) -> list[str]:
    return [ln.rstrip("\r") for ln in text.split("\n")]


def _scan(lines: list[str], start: int):
    """Yield ``(kind, index, line, info)`` for lines outside fenced code blocks.

    kind is ``heading`` (info: its text), ``question`` (info: the question), ``fence``
    (the opening line of a code block; info: the fence's lines ``(first, last)`` indexes),
    or ``text``. Lines inside a fence are yielded as ``code``.
    """
    i, n = start, len(lines)
    while i < n:
        line = lines[i]
        m = _FENCE_OPEN.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            marker = m.group(1)
            close = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker))
                               + r",}\s*$")
            j = i + 1
            while j < n and not close.match(lines[j]):
                j += 1
            yield "fence", i, line, (i, min(j, n - 1))
            for k in range(i + 1, min(j, n)):
                yield "code", k, lines[k], None
            i = j + 1
            continue
        h = _HEADING.match(line)
        if h:
            text = (h.group(2) or "").strip()
            text = re.sub(r"[ \t]+#+$", "", text).strip()
            if text.strip("#") == "":
                text = ""
            yield "heading", i, line, text
        else:
            q = _QUESTION.match(line)
            if q:
                yield "question", i, line, (q.group(1).strip(), q.group(2).strip())
            else:
                yield "text", i, line, None
        i += 1


def _answer_key(lines: list[str]) -> str:
    text = _COMMENT.sub(" ", "\n".join(lines))
    return " ".join(text.split())


def decode(data: bytes, note: ParsedNote) -> str:
    """Bytes to text; non-UTF-8 bytes and control characters are reported, not fatal."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        note.warn(line, "not UTF-8 text (unreadable bytes replaced)")
        text = data.decode("utf-8", errors="replace")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        note.warn(line, "binary content (NUL bytes) ignored")
        text = text.replace("\x00", "")
    return text


# -- header ------------------------------------------------------------------------------
def _parse_header(lines: list[str], note: ParsedNote) -> int:
    """Read the JSON header comment; return the index of the first body line."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        note.warn(1, "empty note")
        return len(lines)
    first = lines[i]
    if not first.lstrip().startswith("<!--"):
        note.warn(i + 1, "no header (expected a JSON header inside <!-- -->)")
        return i
    start = i
    after = first.lstrip()[4:]
    chunks: list[str] = []
    j = i
    rest = after
    while True:
        if "-->" in rest:
            chunks.append(rest[: rest.index("-->")])
            break
        chunks.append(rest)
        j += 1
        if j >= len(lines):
            note.warn(start + 1, "header comment is never closed (no -->)")
            return start + 1
        rest = lines[j]
    raw = "\n".join(chunks)
    if not raw.strip():
        note.warn(start + 1, "header is empty")
        return j + 1
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        note.warn(start + exc.lineno, f"header is not valid JSON ({exc.msg})")
        return j + 1
    except RecursionError:
        note.warn(start + 1, "header is not valid JSON (nested too deeply)")
        return j + 1
    if not isinstance(data, dict):
        note.warn(start + 1, "header is not a JSON object")
        return j + 1
    note.header = data
    for name in ("title", "url"):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            setattr(note, name, value.strip())
        elif value not in (None, ""):
            note.warn(start + 1, f"header field {name!r} is not a string")
    return j + 1


def _header_topics(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return []


def _header_minutes(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and value >= 0 and value == value and value < 1e9:
        return int(value)
    if isinstance(value, str):
        m = _MINUTES.match(value.strip())
        if m:
            return int(m.group(1))
    return None


def _line_topics(value: str) -> list[str]:
    ticks = re.findall(r"`+([^`]+?)`+", value)
    if ticks:
        return [t.strip() for t in ticks if t.strip()]
    return [t.strip(" *_") for t in re.split(r"[,;]", value) if t.strip(" *_")]


# -- future reading ----------------------------------------------------------------------
def future_refs(lines: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """arXiv ids and citation keys mentioned in ``(line number, text)`` pairs, in order."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, ref: str, lineno: int) -> None:
        if (kind, ref) not in seen:
            seen.add((kind, ref))
            out.append({"kind": kind, "ref": ref, "line": lineno})

    for lineno, line in lines:
        spans: list[tuple[int, int]] = []
        for m in _ARXIV_CANDIDATE.finditer(line):
            try:
                arxiv_id, _ = parse_arxiv_id(m.group(1))
            except BadId:
                continue
            add("arxiv", arxiv_id, lineno)
            spans.append(m.span())
        rest = line
        for a, b in reversed(spans):
            rest = rest[:a] + " " * (b - a) + rest[b:]
        rest = re.sub(r"https?://\S+", " ", rest)
        for m in _EXPLICIT_KEY.finditer(rest):
            add("key", next(g for g in m.groups() if g), lineno)
        for m in _KEY_SHAPE.finditer(rest):
            add("key", m.group(1).rstrip("-_+"), lineno)
    return out


# -- the note ----------------------------------------------------------------------------
def parse_note(data: bytes | str, spec: TemplateSpec) -> ParsedNote:
    """Parse a note's content against the template's questions. Never raises on content."""
    note = ParsedNote()
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            note.warn(1, f"note larger than {MAX_NOTE_BYTES} bytes: only the start is read")
            data = data[:MAX_NOTE_BYTES]
        text = decode(data, note)
    else:
        text = data.replace("\x00", "")
    lines = _split_lines(text)
    body = _parse_header(lines, note)

    qkeys = spec.question_keys
    hkeys = spec.heading_keys
    statuses = [QuestionStatus(q, s) for q, s in zip(spec.questions, spec.question_sections,
                                                     strict=True)]
    by_key = {k: st for k, st in zip(qkeys, statuses, strict=True)}
    seen_headings: dict[str, int] = {}
    index_lines: list[str] = []
    future_lines: list[tuple[int, str]] = []
    future_level: int | None = None
    title_seen = False
    citation_next = False
    skip_fence_until = -1
    current: QuestionStatus | None = None
    current_answer: list[str] = []
    current_key = ""
    read_on = minutes = pdf = topics_line = None

    def close_answer() -> None:
        if current is None:
            return
        key = _answer_key(current_answer)
        if key and key != spec.default_answers.get(current_key, ""):
            current.answered = True

    for kind, i, line, info in _scan(lines, body):
        lineno = i + 1
        if kind == "heading":
            close_answer()
            current, current_answer = None, []
            level = len(_HEADING.match(line).group(1))
            hk = norm_text(info or "")
            if future_level is not None and level <= future_level:
                future_level = None
            if hk == "future reading":
                future_level = level
            if hk in hkeys:
                if hk in seen_headings:
                    note.warn(lineno, f"section {info!r} repeated (first at line "
                                      f"{seen_headings[hk]})")
                else:
                    seen_headings[hk] = lineno
                continue
            if not title_seen and not seen_headings and info:
                title_seen = True
                continue
            if info:
                index_lines.append(info)
            continue
        if kind == "question":
            question, inline = info
            qk = norm_text(question)
            st = by_key.get(qk)
            if st is None:
                # Not a question of the template (bold-italic text, an old template's
                # question): ordinary text of the current answer.
                kind, info = "text", None
            else:
                close_answer()
                current_answer = [inline]  # text after the question on its line counts
                if inline:
                    index_lines.append(inline)
                if st.line is not None:
                    note.warn(lineno, f"question {question!r} repeated (first at line "
                                      f"{st.line})")
                else:
                    st.line = lineno
                current, current_key = st, qk  # a repeated question: answered if any copy is
                continue
        # text, fence and code lines
        if future_level is not None:
            future_lines.append((lineno, line))
        if current is not None:
            current_answer.append(line)
        if kind == "fence":
            if citation_next:
                skip_fence_until = info[1]
                citation_next = False
                continue
        elif kind == "code":
            if i <= skip_fence_until:
                continue
            index_lines.append(line)
            continue
        stripped = line.strip()
        if not stripped:
            continue
        citation_next = stripped.lower() == "citation:"
        if citation_next:
            continue
        for regex, name in ((_READ_ON, "read_on"), (_TIME_SPENT, "minutes"), (_PDF, "pdf"),
                            (_TOPICS, "topics")):
            m = regex.match(line)
            if m and current is None and not seen_headings:
                value = m.group(1).strip()
                if name == "read_on" and read_on is None:
                    read_on = (value, lineno)
                elif name == "minutes" and minutes is None:
                    minutes = (value, lineno)
                elif name == "pdf" and pdf is None:
                    pdf = value
                elif name == "topics" and topics_line is None:
                    topics_line = value
                break
        else:
            if kind == "text":
                index_lines.append(stripped)
    close_answer()

    header = note.header or {}
    if read_on is not None:
        note.read_on = read_on[0] or None
    if not note.read_on and isinstance(header.get("date"), str) and header["date"].strip():
        note.read_on = header["date"].strip()
    if minutes is not None and minutes[0]:
        m = _MINUTES.match(minutes[0])
        if m:
            note.minutes = int(m.group(1))
        else:
            note.warn(minutes[1], f"time spent {minutes[0]!r} is not a number of minutes")
    if note.minutes is None:
        note.minutes = _header_minutes(header.get("estimated_minutes"))
    note.pdf = pdf or None
    if topics_line is not None:
        note.topics = _line_topics(topics_line)
    if not note.topics:
        note.topics = _header_topics(header.get("topics"))
    note.questions = statuses
    note.future = future_refs(future_lines)
    note.text = _CONTROL.sub(" ", "\n".join(index_lines))
    return note
