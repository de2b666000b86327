"""kb.ids: arXiv ids in every accepted spelling, rejected ones, DOIs."""

from datetime import date

import pytest

from kb.ids import BadId, arxiv_id_from_doi, find_arxiv_id, normalize_doi, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009.09796", ("2009.09796", None)),
        ("2009.09796v2", ("2009.09796", 2)),
        ("  1706.05098 ", ("1706.05098", None)),
        ("arXiv:1705.07115", ("1705.07115", None)),
        ("arxiv: 1705.07115v3", ("1705.07115", 3)),
        ("0704.0001", ("0704.0001", None)),
        ("1412.9999v1", ("1412.9999", 1)),
        ("1501.00001", ("1501.00001", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("hep-th/9108001", ("hep-th/9108001", None)),
        ("astro-ph/0703001", ("astro-ph/0703001", None)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("math.GT/0309136v1", ("math/0309136", 1)),
        ("HEP-TH/9901001", ("hep-th/9901001", None)),
        ("arXiv:hep-ex/0406020", ("hep-ex/0406020", None)),
        ("https://arxiv.org/abs/1706.05098", ("1706.05098", None)),
        ("https://arxiv.org/abs/1706.05098v1", ("1706.05098", 1)),
        ("http://arxiv.org/pdf/1706.05098v1.pdf", ("1706.05098", 1)),
        ("https://arxiv.org/pdf/1706.05098v2/", ("1706.05098", 2)),
        ("arxiv.org/pdf/2009.09796", ("2009.09796", None)),
        ("https://www.arxiv.org/abs/2009.09796", ("2009.09796", None)),
        ("https://export.arxiv.org/abs/2009.09796", ("2009.09796", None)),
        ("https://arxiv.org/html/2009.09796v1", ("2009.09796", 1)),
        ("https://arxiv.org/abs/hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("https://arxiv.org/abs/math.GT/0309136", ("math/0309136", None)),
        ("https://arxiv.org/abs/1706.05098?context=cs", ("1706.05098", None)),
        ("https://arxiv.org/abs/1706.05098v1#S2", ("1706.05098", 1)),
    ],
)
def test_accepted(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1706.5098",  # too few digits
        "1706.050981",  # too many
        "1501.0001",  # four digits after 2014
        "1412.00001",  # five digits before 2015
        "0703.0001",  # new style before April 2007
        "1234.5678",  # month 34
        "2013.00001",  # month 13
        "9912.12345",  # five-digit era, 1999 is not in it
        "1706.05098v0",  # versions start at 1
        "1706.05098v",
        "2009.09796 2009.09797",
        "hep-th/990100",  # six digits
        "hep-th/99010011",
        "hep-th/9101001",  # before August 1991
        "hep-th/0712345",  # old style ended in March 2007
        "hep-th/9913001",  # month 13
        "hep_th/9901001",
        "https://arxiv.org/abs/",
        "https://example.org/abs/1706.05098",
        "10.48550/arXiv.1706.05098",
        "arXiv:",
    ],
)
def test_rejected(text):
    with pytest.raises(BadId):
        parse_arxiv_id(text)


def _yymm(months_ahead: int) -> str:
    today = date.today()
    n = today.year * 12 + today.month - 1 + months_ahead
    return f"{n // 12 % 100:02d}{n % 12 + 1:02d}"


def test_ids_from_the_future_rejected():
    for ahead in (0, 1):  # this month, and next (slack for time zones)
        assert parse_arxiv_id(f"{_yymm(ahead)}.00001")[0] == f"{_yymm(ahead)}.00001"
    with pytest.raises(BadId):
        parse_arxiv_id(f"{_yymm(2)}.00001")


def test_bad_id_is_a_value_error_with_the_text():
    with pytest.raises(ValueError, match="nope"):
        parse_arxiv_id("nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arXiv preprint arXiv:1705.07115, 2017", "1705.07115"),
        ("see https://arxiv.org/abs/2009.09796v1 for details", "2009.09796"),
        ("arXiv:hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:1234.5678 then arXiv:1706.05098", "1706.05098"),  # first well-formed one
        ("no id here", None),
        (None, None),
        ("", None),
    ],
)
def test_find_arxiv_id(text, expected):
    assert find_arxiv_id(text) == expected


@pytest.mark.parametrize(
    ("doi", "expected"),
    [
        ("10.1109/ICSTW58534.2023.00023", "10.1109/icstw58534.2023.00023"),
        ("https://doi.org/10.1109/CVPR.2018.00781", "10.1109/cvpr.2018.00781"),
        ("http://dx.doi.org/10.1000/XYZ", "10.1000/xyz"),
        ("https://www.doi.org/10.1000/XYZ", "10.1000/xyz"),
        ("doi: 10.1000/abc", "10.1000/abc"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_doi(doi, expected):
    assert normalize_doi(doi) == expected


def test_arxiv_id_from_doi():
    assert arxiv_id_from_doi("10.48550/arXiv.2009.09796") == "2009.09796"
    assert arxiv_id_from_doi("https://doi.org/10.48550/arXiv.1706.05098") == "1706.05098"
    assert arxiv_id_from_doi("10.1109/CVPR.2018.00781") is None
    assert arxiv_id_from_doi("10.48550/arXiv.1234.5678") is None
    assert arxiv_id_from_doi(None) is None
