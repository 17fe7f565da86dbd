"""What every pipeline step shares: built from the crawler, counting into its stats."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler


class CrawlerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)
