"""robots.txt as RFC 9309 wants it, where Scrapy 2.19 falls short.

- A robots.txt that answers 5xx or 429 means "do not crawl" (§2.3.1.4); Scrapy reads it as
  "allow all". Here the host is not crawled this run: its pages fail as ``robots_unavailable``,
  stay pending in the cron state, and the run's verdict says why.
- ``Crawl-delay`` is parsed by Scrapy but not applied; HostPacing (pacing.py) applies it.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.unavailable: dict[str, int] = {}

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self.unavailable[netloc] = response.status
            message = f"robots.txt of {netloc} answered {response.status}: the site is not crawled this run"
            logger.error(message)
            self._stats.set_value("robots/refused", message)
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        status = self.unavailable.get(urlparse_cached(request).netloc)
        if status is not None:
            self._stats.inc_value("robotstxt/unavailable")
            raise IgnoreRequest(f"robots.txt unavailable ({status})")
        super().process_request_2(rp, request)
