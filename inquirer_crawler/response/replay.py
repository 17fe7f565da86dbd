"""Offline replay: answer every request from a folder laid out as ``wget --mirror`` saves a site.

``https://host/a/b/`` -> ``DIR/host/a/b/index.html``; ``https://host/a/b`` -> ``DIR/host/a/b``;
a query string is appended to the file name (``DIR/host/a/index.html?page=2``). A missing file is
a 404. With replay on, no request ever reaches the network: the middleware answers all of them.
Each answer is dated (``Date``) by the file's modification time, the replay's clock (``saved_at``).
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse


def mirror_path(root: Path, url: str) -> Path | None:
    """Where ``wget --mirror`` keeps ``url`` under ``root``; None if the URL would leave ``root``."""
    parts = urlsplit(url)
    path = unquote(parts.path) or "/"
    relative = (path + "index.html" if path.endswith("/") else path).lstrip("/")
    if parts.query:
        relative += "?" + parts.query
    host_dir = (root / parts.netloc).resolve()
    candidate = (host_dir / relative).resolve()
    # A crafted URL (/../../etc/passwd, a host of "..") must not read outside the host's folder.
    inside = host_dir.parent == root.resolve() and candidate.is_relative_to(host_dir)
    return candidate if inside else None


def content_type(path: Path, body: bytes) -> str:
    guessed, _ = mimetypes.guess_type(path.name.split("?")[0])
    if guessed:
        return guessed
    return "text/html" if body.lstrip()[:1] == b"<" else "application/octet-stream"


def replay_response(root: Path, request: Request) -> Response:
    path = mirror_path(root, request.url)
    if path is None or not path.is_file():
        return HtmlResponse(request.url, status=404, body=b"", request=request)
    body = path.read_bytes()
    mime = content_type(path, body)
    # The page's Date is when it was saved: wget --mirror sets the file's time from Last-Modified.
    saved = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    headers = {"Content-Type": mime, "Date": format_datetime(saved, usegmt=True)}
    response_class: type[Response] = Response
    if mime in ("text/html", "application/xhtml+xml"):
        response_class = HtmlResponse
    elif mime.endswith("xml"):
        response_class = XmlResponse
    elif mime.startswith("text/"):
        response_class = TextResponse
    return response_class(request.url, status=200, headers=headers, body=body, request=request)


def saved_at(response: Response) -> datetime | None:
    """When a replayed page was saved (its ``Date``), the replay's clock: relative dates and
    ``fetched_at`` are read from it, so that replaying a folder twice gives the same records."""
    header = response.headers.get(b"Date")
    if not header:
        return None
    try:
        return parsedate_to_datetime(header.decode("latin-1")).astimezone(UTC)
    except (TypeError, ValueError):
        return None


class ReplayMiddleware:
    """Downloader middleware; on when the spider has a ``replay_dir`` (``-a replay=DIR``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        replay_dir: Path | None = getattr(self.crawler.spider, "replay_dir", None)
        if replay_dir is None:
            return None
        return replay_response(replay_dir, request)
