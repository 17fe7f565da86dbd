"""Pipeline step 5: an article reached twice in one run (same canonical URL or post id) is exported once."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from inquirer_crawler.items import ArticleItem
from inquirer_crawler.urls import url_key


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        keys = {url_key(item.url)}
        if item.post_id is not None:
            keys.add(f"{item.site}#post-{item.post_id}")
        if keys & self.seen:
            if self.stats is not None:
                self.stats.inc_value("articles/dropped/duplicate")
            raise DropItem(f"duplicate: {item.url}", log_level="INFO")
        self.seen |= keys
        return item
