"""A local stand-in for the open scholarly APIs on 127.0.0.1 (tests of ``mtlkb enrich``).

Answers every GET with what :meth:`ApiServer.route` set for the longest matching path
prefix: a status, a body and headers (the APIs' own formats, see ``fixtures/enrich``), or a
hang (accepts and never answers). Unknown paths get 404 with Semantic Scholar's error body.
Every request path (with its query) is recorded in :attr:`ApiServer.requests`.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures" / "enrich"


class ApiServer(LocalServer):
    protocol_version = "HTTP/1.0"  # http.server's default, as these tests were written

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, tuple[int, bytes, dict[str, str]] | None] = {}
        self.requests: list[str] = []
    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, prefix: str, status: int = 200, body: bytes | str = b"",
              content_type: str = "application/json", headers: dict[str, str] | None = None
              ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[prefix] = (status, data, {"Content-Type": content_type, **(headers or {})})

    def fixture(self, prefix: str, name: str) -> None:
        self.route(prefix, 200, (FIXTURES / name).read_bytes())

    def hang(self, prefix: str) -> None:
        self.routes[prefix] = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests.append(handler.path)
        path = handler.path.split("?", 1)[0]
        match = max((p for p in self.routes if path.startswith(p)), key=len, default=None)
        if match is None:
            answer = (404, b'{"error":"Paper with id x not found"}\n',
                      {"Content-Type": "application/json"})
        else:
            answer = self.routes[match]
        if answer is None:
            self._release.wait(30)
            return
        status, body, headers = answer
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
