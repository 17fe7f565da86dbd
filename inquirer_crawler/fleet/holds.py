"""A site that asked to be left alone is not queued again until it said it could be.

Two answers hold a site in fleet mode: a ``Retry-After`` beyond ``RETRY_AFTER_MAX`` (held for as
long as it asked), and a robots.txt answering 5xx, which RFC 9309 §2.3.1.4 says to take as "crawl
nothing" (held ``INQUIRER_FLEET_ROBOTS_HOLD`` seconds). The tick skips a held site (schedule.py).

Its ``engine_stopped`` handler runs before the state extension's (a lower EXTENSIONS number
connects first), so the hold is written while the run still holds its site's lock: no tick can
slip in between the run's end and its hold.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from inquirer_crawler.fleet.database import database_url
from inquirer_crawler.state.extension import RunState
from inquirer_crawler.state.postgres import PostgresStore

logger = logging.getLogger(__name__)


class SiteHolds:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.robots_hold = crawler.settings.getfloat("INQUIRER_FLEET_ROBOTS_HOLD", 3600.0)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not database_url(crawler.settings):
            raise NotConfigured("no fleet database")
        return cls(crawler)

    def holds(self) -> list[tuple[float, str]]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        found = []
        if wait := stats.get("retry_after/too_long_max_seconds"):
            found.append((float(wait), f"Retry-After {wait:.0f} s beyond RETRY_AFTER_MAX"))
        if refused := stats.get("robots/refused"):
            found.append((self.robots_hold, str(refused)))
        return found

    def engine_stopped(self) -> None:
        extension = self.crawler.get_extension(RunState)
        store = extension.store if extension is not None else None
        if not isinstance(store, PostgresStore):
            return
        for seconds, reason in self.holds():
            logger.warning("fleet: site %s held for %.0f s: %s", store.site.name, seconds, reason)
            store.hold(seconds, reason)
