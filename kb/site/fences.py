"""Walking a note's Markdown lines with fenced code blocks in view (one rule for every pass
that must leave code alone: wiki links, math, headings, questions, search-text marks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def fence_states(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """``(index, line, in_code)`` for every line; ``in_code`` is True for a fence line and
    every line between an opening fence and its closing one. Lazy: a caller may rewrite
    ``lines[index]`` before asking for the next line."""
    fence: str | None = None
    for i, line in enumerate(lines):
        if fence is None:
            m = FENCE.match(line)
            if m:
                fence = m.group(1)[0] * 3
                yield i, line, True
                continue
            yield i, line, False
        else:
            if line.strip().startswith(fence):
                fence = None
            yield i, line, True
