"""Identifiers: arXiv ids (new and old style, URLs, prefixes) and DOIs."""

from __future__ import annotations

import re
from datetime import date

_NEW = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<v>[1-9]\d*))?$")
_OLD = re.compile(
    r"^(?P<arch>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subj>[A-Za-z]{2}))?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<v>[1-9]\d*))?$",
    re.IGNORECASE,
)
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>[^?#]+?)(?:\.pdf)?/?"
    r"(?:[?#].*)?$",
    re.IGNORECASE,
)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.|www\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
# An arXiv id somewhere in free text ("arXiv preprint arXiv:1705.07115", URLs).
_ID_IN_TEXT = re.compile(
    r"(?:arxiv(?:\.org)?[:\s./]*(?:abs/|pdf/|html/)?)(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)


class BadId(ValueError):
    """An identifier that is not a well-formed arXiv id."""


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Return ``(id without version, version or None)``; raise :class:`BadId` if malformed.

    Accepts ``2009.09796``, ``2009.09796v2``, ``hep-th/9901001``, ``math.GT/0309136`` (mapped to
    ``math/0309136`` as arXiv does), an ``arXiv:`` prefix and abs/pdf URLs.
    """
    raw = text.strip()
    s = raw
    m = _URL.match(s)
    if m:
        s = m.group("id")
    if s.lower().startswith("arxiv:"):
        s = s[6:].strip()
    m = _NEW.match(s)
    if m:
        yymm, num = m.group("yymm"), m.group("num")
        yy, mm = int(yymm[:2]), int(yymm[2:])
        ok_month = 1 <= mm <= 12
        four_digit_era = (7, 4) <= (yy, mm) <= (14, 12)
        today = date.today()
        # Five-digit numbers from 1501 on, up to next month (slack for clocks and time zones;
        # two-digit years wrap in 2107).
        latest = (today.year % 100 + today.month // 12, today.month % 12 + 1)
        five_digit_era = (15, 1) <= (yy, mm) <= latest
        ok = ok_month and ((len(num) == 4 and four_digit_era) or (len(num) == 5 and five_digit_era))
        if not ok:
            raise BadId(f"{raw!r} is not a valid arXiv id")
        v = m.group("v")
        return f"{yymm}.{num}", int(v) if v else None
    m = _OLD.match(s)
    if m:
        yy, mm = int(m.group("yymm")[:2]), int(m.group("yymm")[2:])
        # Old-style ids ran from 9108 to 0703.
        in_era = (91, 8) <= (yy, mm) <= (99, 12) or (0, 1) <= (yy, mm) <= (7, 3)
        if not (1 <= mm <= 12) or not in_era:
            raise BadId(f"{raw!r} is not a valid arXiv id")
        v = m.group("v")
        arch = m.group("arch").lower()
        return f"{arch}/{m.group('yymm')}{m.group('num')}", int(v) if v else None
    raise BadId(f"{raw!r} is not an arXiv id (expected e.g. 2009.09796, hep-th/9901001 or a URL)")


def find_arxiv_id(text: str | None) -> str | None:
    """The first well-formed arXiv id (without version) mentioned in ``text``, if any."""
    if not text:
        return None
    for m in _ID_IN_TEXT.finditer(text):
        try:
            return parse_arxiv_id(m.group("id"))[0]
        except BadId:
            continue
    return None


def normalize_doi(doi: str | None) -> str | None:
    """Lowercase, without URL or ``doi:`` prefix; ``None`` when empty."""
    if not doi:
        return None
    d = _DOI_PREFIX.sub("", doi.strip()).strip().lower()
    return d or None


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """arXiv's own DOIs (``10.48550/arXiv.2009.09796``) name the arXiv id."""
    d = normalize_doi(doi)
    if not d:
        return None
    m = _ARXIV_DOI.match(d)
    if not m:
        return None
    try:
        return parse_arxiv_id(m.group("id"))[0]
    except BadId:
        return None
