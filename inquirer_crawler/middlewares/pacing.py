"""Per-host pacing that Scrapy leaves to us: robots.txt ``Crawl-delay`` and ``Retry-After`` holds.

Each request to a host takes the next free moment of that host (atomic: the reactor runs one
callback at a time), and when it wakes it waits again if the host's previous request went later
than planned (a busy reactor fires timers late): so with a 2 s Crawl-delay two requests are always
at least 2 s apart, whatever AutoThrottle does to the download slot. ``hold()`` keeps every
request of a host back for a while (Retry-After). The arithmetic is ``HostClock``'s, tested from
plain numbers; the middleware only sleeps what it says.
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


class HostClock:
    """When each host's next request may go, in seconds of a monotonic clock."""

    def __init__(self) -> None:
        self.interval: dict[str, float] = {}  # the host's Crawl-delay
        self.next_free: dict[str, float] = {}  # the first moment not yet given to a request
        self.last_sent: dict[str, float] = {}  # when the host's last request actually went

    def reserve(self, netloc: str, now: float) -> float:
        """Book the host's next free moment for a request: how long it waits for it."""
        start = max(now, self.next_free.get(netloc, 0.0))
        interval = self.interval.get(netloc, 0.0)
        if interval or start > now:
            self.next_free[netloc] = start + interval
        return start - now

    def going(self, netloc: str, now: float) -> float:
        """A request woke at ``now`` for its moment: how much longer it waits because the host's
        previous request went later than booked (0: it goes now, and that is recorded)."""
        interval = self.interval.get(netloc, 0.0)
        if not interval:
            return 0.0
        last = self.last_sent.get(netloc)
        if last is not None and last + interval > now:
            return last + interval - now
        self.last_sent[netloc] = now
        self.next_free[netloc] = max(self.next_free.get(netloc, 0.0), now + interval)
        return 0.0

    def hold(self, netloc: str, until: float) -> None:
        self.next_free[netloc] = max(self.next_free.get(netloc, 0.0), until)


class HostPacing:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("INQUIRER_MAX_CRAWL_DELAY", 30.0)
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or "*"
        self.clock = HostClock()
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request, **_: Any) -> None:
        delay = robotparser.crawl_delay(self.user_agent) if robotparser is not None else None
        if delay:
            netloc = urlparse_cached(request).netloc
            self.clock.interval[netloc] = min(float(delay), self.max_delay)
            logger.info("Crawl-delay %.1f s for %s (capped at %.0f s)", delay, netloc, self.max_delay)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(f"pacing/crawl_delay/{netloc}", self.clock.interval[netloc])

    def hold(self, netloc: str, seconds: float) -> None:
        self.clock.hold(netloc, time.monotonic() + seconds)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return  # robots.txt itself
        netloc = urlparse_cached(request).netloc
        wait = self.clock.reserve(netloc, time.monotonic())
        while True:
            if wait > 0:
                await maybe_deferred_to_future(deferLater(reactor, wait))
            wait = self.clock.going(netloc, time.monotonic())
            if wait <= 0:
                return
