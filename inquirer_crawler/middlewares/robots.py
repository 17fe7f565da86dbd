"""robots.txt as RFC 9309 wants it, where Scrapy 2.19 falls short.

- A robots.txt that answers 5xx or 429 means "do not crawl" (§2.3.1.4); Scrapy reads it as
  "allow all". So does a robots.txt that cannot be reached at all (a timeout, a DNS error, a TLS
  error, a refused or lost connection, after Scrapy's retries): RFC 9309 §2.3.1.4, "unreachable",
  means complete disallow, where Scrapy leaves no parser and allows everything.
  Either way the host is not crawled this run: its pages fail as ``robots_unavailable``, stay
  pending in the cron state, and the run's verdict says why (exit 1).
- A robots.txt refused by the project's own guards (an IgnoreRequest, a non-public address) is not
  "unreachable": the host's pages are refused by the same guard, each with its own reason.
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
from twisted.python.failure import Failure

from inquirer_crawler.response.failures import NonPublicAddress, RequestRefused, failure_reason

logger = logging.getLogger(__name__)


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.unavailable: dict[str, str] = {}  # host -> what its robots.txt did ("answered 503", …)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._stop_host(netloc, f"robots.txt of {netloc} answered {response.status}", f"answered {response.status}")
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest | NonPublicAddress):
            reason = failure_reason(Failure(exc))
            self._stats.inc_value(f"robots/unreachable/{reason}")
            self._stop_host(
                netloc,
                f"the site did not answer: robots.txt of {netloc} is unreachable ({reason})",
                f"unreachable ({reason})",
            )
        super()._robots_error(exc, netloc)

    def _stop_host(self, netloc: str, message: str, what: str) -> None:
        self.unavailable[netloc] = what
        message = f"{message}: the site is not crawled this run"
        logger.error(message)
        self._stats.set_value("robots/refused", message)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        netloc = urlparse_cached(request).netloc
        what = self.unavailable.get(netloc)
        if what is not None:
            self._stats.inc_value("robotstxt/unavailable")
            raise RequestRefused("robots_unavailable", f"robots.txt of {netloc} {what}")
        super().process_request_2(rp, request)
