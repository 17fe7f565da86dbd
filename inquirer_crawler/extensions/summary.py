"""One INFO line at the end of every crawl: exported, dropped by reason, failed by status or error."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Stats prefixes, in the order the summary prints them.
GROUPS = (
    ("dropped", "articles/dropped/"),
    ("skipped", "articles/skipped/"),
    ("failed", "pages/failed/"),
    ("links skipped", "links/skipped/"),
    ("listings ended", "listings/ended/"),
)


def summary_line(stats: dict[str, Any], reason: str) -> str:
    exported = (
        f"exported {stats.get('item_scraped_count', 0)} (new {stats.get('articles/new', 0)},"
        f" changed {stats.get('articles/changed', 0)}); unchanged {stats.get('articles/unchanged', 0)}"
    )
    parts = [exported]
    for label, prefix in GROUPS:
        counts = {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}
        total = sum(counts.values())
        detail = ", ".join(f"{k}={v}" for k, v in counts.items())
        parts.append(f"{label} {total}" + (f" ({detail})" if detail else ""))
    parts.append(f"pages fetched {stats.get('response_received_count', 0)}")
    if "urls/discovered" in stats:
        parts.append(
            "article urls: discovered {d} = exported {e} + failed {f} + skipped {s} + pending {p}".format(
                d=stats["urls/discovered"],
                e=stats.get("urls/exported", 0),
                f=stats.get("urls/failed", 0),
                s=stats.get("urls/skipped", 0),
                p=stats.get("urls/pending", 0),
            )
        )
    return f"crawl summary: {'; '.join(parts)}; finish reason {reason}"


class CrawlSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        logger.info(summary_line(self.crawler.stats.get_stats(), reason))
