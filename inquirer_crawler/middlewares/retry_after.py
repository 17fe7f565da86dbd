"""Retries that honour ``Retry-After`` (Scrapy ignores it: scrapy/scrapy#3849).

A 429/503 with ``Retry-After`` up to ``RETRY_AFTER_MAX`` seconds waits that long before the
retry, and holds back the host's other requests for the same time. Above the cap the crawler
does not hammer the site: no retry, the page fails with ``retry_after_too_long``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from inquirer_crawler.middlewares.pacing import HostPacing

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    max_wait: float = 120.0  # RETRY_AFTER_MAX: a longer Retry-After is not waited for

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 120.0)
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.max_wait:
            self._stat("retry_after/too_long")
            if self.crawler.stats is not None:  # how long the site asked for: fleet mode holds it (fleet/holds.py)
                self.crawler.stats.max_value("retry_after/too_long_max_seconds", wait)
            logger.warning("retry_after_too_long (%.0f s > %.0f s): %s", wait, self.max_wait, request.url)
            request.meta["failure_reason"] = "retry_after_too_long"
            return response
        if wait:
            self._stat("retry_after/waited")
            self._hold_slot(request, wait)
            await maybe_deferred_to_future(deferLater(reactor, wait))
        return self._retry(request, response_status_message(response.status)) or response

    def _hold_slot(self, request: Request, wait: float) -> None:
        """Make the host's other requests wait too (pacing.HostPacing, which must be enabled)."""
        pacing = self.crawler.get_downloader_middleware(HostPacing)
        if pacing is None:
            raise RuntimeError("RetryAfterMiddleware needs HostPacing (inquirer_crawler.middlewares.pacing) enabled")
        pacing.hold(urlparse_cached(request).netloc, wait)

    def _stat(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
