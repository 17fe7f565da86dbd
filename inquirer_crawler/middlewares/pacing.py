"""Per-host pacing that Scrapy leaves to us: robots.txt ``Crawl-delay`` and ``Retry-After`` holds.

Each request to a host takes the next free moment of that host (atomic: the reactor runs one
callback at a time), so with a 2 s Crawl-delay two requests are always at least 2 s apart,
whatever AutoThrottle does to the download slot. ``hold()`` keeps every request of a host back
for a while (Retry-After).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


class HostPacing:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("INQUIRER_MAX_CRAWL_DELAY", 30.0)
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or "*"
        self.interval: dict[str, float] = {}
        self.next_free: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request, **_: Any) -> None:
        delay = robotparser.crawl_delay(self.user_agent) if robotparser is not None else None
        if delay:
            netloc = urlparse_cached(request).netloc
            self.interval[netloc] = min(float(delay), self.max_delay)
            logger.info("Crawl-delay %.1f s for %s (capped at %.0f s)", delay, netloc, self.max_delay)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(f"pacing/crawl_delay/{netloc}", self.interval[netloc])

    def hold(self, netloc: str, seconds: float) -> None:
        self.next_free[netloc] = max(self.next_free.get(netloc, 0.0), time.monotonic() + seconds)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return  # robots.txt itself
        netloc = urlparse_cached(request).netloc
        now = time.monotonic()
        start = max(now, self.next_free.get(netloc, 0.0))
        interval = self.interval.get(netloc, 0.0)
        if interval or start > now:
            self.next_free[netloc] = start + interval
        if start > now:
            await maybe_deferred_to_future(deferLater(reactor, start - now))
        return
