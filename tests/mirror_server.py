"""A local HTTP server on 127.0.0.1 that serves one site of a ``wget --mirror`` folder and logs
every request. Used by the end-to-end tests and the benchmark; it never listens elsewhere.

    with MirrorServer(FIXTURES, "theinquirer.fr") as server:
        server.url            # http://127.0.0.1:PORT/
        server.requests       # ["/robots.txt", "/", …] in arrival order
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from inquirer_crawler.response.replay import content_type, mirror_path

# A special answer for one path: (status, headers, body).
Route = Callable[[str], tuple[int, dict[str, str], bytes]]
# A path answered by writing to the socket directly (lying Content-Length, slow drip, hang).
RawRoute = Callable[[BaseHTTPRequestHandler], None]


class MirrorServer:
    def __init__(
        self,
        root: Path,
        host: str,
        routes: dict[str, Route] | None = None,
        delay: float = 0.0,
        on_request: Callable[[int], None] | None = None,
        raw_routes: dict[str, RawRoute] | None = None,
        tls: tuple[Path, Path] | None = None,
        address: str = "127.0.0.1",  # another 127.0.0.x: a second site beside the first
    ) -> None:
        self.raw_routes = raw_routes or {}
        self.headers_seen: list[dict[str, str]] = []  # request headers, to prove what was never sent
        self.times: list[tuple[float, str]] = []  # (monotonic time, path) of each request
        self.root = root
        self.host = host
        self.routes = routes or {}
        self.delay = delay  # seconds before each answer: a slow site, to kill a crawl mid-way
        self.on_request = on_request  # called with the number of requests so far
        self.requests: list[str] = []
        self._lock = threading.Lock()
        assert address.startswith("127.0.0."), "the tests never listen beyond loopback"
        self.address = address
        self._server = ThreadingHTTPServer((address, 0), self._handler_class())
        self.scheme = "http"
        if tls is not None:  # (certificate, key): HTTPS with that certificate
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self._server.server_address[0]}:{self.port}/"

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.requests)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(path)
            self.times.append((time.monotonic(), path))
            count = len(self.requests)
        if self.on_request is not None:
            self.on_request(count)
        if self.delay:
            time.sleep(self.delay)
        if route := self.routes.get(path.split("?")[0]):
            return route(path)
        file = mirror_path(self.root, f"https://{self.host}{path}")
        if file is None or not file.is_file():
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>Not found</body></html>"
        body = file.read_bytes()
        return 200, {"Content-Type": content_type(file, body)}, body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.headers_seen.append(dict(self.headers.items()))
                raw = server.raw_routes.get(self.path.split("?")[0])
                if raw is not None:
                    server.answer(self.path)  # counted like any request
                    # The crawler may give up on a hostile answer mid-way, as it should.
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        raw(self)
                    return
                status, headers, body = server.answer(self.path)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler was killed mid-answer, on purpose

            def log_message(self, format: str, *args: object) -> None:
                pass  # the request log is server.requests

        return Handler
