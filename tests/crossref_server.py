"""A local stand-in for Crossref's REST API on 127.0.0.1, for tests of the DOI source.

``GET /works/{doi}`` answers with the recorded body in ``fixtures/crossref/{doi}.json`` (DOIs
compared case-insensitively, as Crossref does), ``404`` for an unknown DOI. Failure modes:
:meth:`CrossrefServer.answer` (any status, body and headers) and :meth:`CrossrefServer.hang`
(accepts, never answers). Every request is recorded (path, query, headers).

    with CrossrefServer() as server:
        os.environ["MTLKB_CROSSREF_API"] = server.url
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures" / "crossref"


def load_works(folder: Path = FIXTURES) -> dict[str, bytes]:
    """``{lowercase DOI: answer body}`` from every fixture file."""
    return {p.stem.replace("_", "/", 1).lower(): p.read_bytes()
            for p in sorted(folder.glob("*.json"))}


class CrossrefServer(LocalServer):
    """A threaded HTTP server on 127.0.0.1 (port 0) answering ``/works/{doi}``."""

    def __init__(self, works: dict[str, bytes] | None = None) -> None:
        super().__init__()
        self.works = load_works() if works is None else works
        self.requests: list[dict] = []
        self._fixed: tuple[int, bytes, dict[str, str]] | None = None
        self._hang = False

    @property
    def url(self) -> str:
        """The ``works`` endpoint, for ``$MTLKB_CROSSREF_API``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/works"

    def serve_works(self) -> None:
        """Answer like Crossref (the default)."""
        self._fixed, self._hang = None, False

    def answer(self, status: int, body: bytes | str = b"", content_type: str = "text/html",
               headers: dict[str, str] | None = None) -> None:
        """Answer every request with ``status``, ``body`` and ``headers``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._fixed = (status, data, {"Content-Type": content_type, **(headers or {})})

    def hang(self) -> None:
        """Accept requests and never answer (until the server stops)."""
        self._hang = True

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.requests.append({"path": unquote(parts.path), "query": query,
                              "headers": dict(handler.headers)})
        if self._hang:
            self._release.wait(60)
            handler.close_connection = True
            return
        if self._fixed is not None:
            status, body, headers = self._fixed
        else:
            doi = unquote(parts.path).removeprefix("/works/").lower()
            body = self.works.get(doi) if parts.path.startswith("/works/") else None
            if body is None:
                status, body = 404, b"Resource not found."
                headers = {"Content-Type": "text/plain"}
            else:
                status = 200
                headers = {"Content-Type": "application/json", "x-rate-limit-limit": "50",
                           "x-rate-limit-interval": "1s"}
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
