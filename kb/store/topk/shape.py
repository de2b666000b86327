"""A query as the impact lists see it, and whether a paper matches it from what is known of
the phrases it holds (three-valued: yes, no, not known)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass
class Shape:
    """A query as OR of AND-groups of units, each unit a phrase or an OR of phrases, less
    the papers matching any excluded phrase. Phrases are FTS5 phrase strings, in the order
    FTS5 numbers them (the order of the rendered query)."""

    groups: list[list[list[str]]]
    excluded: list[str]

    def phrases(self) -> list[str]:
        return [p for g in self.groups for u in g for p in u] + self.excluded


def _and(values: Iterable[bool | None]) -> bool | None:
    out: bool | None = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _or(values: Iterable[bool | None]) -> bool | None:
    out: bool | None = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


def matches(shape: Shape, has: Callable[[int], bool | None]) -> bool | None:
    """Whether a paper matches (None: not known), ``has(i)`` saying it of phrase ``i``."""
    i = 0
    groups = []
    for g in shape.groups:
        units = []
        for u in g:
            units.append(_or(has(i + j) for j in range(len(u))))
            i += len(u)
        groups.append(_and(units))
    out = _or(groups)
    excluded = _or(has(i + j) for j in range(len(shape.excluded)))
    if out is False or excluded is True:
        return False
    if excluded is False:
        return out
    return None
