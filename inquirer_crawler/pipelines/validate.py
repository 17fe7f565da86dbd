"""Pipeline step 4: a record without title, body or publication date is dropped, with its reason
counted; so is a record that does not match schema/article.schema.json (``schema_invalid``), checked
here at run time by a compiled validator, so that no record a consumer would reject is exported."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from inquirer_crawler.items import EXPORT_FIELDS, ArticleDropped, ArticleItem, DropReason
from inquirer_crawler.pipelines.base import CrawlerPipeline

logger = logging.getLogger(__name__)

REQUIRED: tuple[tuple[str, DropReason], ...] = (
    ("title", "missing_title"),
    ("body", "missing_body"),
    ("published", "missing_published"),
)
# News published before the web was: a parsing accident ("01/01/1970"), not an article date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and time zones differ; more than a day ahead of the fetch is no real publication date.
FUTURE_MARGIN = timedelta(days=1)


SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "article.schema.json"

# The schema's one check that scans a whole body: body_html must not match this pattern. Python's
# regex engine tries it at every whitespace of the body (~0.4 ms a record, 8 % of the extraction
# budget), so it is checked as two searches that each start with a literal, which the engine finds
# in C: the tag branch forward, the attribute branches on the reversed HTML (regular expressions of
# single characters read the same reversed; tests/test_bad_input.py checks that the answers are the
# schema pattern's on random strings and on the fixtures).
BODY_HTML_FORBIDDEN = r"(?i)<(script|style|iframe|div|span)\b|\son\w+\s*=|\sclass\s*="
_FORBIDDEN_TAG = re.compile(r"(?i)<(?:script|style|iframe|div|span)\b")
_FORBIDDEN_ATTRIBUTE_REVERSED = re.compile(r"(?i)=\s*(?:\w+no|ssalc)\s")


def forbidden_markup(html: str) -> bool:
    """``re.search(BODY_HTML_FORBIDDEN, html)`` is not None, ten times faster."""
    return _FORBIDDEN_TAG.search(html) is not None or _FORBIDDEN_ATTRIBUTE_REVERSED.search(html[::-1]) is not None


@cache
def record_validator() -> Any:
    """The record schema compiled to Python once (~0.2 s), then ~0.1 ms a record; body_html's
    forbidden markup is left to ``forbidden_markup``."""
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    body_html = schema["properties"]["body_html"]
    if body_html.pop("not") != {"pattern": BODY_HTML_FORBIDDEN}:
        raise RuntimeError(f"{SCHEMA_PATH}: body_html's forbidden pattern changed; update pipelines/validate.py")
    return fastjsonschema.compile(schema)


def record_error(record: dict[str, Any]) -> str | None:
    """What makes an exported record invalid against the schema, or None."""
    try:
        record_validator()(record)
    except fastjsonschema.JsonSchemaValueException as error:
        return str(error.message)
    if isinstance(record.get("body_html"), str) and forbidden_markup(record["body_html"]):
        return "data.body_html must not contain a script, style, iframe, div or span tag, an on… or class attribute"
    return None


def schema_error(item: ArticleItem) -> str | None:
    """What makes the record as exported (its EXPORT_FIELDS) invalid, or None."""
    return record_error({name: getattr(item, name) for name in EXPORT_FIELDS})


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
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        record_validator()  # compiled at start-up, not on the first record

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if reason := drop_reason(item):
            self._drop(reason, item)
        if error := schema_error(item):
            self._drop("schema_invalid", item, error)
        return item

    def _drop(self, reason: DropReason, item: ArticleItem, detail: str = "") -> None:
        if self.stats is not None:
            self.stats.inc_value(f"articles/dropped/{reason}")
        raise ArticleDropped(reason, item.url, detail)
