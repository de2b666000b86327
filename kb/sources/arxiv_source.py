"""Papers from the arXiv API, fetched with the ``arxiv`` package and turned into :class:`Paper`.

One request for many ids (``id_list``). The endpoint is ``$MTLKB_ARXIV_API`` (a full query URL)
or arXiv's own. The ``arxiv`` client sets no timeout and treats any 200 body as a feed, so the
client here gets an HTTP adapter that sets a timeout and checks that each answer is an Atom
feed (and not an arXiv error entry) before the package parses it. Every failure becomes one
:class:`ArxivFetchError` naming the ids and the cause.

``arxiv`` and ``requests`` are imported inside the functions that need them: importing this
module stays cheap.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kb.config import KBError
from kb.ids import BadId, parse_arxiv_id
from kb.models import Author, Paper

if TYPE_CHECKING:
    import arxiv

DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"
ENDPOINT_ENV = "MTLKB_ARXIV_API"
DEFAULT_TIMEOUT = 20.0  # seconds; mtlkb.toml [arxiv] timeout or --timeout override it
DEFAULT_RETRY_DELAY = 3.0  # arXiv asks for at most one request every three seconds
DEFAULT_RETRIES = 1
MAX_PAGE = 2000  # the API's largest page

_ATOM = "http://www.w3.org/2005/Atom"
_NS = {"atom": _ATOM}


class ArxivFetchError(KBError):
    """A failed fetch: the ids concerned and the cause, printable as one line."""

    def __init__(self, ids: Iterable[str], cause: str, *, not_found: bool = False) -> None:
        self.ids = list(ids)
        self.cause = _one_line(cause)
        self.not_found = not_found
        if not_found:
            message = f"not found on arXiv: {_name_ids(self.ids)}"
        else:
            message = f"could not fetch {_name_ids(self.ids)} from arXiv: {self.cause}"
        super().__init__(message)


class _BadAnswer(Exception):
    """Raised from inside the HTTP adapter: a 200 answer that is not a usable feed."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _name_ids(ids: list[str], most: int = 8) -> str:
    if len(ids) <= most:
        return ", ".join(ids)
    return ", ".join(ids[:most]) + f" and {len(ids) - most} more"


# -- endpoint and client --------------------------------------------------------------------
def endpoint_url(explicit: str | None = None) -> str:
    """The query URL: ``explicit``, else ``$MTLKB_ARXIV_API``, else arXiv's."""
    url = (explicit or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KBError(
            f"{ENDPOINT_ENV} must be a full http(s) URL such as {DEFAULT_ENDPOINT}, not {url!r}"
        )
    return url


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_client(
    endpoint: str,
    *,
    timeout: float,
    page_size: int = 100,
    retries: int = DEFAULT_RETRIES,
    retry_delay: float = DEFAULT_RETRY_DELAY,
) -> arxiv.Client:
    """An ``arxiv.Client`` on ``endpoint`` whose requests time out and whose answers are checked."""
    import arxiv
    from requests.adapters import HTTPAdapter

    class CheckedAdapter(HTTPAdapter):
        """Sets a timeout on every request; rejects 200 answers that are not Atom feeds."""

        def __init__(self) -> None:
            super().__init__()
            self.last_response = None

        def send(self, request, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            response = super().send(request, **kwargs)
            self.last_response = response
            if response.status_code == 200:
                problem = feed_problem(response.content, response.headers.get("content-type"))
                if problem:
                    raise _BadAnswer(problem)
            return response

    # The package logs warnings (skipped entries, malformed feeds); without a handler Python
    # would print them on stderr beside our one-line error.
    package_logger = logging.getLogger("arxiv")
    if not any(isinstance(h, logging.NullHandler) for h in package_logger.handlers):
        package_logger.addHandler(logging.NullHandler())
    client = arxiv.Client(page_size=page_size, delay_seconds=retry_delay, num_retries=retries)
    client.query_url_format = _url_format(endpoint)
    session = client._session  # the package keeps its requests.Session here
    adapter = CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if is_loopback(endpoint):
        session.trust_env = False  # $HTTP_PROXY must not catch requests to 127.0.0.1
    client.mtlkb_adapter = adapter  # type: ignore[attr-defined]
    return client


def _url_format(endpoint: str) -> str:
    joiner = "&" if "?" in endpoint else "?"
    return endpoint.replace("{", "{{").replace("}", "}}") + joiner + "{}"


# -- answers --------------------------------------------------------------------------------
def feed_problem(body: bytes, content_type: str | None = None) -> str | None:
    """Why ``body`` is not a usable arXiv Atom feed, or ``None`` when it is one."""
    from lxml import etree

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        if b"<feed" in body[:2000]:
            return f"the answer is a broken Atom feed ({_one_line(str(exc))})"
        root = None
    if root is None or root.tag != f"{{{_ATOM}}}feed":
        return f"the answer is not an Atom feed ({_describe(body, content_type)})"
    error = api_error(root)
    if error:
        return f"arXiv answered with an error: {error}"
    return None


def api_error(root: Any) -> str | None:
    """The text of an arXiv API error entry (``.../api/errors#...``) in a parsed feed."""
    for entry in root.iterfind("atom:entry", _NS):
        entry_id = entry.findtext("atom:id", default="", namespaces=_NS)
        if "/api/errors" in entry_id:
            summary = entry.findtext("atom:summary", default="", namespaces=_NS)
            return _one_line(summary) or entry_id.rpartition("#")[2].replace("_", " ")
    return None


def _describe(body: bytes, content_type: str | None) -> str:
    text = body[:200].decode("utf-8", "replace")
    snippet = _one_line(re.sub(r"[^\x20-\x7e]", " ", text))
    if len(snippet) > 60:
        snippet = snippet[:57] + "..."
    kind = (content_type or "no content type").split(";")[0].strip()
    return f"{kind}: {snippet!r}" if snippet else f"{kind}, empty body"


def _error_body_detail(response: Any) -> str | None:
    """arXiv's explanation inside a non-200 answer (its 400 error feed), if any."""
    if response is None:
        return None
    try:
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(response.content, parser=parser)
    except Exception:  # any unreadable body simply has no detail
        return None
    if root is None or root.tag != f"{{{_ATOM}}}feed":
        return None
    return api_error(root)


def _connection_reason(exc: BaseException) -> str:
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if m:
        return m.group(1).strip().rstrip(".")
    for phrase in ("Connection refused", "Name or service not known", "Network is unreachable",
                   "Connection reset", "Remote end closed connection"):
        if phrase.lower() in text.lower():
            return phrase
    return type(exc).__name__


# -- fetching -------------------------------------------------------------------------------
def fetch(
    ids: list[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    endpoint: str | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_delay: float = DEFAULT_RETRY_DELAY,
) -> list[Paper]:
    """The papers for ``ids`` (versionless, as :func:`kb.ids.parse_arxiv_id` returns them), in
    order, from ONE request (more only past 2000 ids). All or nothing: raises
    :class:`ArxivFetchError` if the request fails or any id is missing from the answer.
    """
    import arxiv
    import requests

    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    url = endpoint_url(endpoint)
    netloc = urlsplit(url).netloc
    client = make_client(
        url, timeout=timeout, page_size=min(len(ids), MAX_PAGE), retries=retries,
        retry_delay=retry_delay,
    )
    search = arxiv.Search(id_list=ids, max_results=len(ids))
    try:
        results = list(client.results(search))
    except _BadAnswer as exc:
        raise ArxivFetchError(ids, f"{exc} (from {netloc})") from None
    except arxiv.HTTPError as exc:
        detail = _error_body_detail(client.mtlkb_adapter.last_response)
        if not detail and exc.status in (429, 503):
            detail = "arXiv is busy or rate-limiting; try again in a minute"
        cause = f"HTTP {exc.status} from {netloc}" + (f" ({detail})" if detail else "")
        raise ArxivFetchError(ids, cause) from None
    except requests.exceptions.ProxyError as exc:
        cause = f"cannot connect through the HTTP(S)_PROXY proxy ({_connection_reason(exc)})"
        raise ArxivFetchError(ids, cause) from None
    except requests.exceptions.Timeout:
        raise ArxivFetchError(ids, f"no answer from {netloc} within {timeout:g} s") from None
    except requests.exceptions.ConnectionError as exc:
        cause = f"cannot connect to {netloc} ({_connection_reason(exc)})"
        raise ArxivFetchError(ids, cause) from None
    except requests.exceptions.RequestException as exc:
        raise ArxivFetchError(ids, f"request to {netloc} failed ({type(exc).__name__})") from None
    except arxiv.ArxivError as exc:
        raise ArxivFetchError(ids, f"{exc.message} from {netloc}") from None

    found: dict[str, Paper] = {}
    for result in results:
        try:
            paper = paper_from_result(result)
        except BadId:
            continue  # an entry for no id of ours
        found.setdefault(paper.arxiv_id, paper)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ArxivFetchError(missing, "not found", not_found=True)
    return [found[i] for i in ids]


# -- records --------------------------------------------------------------------------------
def _iso(dt: Any) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt is not None else None


def _https(url: str | None) -> str | None:
    if url and url.startswith("http://arxiv.org/"):
        return "https://" + url[len("http://"):]
    return url


def paper_from_result(result: arxiv.Result) -> Paper:
    """A :class:`Paper` from one ``arxiv.Result`` (raises :class:`BadId` for a foreign entry)."""
    arxiv_id, version = parse_arxiv_id(result.get_short_id())
    journal_ref = _one_line(result.journal_ref or "") or None
    published = result.published
    categories = list(dict.fromkeys(result.categories))
    pdf_url = _https(result.pdf_url) or (
        f"https://arxiv.org/pdf/{arxiv_id}" + (f"v{version}" if version else "")
    )
    return Paper(
        title=_one_line(result.title),
        authors=[Author.from_display(a.name) for a in result.authors if a.name.strip()],
        year=published.year if published else None,
        month=published.month if published else None,
        venue=journal_ref or "arXiv",
        entry_type="misc",
        abstract=_one_line(result.summary) or None,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=_one_line(result.doi or "") or None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=pdf_url,
        published=_iso(published),
        updated=_iso(result.updated),
        primary_category=result.primary_category or (categories[0] if categories else None),
        categories=categories,
        journal_ref=journal_ref,
        comment=_one_line(result.comment or "") or None,
        source="arxiv",
        affiliations={_one_line(a.name): [_one_line(x) for x in a.affiliation]
                      for a in result.authors if a.name.strip() and a.affiliation},
    )


def render_bibtex(paper: Paper, key: str) -> str:
    """BibTeX like arXiv's "Export BibTeX citation" (see ``bibtex_writer.arxiv_entry``)."""
    from kb.sources.bibtex_writer import arxiv_entry

    return arxiv_entry(paper, key)


class ArxivSource:
    """arXiv ids (new and old style, ``arXiv:`` prefix, abs/pdf URLs) and arXiv's own DOIs
    (``10.48550/arXiv.2009.09796``), all fetched in one request."""

    name = "arXiv"

    def match(self, ref: str) -> str | None:
        from kb.ids import arxiv_id_from_doi

        try:
            return parse_arxiv_id(ref)[0]
        except BadId:
            return arxiv_id_from_doi(ref)

    def fetch(self, ids: list[str], options: Any) -> list[Paper]:
        return fetch(ids, timeout=options.timeout, endpoint=options.endpoint,
                     retry_delay=options.retry_delay)
