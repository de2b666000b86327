"""Papers by DOI from Crossref's REST API (``GET /works/{doi}``), with plain ``requests``.

Why not the ``crossrefapi`` package: it builds every URL as ``https://api.crossref.org/...``
(no endpoint to point at a mirror or a local test server), sleeps after each request to
honour rate limits we do not hit with a few DOIs, and calls ``.json()`` on any non-404
answer, so a 429, a 503 or an HTML page surfaces as a JSON decoding error. One GET per DOI
with our own checks is shorter than working around that. ``requests`` is already here (the
``arxiv`` package uses it).

The endpoint is ``$MTLKB_CROSSREF_API`` (the ``works`` URL) or Crossref's. Requests carry
Crossref's "polite pool" contact: ``mailto`` in the query and in the User-Agent, when one is
configured (``mtlkb.toml`` ``[crossref] mailto``). Every failure is one
:class:`CrossrefFetchError` line naming the DOI and the cause.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any
from urllib.parse import quote, urlsplit

from kb import __version__
from kb.config import KBError
from kb.ids import arxiv_id_from_doi, normalize_doi
from kb.models import Author, Paper
from kb.sources.base import FetchOptions

DEFAULT_ENDPOINT = "https://api.crossref.org/works"
ENDPOINT_ENV = "MTLKB_CROSSREF_API"
DEFAULT_TIMEOUT = 20.0

# A DOI as Crossref issues them: "10." + registrant + "/" + suffix (no spaces).
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.|www\.)?doi\.org/|doi:\s*)", re.IGNORECASE)

# Crossref work types -> BibTeX entry types.
TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
    "book-section": "incollection",
    "book-part": "incollection",
    "reference-entry": "incollection",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "proceedings": "proceedings",
    "report": "techreport",
    "dissertation": "phdthesis",
    "posted-content": "misc",
    "dataset": "misc",
    "standard": "misc",
}


class CrossrefFetchError(KBError):
    """A failed DOI look-up, printable as one line."""

    def __init__(self, doi: str, cause: str, *, not_found: bool = False) -> None:
        self.doi = doi
        self.not_found = not_found
        text = f"not found on Crossref: {doi}" if not_found else (
            f"could not fetch {doi} from Crossref: {cause}")
        super().__init__(text)


def parse_doi(ref: str) -> str | None:
    """The DOI ``ref`` names (bare, ``doi:``-prefixed or a doi.org URL), or ``None``.
    Case is kept as given (DOIs are case-insensitive; the store normalises)."""
    text = _DOI_PREFIX.sub("", ref.strip()).strip()
    if "%" in text:
        from urllib.parse import unquote

        text = unquote(text)
    return text if _DOI.match(text) else None


def endpoint_url(explicit: str | None = None) -> str:
    """The ``works`` URL: ``explicit``, else ``$MTLKB_CROSSREF_API``, else Crossref's."""
    url = (explicit or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KBError(
            f"{ENDPOINT_ENV} must be a full http(s) URL such as {DEFAULT_ENDPOINT}, not {url!r}"
        )
    return url


# -- records ----------------------------------------------------------------------------------
def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return " ".join(html.unescape(value).split()) or None


_TAG = re.compile(r"<[^>]+>")


def _abstract(value: Any) -> str | None:
    """Crossref abstracts are JATS XML (``<jats:p>``...): the text, without the tags and
    without a leading "Abstract" heading."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(_TAG.sub(" ", value)).split())
    text = re.sub(r"^Abstract\s*[:.]?\s+", "", text)
    return text or None


def _authors(value: Any) -> list[Author]:
    out: list[Author] = []
    for a in value if isinstance(value, list) else []:
        if not isinstance(a, dict):
            continue
        family, given, name = _first(a.get("family")), _first(a.get("given")), _first(a.get("name"))
        if family:
            out.append(Author(first=given or "", last=family))
        elif name or given:
            out.append(Author(last=name or given or ""))  # an organisation
    return out


def _date(message: dict) -> tuple[int | None, int | None]:
    for name in ("issued", "published", "published-print", "published-online", "created"):
        parts = (message.get(name) or {}).get("date-parts") if isinstance(
            message.get(name), dict) else None
        if parts and isinstance(parts[0], list) and parts[0] and parts[0][0] is not None:
            try:
                year = int(parts[0][0])
                month = int(parts[0][1]) if len(parts[0]) > 1 and parts[0][1] else None
            except (TypeError, ValueError):
                continue
            return year, month if month and 1 <= month <= 12 else None
    return None, None


def paper_from_work(message: dict, requested: str) -> Paper:
    """A :class:`Paper` from the ``message`` of a ``/works/{doi}`` answer."""
    doi = normalize_doi(_first(message.get("DOI"))) or normalize_doi(requested)
    title = _first(message.get("title"))
    if not title:
        raise ValueError("the work has no title")
    subtitle = _first(message.get("subtitle"))
    if subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}"
    entry_type = TYPES.get(str(message.get("type")), "misc")
    year, month = _date(message)
    fields: dict[str, str] = {}
    page = _first(message.get("page"))
    if page:
        fields["pages"] = re.sub(r"\s*[-\u2013]+\s*", "\u2013", page)
    for name, field in (("volume", "volume"), ("issue", "number"), ("publisher", "publisher"),
                        ("ISBN", "isbn"), ("ISSN", "issn")):
        value = _first(message.get(name))
        if value:
            fields[field] = value
    venue = _first(message.get("container-title"))
    return Paper(
        title=title,
        authors=_authors(message.get("author")),
        year=year,
        month=month,
        venue=venue,
        entry_type=entry_type,
        abstract=_abstract(message.get("abstract")),
        arxiv_id=arxiv_id_from_doi(doi),
        doi=doi,
        url=f"https://doi.org/{doi}" if doi else None,
        fields=fields,
        source="crossref",
    )


# -- fetching ---------------------------------------------------------------------------------
def _is_loopback(url: str) -> bool:
    from kb.sources.arxiv_source import is_loopback

    return is_loopback(url)


def _reason(exc: BaseException) -> str:
    from kb.sources.arxiv_source import _connection_reason

    return _connection_reason(exc)


def fetch_one(session: Any, doi: str, base: str, options: FetchOptions) -> Paper:
    """The paper for one DOI; raises :class:`CrossrefFetchError`."""
    import requests

    url = f"{base}/{quote(doi, safe='/:;()._-')}"
    netloc = urlsplit(base).netloc
    params = {"mailto": options.mailto} if options.mailto else None
    try:
        response = session.get(url, params=params, timeout=options.timeout)
    except requests.exceptions.ProxyError as exc:
        raise CrossrefFetchError(
            doi, f"cannot connect through the HTTP(S)_PROXY proxy ({_reason(exc)})") from None
    except requests.exceptions.Timeout:
        raise CrossrefFetchError(
            doi, f"no answer from {netloc} within {options.timeout:g} s") from None
    except requests.exceptions.ConnectionError as exc:
        raise CrossrefFetchError(doi, f"cannot connect to {netloc} ({_reason(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise CrossrefFetchError(doi, f"request to {netloc} failed ({type(exc).__name__})"
                                 ) from None
    status = response.status_code
    if status == 404:
        raise CrossrefFetchError(doi, "", not_found=True)
    if status == 429:
        limit = response.headers.get("x-rate-limit-limit")
        interval = response.headers.get("x-rate-limit-interval")
        rate = f", limit {limit} per {interval}" if limit and interval else ""
        raise CrossrefFetchError(
            doi, f"HTTP 429 from {netloc} (Crossref is rate-limiting{rate}; try again in a "
            "minute, and set mailto in the [crossref] table of mtlkb.toml)")
    if status != 200:
        raise CrossrefFetchError(doi, f"HTTP {status} from {netloc}")
    try:
        data = response.json()
    except ValueError:
        kind = (response.headers.get("content-type") or "no content type").split(";")[0]
        raise CrossrefFetchError(doi, f"the answer is not JSON ({kind}, from {netloc})"
                                 ) from None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict) or data.get("message-type") not in (None, "work"):
        raise CrossrefFetchError(doi, f"the answer is not a Crossref work (from {netloc})")
    try:
        return paper_from_work(message, doi)
    except ValueError as exc:
        raise CrossrefFetchError(doi, f"{exc} (from {netloc})") from None


def fetch(dois: list[str], options: FetchOptions) -> list[Paper]:
    """One paper per DOI, in order (one request each); all or nothing."""
    import requests

    base = endpoint_url(options.endpoint)
    with requests.Session() as session:
        contact = f" (mailto:{options.mailto})" if options.mailto else ""
        session.headers["User-Agent"] = f"mtlkb/{__version__}{contact}"
        if _is_loopback(base):
            session.trust_env = False  # $HTTP_PROXY must not catch requests to 127.0.0.1
        return [fetch_one(session, doi, base, options) for doi in dois]


class CrossrefSource:
    """DOIs (bare, ``doi:``, doi.org URLs) looked up on Crossref."""

    name = "Crossref"

    def match(self, ref: str) -> str | None:
        return parse_doi(ref)

    def fetch(self, ids: list[str], options: FetchOptions) -> list[Paper]:
        return fetch(ids, options)
