"""A local stand-in for arXiv's query API on 127.0.0.1, for tests of the real ``arxiv`` client.

It answers ``GET /api/query?...&id_list=a,b&start=..&max_results=..`` the way
export.arxiv.org does (Atom 1.0 with the ``opensearch`` and ``arxiv`` namespaces, the same
header elements, one ``<entry>`` per known id, nothing for an unknown id, a 400 error feed for
an id arXiv cannot parse). Entries come from ``fixtures/arxiv/*.xml``: one feed per paper, as
arXiv returns it for that id alone (file name: the id with ``/`` as ``_``).

Other behaviours for failure tests: :meth:`ArxivServer.answer` (any status and body, e.g. 503
or an HTML page) and :meth:`ArxivServer.hang` (accepts, never answers). Every request is
recorded in :attr:`ArxivServer.requests`.

    with ArxivServer() as server:
        os.environ["MTLKB_ARXIV_API"] = server.url
"""

from __future__ import annotations

import hashlib
import re
import socket
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"

_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)
_ENTRY = re.compile(r"  <entry>\n.*?</entry>\n", re.DOTALL)
_ENTRY_ID = re.compile(r"<id>http://arxiv\.org/abs/(?P<id>.+?)(?:v(?P<v>\d+))?</id>")
# What arXiv's API accepts as an id (anything else gets the 400 error feed).
_ID_SYNTAX = re.compile(
    r"^(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$"
)


def load_entries(folder: Path = FIXTURES) -> dict[str, tuple[int, str]]:
    """``{id without version: (version, entry XML)}`` from every fixture feed in ``folder``."""
    entries: dict[str, tuple[int, str]] = {}
    for path in sorted(folder.glob("*.xml")):
        for block in _ENTRY.findall(path.read_text(encoding="utf-8")):
            m = _ENTRY_ID.search(block)
            if m:
                entries[m.group("id")] = (int(m.group("v") or 1), block)
    return entries


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ArxivServer(LocalServer):
    """A threaded HTTP server on 127.0.0.1 (port 0) serving arXiv-format Atom feeds."""

    def __init__(self, entries: dict[str, tuple[int, str]] | None = None) -> None:
        super().__init__()
        self.entries = load_entries() if entries is None else entries
        self.requests: list[dict] = []
        self._mode = "feed"
        self._status = 200
        self._body = b""
        self._content_type = "text/plain"

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The query endpoint, for ``$MTLKB_ARXIV_API``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/query"

    # -- behaviours -----------------------------------------------------------------------
    def serve_feeds(self) -> None:
        """Answer like arXiv (the default)."""
        self._mode = "feed"

    def answer(self, status: int, body: bytes | str = b"", content_type: str = "text/html") -> None:
        """Answer every request with ``status`` and ``body``."""
        self._mode = "fixed"
        self._status = status
        self._body = body.encode("utf-8") if isinstance(body, str) else body
        self._content_type = content_type

    def hang(self) -> None:
        """Accept requests and never answer (until the server stops)."""
        self._mode = "hang"

    @property
    def id_lists(self) -> list[list[str]]:
        """The ``id_list`` of each request received, split on commas."""
        return [r["id_list"] for r in self.requests]

    # -- answering ------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        ids = [i for i in query.get("id_list", "").split(",") if i]
        self.requests.append({"path": parts.path, "query": query, "id_list": ids})
        if self._mode == "hang":
            self._release.wait(60)
            handler.close_connection = True
            return
        if self._mode == "fixed":
            status, body, ctype = self._status, self._body, self._content_type
        elif parts.path != "/api/query":
            status, body, ctype = 404, b"<html><body>Not Found</body></html>", "text/html"
        else:
            status, body = self._feed(query, ids)
            ctype = "application/atom+xml; charset=UTF-8"
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _feed(self, query: dict[str, str], ids: list[str]) -> tuple[int, bytes]:
        for i in ids:
            if not _ID_SYNTAX.match(i):
                return 400, self.error_feed(i).encode("utf-8")
        start = int(query.get("start", "0") or 0)
        max_results = int(query.get("max_results", "10") or 10)
        found = []
        for i in ids:
            base, _, version = re.match(r"^(.+?)(v(\d+))?$", i).group(1, 2, 3)
            entry = self.entries.get(base)
            if entry and (version is None or int(version) == entry[0]):
                found.append(entry[1])
        page = found[start : start + max_results]
        id_list = ",".join(ids)
        feed_id = hashlib.sha1(id_list.encode()).hexdigest()[:27]
        head = (
            f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
            f"  <title>arXiv Query: search_query=&amp;id_list={escape(id_list)}&amp;"
            f"start={start}&amp;max_results={max_results}</title>\n"
            f"  <updated>{_now()}</updated>\n"
            f'  <link href="https://arxiv.org/api/query?search_query=&amp;start={start}&amp;'
            f'max_results={max_results}&amp;id_list={escape(id_list)}" '
            f'type="application/atom+xml"/>\n'
            f"  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{len(found)}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        )
        return 200, (_HEAD + head + "".join(page) + "</feed>\n").encode("utf-8")

    @staticmethod
    def error_feed(bad_id: str) -> str:
        """arXiv's 400 answer for an id it cannot parse (recorded format)."""
        template = (FIXTURES / "error_400_abc.xml").read_text(encoding="utf-8")
        return (
            template.replace("incorrect_id_format_for_abc", f"incorrect_id_format_for_{bad_id}")
            .replace("incorrect id format for abc", f"incorrect id format for {escape(bad_id)}")
            .replace("2026-04-12T22:59:06Z", _now())
        )
