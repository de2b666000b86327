"""Open scholarly APIs for ``mtlkb enrich``: Semantic Scholar, OpenAlex and Crossref.

Plain HTTP (``urllib``) rather than the ``semanticscholar`` / ``pyalex`` / ``crossrefapi``
clients: one GET per paper on each API, and every failure (404, 429, 5xx, a hang, a broken
body, no network) has to become one line naming the paper, which is simplest where we make
the request ourselves; it also adds no dependency. Each API's base URL is overridable by an
environment variable (tests point them at local servers). Nothing here touches the store.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from kb import __version__
from kb.config import KBError
from kb.models import Paper
from kb.models.record import AuthorAffiliation, ExternalReference

USER_AGENT = f"mtlkb/{__version__} (a literature knowledge base)"


class EnrichError(KBError):
    """One line: which API, which paper, what went wrong."""


class NotFound(EnrichError):
    pass


@dataclass
class Answer:
    """What one API said about one paper (before references are matched to the KB)."""

    external_id: str | None
    citation_count: int | None
    references: list[ExternalReference]
    affiliations: list[AuthorAffiliation]
    oa_pdf: str | None


@dataclass(frozen=True)
class Api:
    name: str
    env: str
    default: str
    interval_s: float  # at least this long between two requests (the API's published limit)
    url_for: Callable[[str, Paper, dict[str, Any]], str | None]
    parse: Callable[[Any], Answer]
    needs: str  # what a paper must have for a lookup (said when it lacks it)

    def base(self) -> str:
        return (os.environ.get(self.env) or self.default).rstrip("/")


# -- helpers ---------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _str(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _http(url: Any) -> str | None:
    url = _str(url)
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _doi(value: Any) -> str | None:
    doi = _str(value)
    if doi is None:
        return None
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix):]
    return doi.lower() or None


def _settings_query(extra: dict[str, Any]) -> str:
    pairs = {k: v for k, v in extra.items() if v}
    return ("?" + urlencode(pairs)) if pairs else ""


# -- Semantic Scholar (Academic Graph API, /graph/v1/paper/{id}) ------------------------
S2_FIELDS = ("paperId,externalIds,citationCount,openAccessPdf,authors.name,"
             "authors.affiliations,references.paperId,references.title,references.externalIds")


def s2_url(base: str, paper: Paper, settings: dict[str, Any]) -> str | None:
    if paper.arxiv_id:
        pid = f"ARXIV:{paper.arxiv_id}"
    elif paper.doi:
        pid = f"DOI:{paper.doi}"
    else:
        return None
    return f"{base}/paper/{quote(pid, safe=':/')}?fields={S2_FIELDS}"


def s2_parse(data: Any) -> Answer:
    if not isinstance(data, dict) or "paperId" not in data:
        raise ValueError("no paperId in the answer")
    refs = []
    for r in _list(data.get("references")):
        r = _dict(r)
        ids = _dict(r.get("externalIds"))
        refs.append(ExternalReference(title=_str(r.get("title")), doi=_doi(ids.get("DOI")),
                                      arxiv_id=_str(ids.get("ArXiv")),
                                      external_id=_str(r.get("paperId"))))
    affs = []
    for a in _list(data.get("authors")):
        a = _dict(a)
        names = [n for n in (_str(x) for x in _list(a.get("affiliations"))) if n]
        if _str(a.get("name")):
            affs.append(AuthorAffiliation(author=_str(a.get("name")) or "", institutions=names))
    return Answer(external_id=_str(data.get("paperId")),
                  citation_count=_int(data.get("citationCount")), references=refs,
                  affiliations=affs, oa_pdf=_http(_dict(data.get("openAccessPdf")).get("url")))


# -- OpenAlex (/works/{doi:...}) ----------------------------------------------------------
def openalex_doi(paper: Paper) -> str | None:
    """The paper's DOI, else the DOI arXiv registers for every paper (10.48550/arXiv.ID)."""
    if paper.doi:
        return paper.doi
    return f"10.48550/arXiv.{paper.arxiv_id}" if paper.arxiv_id else None


def openalex_url(base: str, paper: Paper, settings: dict[str, Any]) -> str | None:
    doi = openalex_doi(paper)
    if doi is None:
        return None
    query = _settings_query({
        "select": "id,doi,cited_by_count,referenced_works,authorships,best_oa_location,"
                  "open_access",
        "api_key": settings.get("openalex_api_key") or os.environ.get("OPENALEX_API_KEY"),
        "mailto": settings.get("mailto"),
    })
    return f"{base}/works/doi:{quote(doi, safe='/')}{query}"


def _openalex_short(work_id: Any) -> str | None:
    value = _str(work_id)
    return value.rsplit("/", 1)[-1] if value else None


def openalex_parse(data: Any) -> Answer:
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("no id in the answer")
    refs = [ExternalReference(external_id=_openalex_short(w))
            for w in _list(data.get("referenced_works")) if _openalex_short(w)]
    affs = []
    for a in _list(data.get("authorships")):
        a = _dict(a)
        name = _str(_dict(a.get("author")).get("display_name")) or _str(
            a.get("raw_author_name"))
        if not name:
            continue
        insts = [n for n in (_str(_dict(i).get("display_name"))
                             for i in _list(a.get("institutions"))) if n]
        if not insts:
            insts = [n for n in (_str(x) for x in _list(a.get("raw_affiliation_strings"))) if n]
        affs.append(AuthorAffiliation(author=name, institutions=insts))
    pdf = _http(_dict(data.get("best_oa_location")).get("pdf_url")) or _http(
        _dict(data.get("open_access")).get("oa_url"))
    return Answer(external_id=_openalex_short(data.get("id")),
                  citation_count=_int(data.get("cited_by_count")), references=refs,
                  affiliations=affs, oa_pdf=pdf)


# -- Crossref (/works/{doi}) ----------------------------------------------------------------
def crossref_url(base: str, paper: Paper, settings: dict[str, Any]) -> str | None:
    if not paper.doi:
        return None
    return f"{base}/works/{quote(paper.doi, safe='/')}" + _settings_query(
        {"mailto": settings.get("mailto")})


def crossref_parse(data: Any) -> Answer:
    msg = _dict(data).get("message") if isinstance(data, dict) else None
    if not isinstance(msg, dict) or _dict(data).get("status") != "ok":
        raise ValueError("no work message in the answer")
    refs = [ExternalReference(title=_str(_dict(r).get("article-title"))
                              or _str(_dict(r).get("unstructured")),
                              doi=_doi(_dict(r).get("DOI")))
            for r in _list(msg.get("reference"))]
    affs = []
    for a in _list(msg.get("author")):
        a = _dict(a)
        name = " ".join(x for x in (_str(a.get("given")), _str(a.get("family"))) if x) \
            or _str(a.get("name"))
        if name:
            insts = [n for n in (_str(_dict(x).get("name")) for x in _list(a.get("affiliation")))
                     if n]
            affs.append(AuthorAffiliation(author=name, institutions=insts))
    # Crossref says where full text is, not whether it is open: no open-access PDF from it.
    return Answer(external_id=_doi(msg.get("DOI")),
                  citation_count=_int(msg.get("is-referenced-by-count")), references=refs,
                  affiliations=affs, oa_pdf=None)


APIS: dict[str, Api] = {
    "semanticscholar": Api("semanticscholar", "MTLKB_S2_API",
                           "https://api.semanticscholar.org/graph/v1",
                           3.0,  # unauthenticated: a shared pool of 100 requests / 5 min
                           s2_url, s2_parse, "arXiv id or DOI"),
    "openalex": Api("openalex", "MTLKB_OPENALEX_API", "https://api.openalex.org",
                    0.1,  # 10 requests / s
                    openalex_url, openalex_parse, "DOI or arXiv id"),
    "crossref": Api("crossref", "MTLKB_CROSSREF_API", "https://api.crossref.org",
                    0.1,  # polite pool; x-rate-limit-* headers may ask for slower
                    crossref_url, crossref_parse, "DOI"),
}


# -- HTTP --------------------------------------------------------------------------------
def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _detail(body: bytes) -> str:
    text = body[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:160]
    if isinstance(data, dict):
        for name in ("error", "message", "detail"):
            if isinstance(data.get(name), str):
                return " ".join(data[name].split())[:160]
        if isinstance(data.get("message"), list) and data["message"]:
            return " ".join(str(data["message"][0]).split())[:160]
    return " ".join(text.split())[:160]


class Pacer:
    """At least ``interval_s`` between two requests; a server may ask for more."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last = 0.0

    def wait(self) -> None:
        delay = self._last + self.interval_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last = time.monotonic()

    def respect(self, headers: Any) -> None:
        """Crossref's ``x-rate-limit-limit`` / ``x-rate-limit-interval`` (e.g. 50, ``1s``)."""
        try:
            limit = int(headers.get("x-rate-limit-limit") or 0)
            interval = float(str(headers.get("x-rate-limit-interval") or "0s").rstrip("s"))
        except ValueError:
            return
        if limit > 0 and interval > 0:
            self.interval_s = max(self.interval_s, interval / limit)


def get_json(api: Api, url: str, who: str, timeout: float, pacer: Pacer) -> Any:
    """GET ``url`` and decode its JSON; every failure is one :class:`EnrichError` line."""
    handlers = [urllib.request.ProxyHandler({})] if _loopback(url) else []
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   "Accept": "application/json"})
    where = f"{api.name}: {who}"
    pacer.wait()
    try:
        with opener.open(request, timeout=timeout) as response:
            pacer.respect(response.headers)
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = _detail(exc.read() or b"")
        if exc.code == 404:
            raise NotFound(f"{where}: not found (HTTP 404{': ' + detail if detail else ''})") \
                from None
        if exc.code == 429:
            after = exc.headers.get("Retry-After") if exc.headers else None
            raise EnrichError(
                f"{where}: rate limited (HTTP 429{'; retry after ' + after + ' s' if after else ''}"
                f"); nothing was changed, try again later") from None
        if exc.code in (401, 403):
            raise EnrichError(f"{where}: refused (HTTP {exc.code}: {detail or exc.reason}); "
                              "an API key may be needed") from None
        raise EnrichError(f"{where}: the server failed (HTTP {exc.code}"
                          f"{': ' + detail if detail else ''})") from None
    except TimeoutError:
        raise EnrichError(f"{where}: no answer from {urlsplit(url).netloc} within "
                          f"{timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise EnrichError(f"{where}: no answer from {urlsplit(url).netloc} within "
                              f"{timeout:g} s") from None
        raise EnrichError(f"{where}: cannot reach {urlsplit(url).netloc} ({reason}); "
                          "offline?") from None
    except (OSError, ValueError) as exc:  # connection reset, a broken HTTP answer
        raise EnrichError(f"{where}: the connection failed ({exc})") from None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnrichError(f"{where}: the answer is not JSON ({_detail(body)[:80]!r})") from None


def lookup(api: Api, paper: Paper, settings: dict[str, Any], timeout: float,
           pacer: Pacer) -> Answer:
    """Ask ``api`` about ``paper``. Raises :class:`NotFound` (also when the paper lacks the
    id the API needs) or :class:`EnrichError`."""
    who = paper.key or paper.title
    url = api.url_for(api.base(), paper, settings)
    if url is None:
        raise NotFound(f"{api.name}: {who}: has no {api.needs} to look it up by")
    data = get_json(api, url, who, timeout, pacer)
    try:
        return api.parse(data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise EnrichError(f"{api.name}: {who}: unexpected answer ({exc})") from None
