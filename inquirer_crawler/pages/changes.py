"""Extraction for the change sources of a WordPress site: sitemaps, the REST API, the RSS feed.

Each gives (article URL, last modification or None); the HTML page stays the source of the record.
Sitemaps are parsed with Scrapy's Sitemap (entities never expanded).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from scrapy.utils.sitemap import Sitemap

# Child sitemaps that list posts: WordPress core, Yoast, RankMath, news sitemaps.
_POST_SITEMAP = re.compile(r"(?:wp-sitemap-posts-post-\d+|post-sitemap\d*|news-sitemap|sitemap-posts?)\.xml", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    url: str
    lastmod: str | None


@dataclass(frozen=True)
class SitemapDocument:
    children: list[Entry]   # a sitemap index: the post sitemaps it lists
    entries: list[Entry]    # a url set: the articles


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
    """``/wp-json/wp/v2/posts?_fields=link,modified_gmt``: dates are UTC without an offset."""
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
