"""Scrapy's own HTTP download handler, logging the moment the crawler hands it each request.

The politeness tests measure the crawler's spacing here, where the crawler decides to send, and
not at the test server's arrival time: the server's clock reading waits for its thread to accept
the connection and parse the request line, which a loaded machine delays by tens of ms for one
request and not the next, so arrival gaps would shrink or grow by noise the crawler cannot control.
The test server still records what arrived; the tests check that both saw the same requests.

    -s DOWNLOAD_HANDLERS={"http": "tests.send_log.LoggedHTTPDownloadHandler"} -s TESTS_SEND_LOG=PATH

Each line of PATH: ``<time.monotonic()> <url>`` (the monotonic clock is the machine's, the same
in every process).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response

HANDLERS = '{"http": "tests.send_log.LoggedHTTPDownloadHandler"}'


class LoggedHTTPDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        path = crawler.settings.get("TESTS_SEND_LOG")
        if not path:
            raise ValueError("TESTS_SEND_LOG names no file to log the requests to")
        self._log = Path(path)

    async def download_request(self, request: Request) -> Response:
        with self._log.open("a", encoding="utf-8") as log:  # one short append: whole lines across processes
            log.write(f"{time.monotonic():.6f} {request.url}\n")
        return await super().download_request(request)


def read_send_log(path: Path) -> list[tuple[float, str]]:
    """(monotonic time, URL) of every request sent, in the order sent."""
    return [
        (float(moment), url) for moment, url in (line.split(" ", 1) for line in path.read_text("utf-8").splitlines())
    ]


def path_of(url: str) -> str:
    """The path and query of a URL, as the test server records a request."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
