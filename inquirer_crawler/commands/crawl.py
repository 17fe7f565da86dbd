"""``scrapy crawl`` for cron: arguments checked and the state locked before the engine starts,
and an exit status that tells the truth.

- a wrong ``-a`` argument, or a state file that belongs to another site: one line on stderr,
  exit 2 (Scrapy would print a traceback, exit 0);
- another run holds the state's lock, or the fleet database cannot be reached: one line, exit 75
  (EX_TEMPFAIL: try again later);
- the run failed (site silent, every article dropped, layout drift, output not written): one line
  on stderr saying why, exit 1. A run with nothing new, or with some failed pages, exits 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from inquirer_crawler.environment import setting
from inquirer_crawler.fleet.database import FleetUnavailable, database_url
from inquirer_crawler.fleet.lock import SiteLock
from inquirer_crawler.spiders.arguments import CrawlOptions, SpiderArgumentError
from inquirer_crawler.state.extension import run_state
from inquirer_crawler.state.lock import RunLock, StateLocked
from inquirer_crawler.state.postgres import FleetSiteUnknown, fleet_lock
from inquirer_crawler.state.scope import ScopeError
from inquirer_crawler.state.sqlite import check_owner

EXIT_BAD_ARGUMENT = 2
EXIT_LOCKED = 75


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        spider_class: Any = self.crawler_process.spider_loader.load(args[0])
        lock: RunLock | SiteLock | None = None
        try:
            if hasattr(spider_class, "check_arguments"):
                spider_class.check_arguments(**opts.spargs)
                lock = self._lock(spider_class, opts.spargs)
        except (SpiderArgumentError, ScopeError, FleetSiteUnknown) as error:
            self._fail(EXIT_BAD_ARGUMENT, f"error: {error}")
            return
        except (StateLocked, FleetUnavailable) as error:
            self._fail(EXIT_LOCKED, f"error: {error}")
            return
        try:
            self._crawl(args[0], opts)
        finally:
            if lock is not None:
                lock.release()

    def _lock(self, spider_class: Any, spargs: dict[str, Any]) -> RunLock | SiteLock | None:
        """The lock of the run's state (one per site and origin), taken before the engine starts:
        in fleet mode the site's advisory lock (exit 75 too when the database cannot be reached)."""
        options = CrawlOptions.parse(spider_class.bound_site, spargs)
        if options.state == "off":
            return None
        scope = spider_class.state_scope(options)
        assert self.settings is not None  # Scrapy sets a command's settings before it runs
        dsn = database_url(self.settings)
        if dsn:
            site_lock = fleet_lock(dsn, scope.name, options.start, setting(self.settings, "INQUIRER_NODE") or None)
            site_lock.acquire()
            return site_lock
        path = scope.path(setting(self.settings, "INQUIRER_STATE_PATH"))
        lock = RunLock(path)
        lock.acquire()
        try:
            check_owner(path, scope.name)
        except ScopeError:
            lock.release()
            raise
        return lock

    def _crawl(self, spider_name: str, opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        if not self.settings.getdict("FEEDS"):
            # One file per run, so cron keeps history without -o/-O juggling. A worker's Scrapyd
            # passes its environment to every job: INQUIRER_OUTPUT there names the shared folder.
            output = {setting(self.settings, "INQUIRER_OUTPUT"): {"format": "jsonlines", "store_empty": False}}
            self.settings.set("FEEDS", output, priority="cmdline")
        crawler = self._create_crawler(spider_name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        verdict = run_state(crawler).verdict
        if verdict is not None and verdict.status:
            self._fail(verdict.status, f"error: run failed: {verdict.why}")

    def _fail(self, status: int, message: str) -> None:
        print(message, file=sys.stderr)
        self.exitcode = status
