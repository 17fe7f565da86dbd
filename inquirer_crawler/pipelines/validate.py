"""Pipeline step 4: a record without title, body or publication date is dropped, with its reason counted."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from inquirer_crawler.items import ArticleItem

logger = logging.getLogger(__name__)

REQUIRED = (("title", "missing_title"), ("body", "missing_body"), ("published", "missing_published"))


def drop_reason(item: ArticleItem) -> str | None:
    for name, reason in REQUIRED:
        if not getattr(item, name):
            return reason
    return None


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and (reason := drop_reason(item)):
            if self.stats is not None:
                self.stats.inc_value(f"articles/dropped/{reason}")
            raise DropItem(f"{reason}: {item.url}", log_level="WARNING")
        return item
