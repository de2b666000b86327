"""The identity checks as pure functions (kb/store/identity.py): every "wrong merge" of
issue 15, and what must still be one paper."""

from __future__ import annotations

import pytest

from kb.models import Author, Paper
from kb.store.identity import disagreement, other_version


def _p(title: str = "Learning to Share Features", **kw) -> Paper:
    kw.setdefault("authors", [Author(first="C.", last="First"), Author(first="D.", last="Second")])
    kw.setdefault("year", 2021)
    return Paper(title=title, **kw)


SAME = "same title and year"


@pytest.mark.parametrize(
    ("a", "b", "why", "expected"),
    [
        (_p("Preface", venue="COLT"), _p("Preface", venue="AISTATS"), SAME, "generic title"),
        (_p("Action Language {BC}"), _p("Action Language {BC+}"), SAME, "the titles differ"),
        (_p(entry_type="inbook", fields={"chapter": "1"}),
         _p(entry_type="inbook", fields={"chapter": "2"}), SAME, "chapter 1 and 2"),
        (_p(entry_type="book"), _p(entry_type="incollection", venue="Handbook"), SAME,
         "@book and @incollection"),
        (_p(entry_type="article", venue="J. MTL", fields={"pages": "1--2"}),
         _p(entry_type="article", venue="J. MTL", fields={"pages": "101--102"}), SAME,
         "pages 1--2 and 101--102"),
        (_p(entry_type="inproceedings", venue="Proceedings of the International Conference on "
            "Machine Learning"),
         _p(entry_type="inproceedings", venue="ICML Workshop on Multi-Task Learning"), SAME,
         "venues"),
        (_p(), _p(authors=[Author(first="X.", last="Other")]), SAME, "different authors"),
        (_p("Multi-Task Learning Using Uncertainty to Weigh Losses", arxiv_id="1705.07115"),
         _p("Answer Set Solving in Practice", arxiv_id="1705.07115"),
         "same arXiv id 1705.07115", "the titles differ"),
    ],
)
def test_different_publications_disagree(a: Paper, b: Paper, why: str, expected: str) -> None:
    found = disagreement(a, b, why)
    assert found is not None and expected in found


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        (_p(entry_type="misc"), _p(entry_type="inproceedings", venue="ICML"), SAME),
        # a preprint and its publication the same year: type, venue and pages differ
        (_p(entry_type="article", venue="arXiv preprint arXiv:2101.00001", fields={"pages":
            "1"}), _p(entry_type="inproceedings", venue="ICML", fields={"pages": "5--9"}), SAME),
        (_p(authors=[Author(first="C.", last="First"), Author(last="others")]), _p(), SAME),
        (_p("End-to-End Multi-Task Learning with Attention", arxiv_id="1803.10704"),
         _p("End-to-end multi-task learning with attention", venue="CVPR"),
         "same arXiv id 1803.10704"),
    ],
)
def test_one_paper_agrees(a: Paper, b: Paper, why: str) -> None:
    assert disagreement(a, b, why) is None


def test_a_preprint_and_its_publication_across_years() -> None:
    pre = _p(year=2017, venue="arXiv preprint arXiv:1705.07115")
    pub = _p(year=2018, venue="CVPR", doi="10.1109/CVPR.2018.00781")
    assert other_version(pre, pub) == (
        "a preprint of 2017 and its published version of 2018: same title and authors")
    assert other_version(pub, pre) is not None  # either order
    assert other_version(pre, pub.model_copy(update={"year": 2020})) is None  # too far
    assert other_version(pub.model_copy(update={"year": 2016}), pre) is None  # before it
    assert other_version(pre, pre.model_copy(update={"year": 2018})) is None  # two preprints
    assert other_version(pre, pub.model_copy(update={"authors": []})) is None
    assert other_version(pre, pub.model_copy(update={"title": "Learning to Share Features+"})
                         ) is None
