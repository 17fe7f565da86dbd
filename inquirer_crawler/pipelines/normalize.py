"""Pipeline step 3: one form for every value: clean text, canonical URLs, ISO 8601 dates with offset."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from inquirer_crawler.discovery.urls import clean_url
from inquirer_crawler.items import ArticleItem, Link
from inquirer_crawler.pages.dates import parse_iso, to_iso
from inquirer_crawler.pages.text import clean_text
from inquirer_crawler.pipelines.base import CrawlerPipeline
from inquirer_crawler.sites import bare_host, site_for_host

_TEXT_FIELDS = ("title", "subtitle", "author", "section", "summary")
# A character reference left in a text once the page was parsed: the site escaped it twice
# ("News &amp;#038; Analysis" in the HTML is "News &#038; Analysis" as text).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode_entities_once(value: str | None) -> str | None:
    """Character references still in a text value, decoded exactly once: "&#038;" -> "&", and
    "&amp;amp;" -> "&amp;" (a third escape stays one). Text without one is returned as it is."""
    if not value or "&" not in value:
        return value
    return _ENTITY.sub(lambda match: html.unescape(match.group()), value)


def _text(value: str | None) -> str:
    return clean_text(decode_entities_once(value))


def _link(link: Link | None, base: str) -> Link | None:
    if not link or not link.get("url"):
        return None
    return {"url": clean_url(link["url"], base=base), "title": _text(link.get("title"))}


def normalize(item: ArticleItem) -> ArticleItem:
    base = item.page_hints.base_url or item.url
    item.url = clean_url(item.url, base=base)
    item.site = bare_host(urlsplit(item.url).netloc)
    tz = site_for_host(item.page_hints.site or item.site).timezone
    for name in _TEXT_FIELDS:
        setattr(item, name, _text(getattr(item, name)) or None)
    item.categories = list(dict.fromkeys(t for t in map(_text, item.categories) if t))
    item.tags = list(dict.fromkeys(t for t in map(_text, item.tags) if t))
    item.language = (clean_text(item.language).lower().replace("_", "-").split("-")[0]) or None
    item.published = to_iso(parse_iso(item.published, tz))
    item.modified = to_iso(parse_iso(item.modified, tz))
    if item.author_url:
        item.author_url = clean_url(item.author_url, base=base)
    if item.image:
        item.image = {
            "url": clean_url(item.image["url"], base=base),
            "caption": _text(item.image.get("caption")) or None,
        }
    item.images = [{"url": i["url"], "caption": _text(i.get("caption")) or None} for i in item.images]
    item.previous = _link(item.previous, base)
    item.next = _link(item.next, base)
    item.related = [link for link in (_link(r, base) for r in item.related) if link]
    return item


class NormalizePipeline(CrawlerPipeline):
    def process_item(self, item: Any) -> Any:
        return normalize(item) if isinstance(item, ArticleItem) else item
