"""Is the response a whole HTML page? Told by the transport, not by the markup.

HTML5 lets a page end without ``</html>`` (and minifiers drop it), so the markup cannot say whether
a page arrived whole. The transport can:

- fewer bytes than ``Content-Length`` announced (Scrapy fails those with ResponseDataLossError, as
  DOWNLOAD_FAIL_ON_DATALOSS asks; with it off, Scrapy flags the response ``dataloss``);
- a compressed body whose stream did not end: Scrapy decodes the prefix of a cut gzip, deflate or
  brotli stream without an error. TransportIntegrityMiddleware looks at the stream before
  HttpCompressionMiddleware decodes it, and flags the response ``truncated``.

``unusable()`` is the article check the spider asks: not HTML, empty, or cut short.
"""

from __future__ import annotations

import zlib
from typing import Self

import brotli
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
TRUNCATED = "truncated"
_CHUNK = 65536


def is_html(response: Response) -> bool:
    """An HTML page by its Content-Type (none is taken as HTML), decoded as text."""
    content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    return isinstance(response, TextResponse) and (content_type in HTML_TYPES or not content_type)


def is_truncated(response: Response) -> bool:
    return TRUNCATED in response.flags or "dataloss" in response.flags


def unusable(response: Response) -> str | None:
    """Why an article response cannot become a record, or None."""
    if not is_html(response):
        return "non_html"
    if not response.body.strip():
        return "empty_body"
    if is_truncated(response):
        return "truncated_body"
    return None


def stream_ended(body: bytes, coding: bytes, limit: int) -> bool | None:
    """Whether a ``coding`` stream (gzip, deflate, br) ends within ``body``; None when that is not
    known: another coding, a stream that does not decode (HttpCompressionMiddleware reports it) or
    more than ``limit`` bytes of output (a bomb: HttpCompressionMiddleware drops it)."""
    try:
        if coding in (b"gzip", b"x-gzip", b"deflate"):
            return _zlib_ended(body, _GZIP_OR_ZLIB if coding != b"deflate" else 15, limit)
        if coding == b"br":
            return _brotli_ended(body, limit)
    except (zlib.error, brotli.error):
        return None
    return None


def _zlib_ended(body: bytes, wbits: int, limit: int) -> bool | None:
    """Whether the stream ends; for gzip, the last of its members (a body may hold several, which
    Scrapy decodes one after the other: a cut second member is a cut body)."""
    data, out, ended = body, 0, False
    while data:
        try:
            decompressor, size = _started(data, wbits)
        except zlib.error:
            if not ended:
                raise
            return True  # bytes after the last member that are no stream: Scrapy leaves them too
        out += size
        while decompressor.unconsumed_tail and not decompressor.eof:
            out += len(decompressor.decompress(decompressor.unconsumed_tail, _CHUNK))
            if limit and out > limit:
                return None
        if not decompressor.eof:
            return False
        ended = True
        data = decompressor.unused_data if wbits == _GZIP_OR_ZLIB else b""
    return ended


_GZIP_OR_ZLIB = 47  # zlib's wbits for "a gzip or zlib header, detected"


def _started(data: bytes, wbits: int) -> tuple[zlib._Decompress, int]:
    """A decompressor fed the start of ``data``, and the size of what it gave."""
    try:
        decompressor = zlib.decompressobj(wbits)
        return decompressor, len(decompressor.decompress(data, _CHUNK))
    except zlib.error:
        if wbits != 15:
            raise
        decompressor = zlib.decompressobj(-15)  # raw deflate, as some servers send it
        return decompressor, len(decompressor.decompress(data, _CHUNK))


def _brotli_ended(body: bytes, limit: int) -> bool | None:
    decompressor = brotli.Decompressor()
    out = len(decompressor.process(body, output_buffer_limit=_CHUNK))
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
        if not chunk:
            return False  # the input is used up and the stream has not ended
        out += len(chunk)
        if limit and out > limit:
            return None
    return True


class TransportIntegrityMiddleware:
    """Downloader middleware (above HttpCompressionMiddleware's 590, so it sees the body as sent):
    flags a response whose body is shorter than its Content-Length or whose compressed stream did
    not end, and counts it ``responses/truncated``."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.method == "HEAD" or response.status in (204, 304) or TRUNCATED in response.flags:
            return response
        # Codings are listed in the order they were applied ("gzip, gzip"): the last is the stream sent.
        codings = [c.strip() for c in (response.headers.get(b"Content-Encoding") or b"").lower().split(b",")]
        coding = next((c for c in reversed(codings) if c and c != b"identity"), b"")
        if self._cut(response, coding):
            response.flags.append(TRUNCATED)
            if self.stats is not None:
                self.stats.inc_value("responses/truncated")
        return response

    def _cut(self, response: Response, coding: bytes) -> bool:
        length = response.headers.get(b"Content-Length")
        if length is not None and length.strip().isdigit() and len(response.body) < int(length):
            return True
        return bool(coding and response.body and stream_ended(response.body, coding, self.limit) is False)
