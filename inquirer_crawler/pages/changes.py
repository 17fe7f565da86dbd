"""Extraction for the change sources of a WordPress site: sitemaps, the REST API, the RSS feed.

Each gives (article URL, last modification or None); the HTML page stays the source of the record.
Sitemaps are parsed with Scrapy's Sitemap (entities never expanded). Dates are read as the W3C
datetime profile that sitemaps use (https://www.w3.org/TR/NOTE-datetime): a year, a month, a day,
or a moment to the minute, second or fraction with its offset.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from scrapy.utils.sitemap import Sitemap

# Child sitemaps that list posts: WordPress core, Yoast, RankMath, news sitemaps.
_POST_SITEMAP = re.compile(
    r"(?:wp-sitemap-posts-post-\d+|post-sitemap\d*|news-sitemap|sitemap-posts?)\.xml", re.IGNORECASE
)
# The two W3C forms that datetime.fromisoformat does not read: "1997" and "1997-07".
_YEAR_OR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Entry:
    url: str
    lastmod: str | None


@dataclass(frozen=True)
class SitemapDocument:
    children: list[Entry]  # a sitemap index: the post sitemaps it lists
    entries: list[Entry]  # a url set: the articles


@dataclass(frozen=True)
class Period:
    """A W3C datetime is a period as long as its precision: "2022" is the whole year."""

    start: datetime
    end: datetime


def w3c_period(value: str) -> Period | None:
    """The period a W3C datetime names (UTC when it gives no offset), or None when unreadable."""
    text = value.strip()
    if match := _YEAR_OR_MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2) or 0)
        try:
            start = datetime(year, month or 1, 1, tzinfo=UTC)
        except ValueError:
            return None
        end = start.replace(year=year + 1) if not month else (start + timedelta(days=32)).replace(day=1)
        return Period(start, end)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return Period(moment, moment + (timedelta(days=1) if len(text) == 10 else timedelta(0)))


def parse_sitemap(body: bytes) -> SitemapDocument:
    try:
        sitemap = Sitemap(body)
        items = list(sitemap)
    except (etree.LxmlError, StopIteration, ValueError):  # lxml recovers most XML; the rest is no sitemap
        return SitemapDocument([], [])
    found = [Entry(i["loc"].strip(), (i.get("lastmod") or "").strip() or None) for i in items if i.get("loc")]
    if sitemap.type == "sitemapindex":
        return SitemapDocument([e for e in found if _POST_SITEMAP.search(e.url)], [])
    return SitemapDocument([], found)


def parse_rest_posts(body: bytes) -> list[Entry]:
    """``/wp-json/wp/v2/posts?_fields=link,modified_gmt``: ``modified_gmt`` is UTC without an offset."""
    try:
        posts = json.loads(body)
    except ValueError:
        return []
    if not isinstance(posts, list):
        return []
    return [
        Entry(str(p["link"]), f"{p['modified_gmt']}+00:00" if p.get("modified_gmt") else None)
        for p in posts
        if isinstance(p, dict) and p.get("link")
    ]


def parse_feed(body: bytes, base: str) -> list[Entry]:
    """RSS 2.0 items: links of new articles (WordPress feeds carry no modification date)."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    return [Entry(urljoin(base, link.strip()), None) for link in selector.xpath("//item/link/text()").getall()]
