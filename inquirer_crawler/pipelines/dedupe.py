"""Pipeline step 5: each article once.

Within a run: the same article (canonical URL or post id) reached twice is exported once.
Across cron runs: an article the state has already exported with the same content is dropped as
``unchanged``; with different content it is exported again (and counted as changed). A run that
exports every page it fetches (``-a full=1``, ``-a urls=``) skips that comparison.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from inquirer_crawler.discovery.urls import url_key
from inquirer_crawler.items import ArticleDropped, ArticleItem, DropReason
from inquirer_crawler.pipelines.base import CrawlerPipeline
from inquirer_crawler.state.extension import content_hash, run_state


class DedupePipeline(CrawlerPipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()
        self.run = run_state(crawler)  # without the run's state, cross-run dedupe cannot work: fail now

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        keys = {url_key(item.url)}
        if item.post_id is not None:
            keys.add(f"{item.site}#post-{item.post_id}")
        if keys & self.seen:
            self._drop("duplicate", item)
        self.seen |= keys
        self._compare_with_earlier_runs(item)
        return item

    def _compare_with_earlier_runs(self, item: ArticleItem) -> None:
        if self.run.store is None or self.run.exports_all:
            return
        known = self.run.store.known(self.run.outcomes.key(item.url))
        if known is None:
            return
        if known.content_hash == content_hash(item):
            # Not a loss: the earlier run's record stands. Counted apart from the drops.
            self._drop("unchanged", item, stat="articles/unchanged", level="DEBUG")
        item.page_hints.known = True

    def _drop(self, reason: DropReason, item: ArticleItem, stat: str | None = None, level: str = "INFO") -> None:
        if self.stats is not None:
            self.stats.inc_value(stat or f"articles/dropped/{reason}")
        raise ArticleDropped(reason, item.url, log_level=level)
