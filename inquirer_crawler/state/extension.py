"""Scrapy extension: the run's state, its ledger of URLs, and its verdict for the exit status.

``-a state=off`` runs without state; ``-a full=1`` ignores it for what to fetch but still records.
The state file is ``.state/<spider>.sqlite`` unless the ``INQUIRER_STATE_PATH`` environment
variable or setting names another (``{spider}`` in it is replaced by the spider's name).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response

from inquirer_crawler.items import ArticleItem, drop_reason_of
from inquirer_crawler.state.lock import RunLock
from inquirer_crawler.state.store import StateStore
from inquirer_crawler.state.verdict import RunFacts, Verdict, judge

logger = logging.getLogger(__name__)

# Left out of the content hash: they change without the article changing.
_VOLATILE = ("views", "comments", "fetched_at", "previous", "next", "page_hints")


def state_path(spider_name: str, settings_value: str | None) -> Path:
    template = os.environ.get("INQUIRER_STATE_PATH") or settings_value or ".state/{spider}.sqlite"
    return Path(template.replace("{spider}", spider_name))


def content_hash(item: ArticleItem) -> str:
    content = {k: v for k, v in vars(item).items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class RunState:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: StateStore | None = None
        self.lock: RunLock | None = None
        self.facts = RunFacts()
        self.new = self.changed = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # The feed exporter publishes the output on spider_closed too: judge the run after it.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.inquirer_run = extension  # type: ignore[attr-defined]
        return extension

    # -- lifecycle --------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        mode = getattr(getattr(spider, "options", None), "state", "on")
        if mode == "off":
            return
        path = state_path(spider.name, self.crawler.settings.get("INQUIRER_STATE_PATH"))
        self.lock = RunLock(path)
        self.lock.acquire()  # the crawl command took it already when run from the command line
        self.store = StateStore(path)
        recovered = self.store.recover()
        if any(recovered.values()):
            logger.info("state: recovered from an interrupted run: %s", recovered)
        self.store.begin_run(spider.name)
        self.crawler.inquirer_state = self.store  # type: ignore[attr-defined]
        logger.info("state: %s (%d pending from earlier runs)", path, len(self.store.pending()))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.facts.finish_reason = reason
        ledger = getattr(spider, "ledger", None)
        if ledger is not None and self.store is not None:
            self.store.record_ledger(ledger.states)
        if ledger is not None and self.crawler.stats is not None:
            for name, value in ledger.counts().items():
                self.crawler.stats.set_value(f"urls/{name}", value)
            if not ledger.balanced():
                self.facts.accounting_error = f"URL accounting does not balance: {ledger.counts()}"
            if reason == "finished" and ledger.pending_keys():
                # Requested, never answered, and the crawl thinks it finished: a silent drop somewhere.
                logger.error("urls requested but never answered: %s", ledger.pending_keys()[:20])

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        self.facts.articles_parsed = int(stats.get("articles/parsed", 0))
        self.facts.write_error = stats.get("feedexport/write_error") or (
            "storing the feed failed" if any(k.startswith("feedexport/failed_count") for k in stats) else None
        )
        self.facts.site_refused = stats.get("robots/refused")
        history = self.store.previous_counts() if self.store else []
        verdict = judge(self.facts, history)
        self.crawler.inquirer_verdict = verdict  # type: ignore[attr-defined]
        counts = self.counts(stats)
        if self.store is not None:
            self.store.end_run(verdict.status, verdict.why, counts)
            self.store.close()
        if self.lock is not None:
            self.lock.release()
        self._log(verdict, counts)

    def counts(self, stats: dict[str, Any]) -> dict[str, int]:
        ledger = self.store.ledger_counts() if self.store else {}
        return {
            "records": self.facts.exported + self.facts.unchanged,
            "with_author": self.facts.field_filled.get("author", 0),
            "with_section": self.facts.field_filled.get("section", 0),
            "exported": self.facts.exported,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.facts.unchanged,
            "failed": sum(v for k, v in stats.items() if k.startswith("pages/failed/")),
            "pending": ledger.get("pending", 0),
        }

    @staticmethod
    def _log(verdict: Verdict, counts: dict[str, int]) -> None:
        logger.info("run: new %(new)d, changed %(changed)d, unchanged %(unchanged)d, pending %(pending)d", counts)
        if verdict.status:
            logger.error("run failed: %s", verdict.why)

    # -- events -----------------------------------------------------------------------------------

    def response_received(self, response: Response, **_: Any) -> None:
        self.facts.responses += 1
        if 200 <= response.status < 300:
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
        if self.store is not None:
            key = spider.state_key(item.url)  # type: ignore[attr-defined]
            record = {
                "url": item.url,
                "post_id": item.post_id,
                "published": item.published,
                "modified": item.modified,
                "content_hash": content_hash(item),
                # The sitemap may have been read after the page: take what is known now.
                "lastmod": getattr(spider, "lastmods", {}).get(key),
            }
            self.store.stage(key, item.url, record)
            self._settle_request(spider, item, key)

    def item_dropped(self, item: Any, response: Response, exception: DropItem, spider: Spider) -> None:
        if not isinstance(item, ArticleItem):
            return
        reason = drop_reason_of(exception)
        self.facts.dropped[reason] = self.facts.dropped.get(reason, 0) + 1
        if reason == "unchanged":
            self.facts.unchanged += 1
            self._note_fields(item)
        if self.store is not None:
            state = "skipped" if reason in ("unchanged", "duplicate") else "failed"
            key = item.page_hints.request_key or spider.state_key(item.url)  # type: ignore[attr-defined]
            self.store.mark(key, item.page_hints.request_url or item.url, state, reason)

    def _settle_request(self, spider: Spider, item: ArticleItem, key: str) -> None:
        """The request that found this article may have had another URL (tracking, shortlink)."""
        request_key = item.page_hints.request_key
        if self.store is not None and request_key and request_key != key:
            self.store.mark(request_key, item.page_hints.request_url, "skipped", "alias_of_canonical")

    def _note_fields(self, item: ArticleItem) -> None:
        for name in ("author", "section"):
            if getattr(item, name):
                self.facts.field_filled[name] = self.facts.field_filled.get(name, 0) + 1
