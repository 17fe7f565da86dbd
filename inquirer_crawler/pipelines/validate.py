"""Pipeline step 4: a record without title, body or publication date is dropped, with its reason counted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from inquirer_crawler.items import ArticleDropped, ArticleItem, DropReason
from inquirer_crawler.pipelines.base import CrawlerPipeline

logger = logging.getLogger(__name__)

REQUIRED: tuple[tuple[str, DropReason], ...] = (
    ("title", "missing_title"), ("body", "missing_body"), ("published", "missing_published"),
)
# News published before the web was: a parsing accident ("01/01/1970"), not an article date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and time zones differ; more than a day ahead of the fetch is no real publication date.
FUTURE_MARGIN = timedelta(days=1)


def drop_reason(item: ArticleItem) -> DropReason | None:
    for name, reason in REQUIRED:
        if not getattr(item, name):
            return reason
    published = datetime.fromisoformat(str(item.published))
    fetched = datetime.fromisoformat(item.fetched_at) if item.fetched_at else datetime.now(UTC)
    if published > fetched + FUTURE_MARGIN:
        return "date_in_future"
    if published < EARLIEST:
        return "date_implausible"
    return None


class ValidatePipeline(CrawlerPipeline):
    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and (reason := drop_reason(item)):
            if self.stats is not None:
                self.stats.inc_value(f"articles/dropped/{reason}")
            raise ArticleDropped(reason, item.url)
        return item
