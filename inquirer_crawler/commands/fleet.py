"""``scrapy fleet ACTION``: the fleet's database, its sites and their schedule (README "Fleet").

    scrapy fleet setup                                     create the tables (idempotent)
    scrapy fleet add URL [--spider S] [--interval 1h] [--group G]
    scrapy fleet add --file sites.txt [--spider S] [--interval 1h]
    scrapy fleet tick                                      queue every due site (cron, any node)
    scrapy fleet status [--json]
    scrapy fleet backfill SITE [--full]                    queue one run now
    scrapy fleet pause SITE  /  scrapy fleet resume SITE

SITE is a site's name (its host), start URL or id. The database is INQUIRER_DATABASE_URL (the
environment, or ``-s``). Exit status: 0 done; 2 a wrong argument (one line on stderr); 75 the
database cannot be reached (cron tries again at the next tick).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from inquirer_crawler.fleet import schedule
from inquirer_crawler.fleet.database import FleetUnavailable, connect, database_url, set_up
from inquirer_crawler.fleet.sites import SiteSpec, SiteSpecError, add_sites, find_site, read_sites_file
from inquirer_crawler.fleet.status import as_json, as_table, fleet_status

EXIT_BAD_ARGUMENT = 2
EXIT_UNAVAILABLE = 75


class UsageError(ValueError):
    """A wrong action or argument; one line."""


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "setup | add URL | add --file F | tick | status [--json] | backfill SITE [--full] | pause SITE | resume SITE"

    def short_desc(self) -> str:
        return "Fleet mode: the shared database, its sites, the tick that queues due runs, their status"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--spider", default="newspaper", help="add: the spider that crawls the site(s)")
        parser.add_argument("--interval", default="1h", help="add: how often (3600, 30m, 1h, 1d)")
        parser.add_argument("--group", default=None, help="add: sites of one group never run at the same time")
        parser.add_argument("--file", type=Path, default=None, help="add: a file of start URLs (README)")
        parser.add_argument("--json", action="store_true", help="status: JSON instead of a table")
        parser.add_argument("--full", action="store_true", help="backfill: fetch every article again (-a full=1)")
        parser.add_argument("--project", default=schedule.DEFAULT_PROJECT, help="the Scrapyd project of the jobs")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        actions: dict[str, Callable[[Any, list[str], argparse.Namespace], str]] = {
            "setup": self._setup,
            "add": self._add,
            "tick": self._tick,
            "status": self._status,
            "backfill": self._backfill,
            "pause": self._pause,
            "resume": self._resume,
        }
        try:
            if not args or args[0] not in actions:
                raise UsageError(f"give an action: {', '.join(actions)}")
            dsn = database_url(self.settings)
            if not dsn:
                raise UsageError("no fleet database: set INQUIRER_DATABASE_URL=postgresql://…")
            with connect(dsn, autocommit=True) as db:
                output = actions[args[0]](db, args[1:], opts)
        except (UsageError, SiteSpecError, schedule.ScheduleError) as error:
            self._fail(EXIT_BAD_ARGUMENT, f"error: {error}")
            return
        except FleetUnavailable as error:
            self._fail(EXIT_UNAVAILABLE, f"error: {error}")
            return
        if output:
            print(output)

    def _fail(self, status: int, message: str) -> None:
        print(message, file=sys.stderr)
        self.exitcode = status

    # -- actions -----------------------------------------------------------------------------------

    def _setup(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        _no_more(args)
        set_up(db)
        return "fleet: the database is set up"

    def _add(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        spiders = self._spiders()
        if opts.file is not None:
            _no_more(args)
            if not opts.file.is_file():
                raise UsageError(f"--file: {str(opts.file)!r} does not exist")
            defaults = {"spider": opts.spider, "interval": opts.interval, "group": opts.group}
            specs = read_sites_file(opts.file, defaults, spiders)
        elif len(args) == 1:
            specs = [SiteSpec.build(args[0], opts.spider, opts.interval, opts.group, spiders)]
        else:
            raise UsageError("add: give one start URL, or --file FILE")
        added, updated = add_sites(db, specs)
        return f"fleet: {added} site(s) added, {updated} updated"

    def _tick(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        _no_more(args)
        return schedule.tick(db, opts.project).line()

    def _status(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        _no_more(args)
        rows = fleet_status(db)
        return json.dumps(as_json(rows), indent=1) if opts.json else as_table(rows)

    def _backfill(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        site_id, name = _site(db, args)
        job = schedule.backfill(db, site_id, opts.project, full=opts.full)
        return f"fleet: {name} queued now (job {job})"

    def _pause(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        site_id, name = _site(db, args)
        withdrawn = schedule.pause(db, site_id)
        return f"fleet: {name} paused" + (" (its queued job withdrawn)" if withdrawn else "")

    def _resume(self, db: Any, args: list[str], opts: argparse.Namespace) -> str:
        site_id, name = _site(db, args)
        schedule.pause(db, site_id, paused=False)
        return f"fleet: {name} resumed"

    def _spiders(self) -> list[str]:
        assert self.crawler_process is not None
        return list(self.crawler_process.spider_loader.list())


def _no_more(args: list[str]) -> None:
    if args:
        raise UsageError(f"unexpected argument {args[0]!r}")


def _site(db: Any, args: list[str]) -> tuple[int, str]:
    if len(args) != 1:
        raise UsageError("give one site: its name, start URL or id")
    site = find_site(db, args[0])
    if site is None:
        raise UsageError(f"no site {args[0]!r} in the fleet (scrapy fleet status lists them)")
    return site
