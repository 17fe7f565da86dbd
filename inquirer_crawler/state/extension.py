"""Scrapy extension: the run's state, the one writer of its URL outcomes, and its verdict.

``-a state=off`` runs without state; ``-a full=1`` ignores it for what to fetch but still records.
Which state a run uses (one per site and origin) is ``scope.py``'s; the debugging commands
(``scrapy parse``, ``shell``, ``check``) set ``INQUIRER_STATE_ENABLED`` off and never write one.
Components find this extension with ``crawler.get_extension(RunState)`` (``run_state``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Protocol, Self, runtime_checkable

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from inquirer_crawler.environment import setting
from inquirer_crawler.fleet.database import database_url
from inquirer_crawler.items import ArticleItem, drop_reason_of
from inquirer_crawler.spiders.arguments import CrawlOptions
from inquirer_crawler.state.lock import RunLock
from inquirer_crawler.state.outcomes import SiteDates, UrlOutcomes
from inquirer_crawler.state.postgres import open_fleet_store
from inquirer_crawler.state.scope import StateScope
from inquirer_crawler.state.sqlite import SqliteStateStore, adopt_first_format
from inquirer_crawler.state.store import Baseline, ExportedRecord, RunEnd, RunInfo, StateStore
from inquirer_crawler.state.verdict import RunFacts, Verdict, judge

logger = logging.getLogger(__name__)

# Left out of the content hash: they change without the article changing.
_VOLATILE = ("views", "comments", "fetched_at", "previous", "next", "page_hints")


def content_hash(item: ArticleItem) -> str:
    content = {k: v for k, v in vars(item).items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@runtime_checkable
class StatefulSpider(Protocol):
    """What the state needs to know of the spider: its arguments, its scope, its URL keys."""

    name: str
    options: CrawlOptions
    scope: StateScope

    def state_key(self, url: str) -> str: ...


def run_mode(options: CrawlOptions) -> str:
    """``complete`` for a crawl of the whole site, else what made the run partial."""
    partial = [
        name
        for name, value in (
            ("urls", options.urls),
            ("since", options.since),
            ("sections", options.sections),
            ("max_articles", options.max_articles),
        )
        if value
    ]
    return "+".join(partial) or "complete"


def run_state(crawler: Crawler) -> RunState:
    """The crawler's RunState; a component that needs it fails at once when it is not enabled."""
    extension = crawler.get_extension(RunState)
    if extension is None:
        raise RuntimeError("the RunState extension (inquirer_crawler.state.extension.RunState) is not enabled")
    return extension


class RunState:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: StateStore | None = None
        self.lock: RunLock | None = None
        self.facts = RunFacts()
        self.new = self.changed = 0
        self.info: RunInfo | None = None
        self.options: CrawlOptions | None = None
        self.outcomes = UrlOutcomes(lambda url: url, None)  # replaced at spider_opened
        self.site_dates = SiteDates()  # reported by the change discovery and the exports
        self.verdict: Verdict | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # The feed exporter publishes the output on spider_closed too: judge the run after it.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def exports_all(self) -> bool:
        """``-a full=1`` or ``-a urls=``: every page fetched is exported, known or not (the state
        still records it)."""
        return self.options is not None and (self.options.full or bool(self.options.urls))

    @property
    def baseline(self) -> Baseline:
        """The last complete run's baseline (empty without a state)."""
        return self.store.baseline() if self.store is not None else Baseline()

    # -- lifecycle --------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        if not isinstance(spider, StatefulSpider):
            return
        self.outcomes = UrlOutcomes(spider.state_key, None)
        self.options = spider.options
        self.info = RunInfo(spider.name, run_mode(spider.options), job=spider.options.job)
        self.facts.complete = self.info.complete
        if spider.options.state == "off" or not self.crawler.settings.getbool("INQUIRER_STATE_ENABLED", True):
            return
        dsn = database_url(self.crawler.settings)
        if dsn:  # fleet mode: the site's state on PostgreSQL, under its advisory lock (state/postgres.py)
            node = setting(self.crawler.settings, "INQUIRER_NODE") or None
            self.store = open_fleet_store(dsn, spider.scope.name, node)
            path = f"site {spider.scope.name} on the fleet database"
        else:
            template = setting(self.crawler.settings, "INQUIRER_STATE_PATH")
            file = spider.scope.path(template)
            self.lock = RunLock(file)
            self.lock.acquire()  # the crawl command took it already when run from the command line
            adopt_first_format(spider.scope.legacy_path(template, spider.name), file, spider.scope.name)
            self.store = SqliteStateStore(file, spider.scope.name)
            path = str(file)
        recovered = self.store.recover()
        if any(recovered.values()):
            logger.info("state: recovered from an interrupted run: %s", recovered)
        self.store.begin_run(self.info)
        self.outcomes = UrlOutcomes(
            spider.state_key, self.store, self.crawler.settings.getint("INQUIRER_MAX_FAILED_RUNS", 3), self._gave_up
        )
        logger.info(
            "state: %s, run mode %s (%d pending from earlier runs)", path, self.info.mode, len(self.store.pending())
        )

    def _gave_up(self, url: str, reason: str) -> None:
        """A URL failed INQUIRER_MAX_FAILED_RUNS runs in a row: failed for good, said once."""
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("urls/gave_up")
        logger.warning("gave up after %d failed runs (%s): %s", self.outcomes.max_failed_runs, reason, url)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.facts.finish_reason = reason
        ledger = self.outcomes.ledger
        if reason == "finished" and ledger.pending_keys():
            # Requested, never answered, and the crawl thinks it finished: a drop without an error
            # somewhere (a redirect off the site). Failed for this run, so that it is counted, and
            # given up after INQUIRER_MAX_FAILED_RUNS runs like any failure: never pending forever.
            unanswered = self.outcomes.unanswered()
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("pages/failed/unanswered", len(unanswered))
            logger.error("urls requested but never answered (failed this run): %s", unanswered[:20])
        counts = ledger.counts()
        if self.crawler.stats is not None:
            for name, value in counts.items():
                self.crawler.stats.set_value(f"urls/{name}", value)
        if not ledger.balanced():
            self.facts.accounting_error = f"URL accounting does not balance: {counts}"
        self.facts.discovered = counts["discovered"]

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        self.facts.articles_parsed = int(stats.get("articles/parsed", 0))
        self.facts.write_error = stats.get("feedexport/write_error") or (
            "storing the feed failed" if any(k.startswith("feedexport/failed_count") for k in stats) else None
        )
        self.facts.site_refused = stats.get("robots/refused")
        history = self.store.previous_counts() if self.store else []
        self.verdict = judge(self.facts, history)
        counts = self.counts(stats)
        if self.store is not None:
            self.store.end_run(
                RunEnd(
                    self.verdict.status,
                    self.verdict.why,
                    counts,
                    self.outcomes.ledger.states,
                    self._baseline_to_keep(self.verdict),
                )
            )
            self.store.close()
        if self.lock is not None:
            self.lock.release()
        self._log(self.verdict, counts)

    def _baseline_to_keep(self, verdict: Verdict) -> Baseline | None:
        """Only a complete crawl that finished and succeeded sets the baseline."""
        complete = self.facts.complete and self.facts.finish_reason == "finished"
        return self.site_dates.baseline() if complete and verdict.status == 0 else None

    def counts(self, stats: dict[str, Any]) -> dict[str, int]:
        return {
            "records": self.facts.exported + self.facts.unchanged,
            "with_author": self.facts.field_filled.get("author", 0),
            "with_section": self.facts.field_filled.get("section", 0),
            "exported": self.facts.exported,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.facts.unchanged,
            "failed": sum(v for k, v in stats.items() if k.startswith("pages/failed/")),
            "pending": self.store.left_pending() if self.store else 0,
        }

    @staticmethod
    def _log(verdict: Verdict, counts: dict[str, int]) -> None:
        logger.info("run: new %(new)d, changed %(changed)d, unchanged %(unchanged)d, pending %(pending)d", counts)
        if verdict.status:
            logger.error("run failed: %s", verdict.why)

    # -- events -----------------------------------------------------------------------------------

    def response_received(self, response: Response, request: Request, **_: Any) -> None:
        self.facts.responses += 1
        # robots.txt is served by the web server alone: a site whose every page answers 502 behind it
        # did not answer.
        if 200 <= response.status < 300 and urlparse_cached(request).path != "/robots.txt":
            self.facts.successes += 1

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if not isinstance(item, ArticleItem):
            return
        self.facts.exported += 1
        self._note_fields(item)
        kind = "changed" if item.page_hints.known else "new"
        if kind == "changed":
            self.changed += 1
        else:
            self.new += 1
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"articles/{kind}")
        self.site_dates.saw(item.modified or item.published)
        # The sitemap may have been read after the page: take what is known now.
        lastmod = self.outcomes.lastmods.get(self.outcomes.key(item.url))
        record = ExportedRecord(item.url, item.post_id, item.published, item.modified, content_hash(item), lastmod)
        self.outcomes.exported(item.page_hints.request_url or item.url, record)

    def item_dropped(self, item: Any, response: Response, exception: DropItem, spider: Spider) -> None:
        if not isinstance(item, ArticleItem):
            return
        reason = drop_reason_of(exception)
        self.facts.dropped[reason] = self.facts.dropped.get(reason, 0) + 1
        if reason == "unchanged":
            self.facts.unchanged += 1
            self._note_fields(item)
        self.outcomes.dropped(item.page_hints.request_url or item.url, reason)

    def item_error(self, item: Any, **_: Any) -> None:
        """A pipeline raised (a bug): failed in this run, still pending for the next one."""
        if isinstance(item, ArticleItem):
            self.outcomes.settle(item.page_hints.request_url or item.url, "failed", "error", persist=False)

    def _note_fields(self, item: ArticleItem) -> None:
        for name in ("author", "section"):
            if getattr(item, name):
                self.facts.field_filled[name] = self.facts.field_filled.get(name, 0) + 1
