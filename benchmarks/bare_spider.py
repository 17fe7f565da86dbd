"""The benchmark's baseline: a bare Scrapy spider that requests the same pages as ``scrapy crawl
newspaper`` and extracts nothing.

    scrapy runspider benchmarks/bare_spider.py -a start=http://127.0.0.1:PORT/ -s ...

It follows exactly the links the real crawl follows on a tagDiv site: from the home page, the
menus' ``/category/`` links and the listing's module title links; from a listing, its module
title links and the next page of its ``div.page-nav`` (or ``link[rel=next]``); from an article,
its previous/next links. The XPath/CSS expressions are copies of the project's
(``pages/listing.py``, ``pages/article.py``, ``spiders/newspaper.py``), so the link work costs
the same; nothing else is read, no item is yielded, no pipeline or feed runs. Links to the
mirror's public host (its canonical host) are rewritten to ``start``, as the real spider does.

It imports only the project's listing selectors: it is run outside the project folder, with
Scrapy's default settings plus the same concurrency, throttle and robots settings given to both
crawls on the command line (see benchmarks/run.py). ``benchmarks/run.py`` checks that both crawls
asked the server for the same set of paths.

It parses pages the usual Scrapy way (``response.selector``); with ``-a parse=project`` it parses
them as the project does (``inquirer_crawler.pages.dom.parse_response``: UTF-8 bytes, plain lxml
elements), to show how much of the difference is the parse itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from inquirer_crawler.pages.listing import _LOOPS, _NEXT_LINKS, _TITLE_LINKS

# The project's own link selectors (pages/listing.py), so both crawls follow exactly the same links.
_CANONICAL = "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"
# spiders/newspaper.py: sections of a site without a registry entry.
_MENU_SECTIONS = "//*[contains(@class,'menu')]//a[contains(@href,'/category/')]/@href"
# pages/article.py: the previous/next links, classic template first, then tdb.
_PREVIOUS = (".td-post-next-prev .td-post-prev-post a", ".tdb_single_next_prev .tdb-post-prev a")
_NEXT = (".td-post-next-prev .td-post-next-post a", ".tdb_single_next_prev .tdb-post-next a")


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: str, parse: str = "scrapy", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if parse == "project":
            from inquirer_crawler.pages.dom import parse_response

            self.selector_of = parse_response
        else:
            self.selector_of = lambda response: response.selector
        self.start_url = start
        self.origin = urlsplit(start)
        self.aliases = {self.origin.netloc}
        self.allowed_domains = [self.origin.hostname or ""]

    async def start(self) -> Any:  # Scrapy >= 2.13
        yield scrapy.Request(self.start_url, callback=self.parse_listing, meta={"home": True})

    def _url(self, href: str | None, base: str) -> str | None:
        """The absolute URL to request on the crawled origin, or None (offsite, not http)."""
        if not href or not href.strip():
            return None
        parts = urlsplit(urljoin(base, href.strip()))
        if parts.scheme not in ("http", "https") or parts.netloc not in self.aliases:
            return None
        return urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query, ""))

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        selector = self.selector_of(response)
        canonical = selector.xpath(_CANONICAL).get()
        if canonical:
            self.aliases.add(urlsplit(canonical).netloc)
        roots = selector.xpath(_LOOPS) or [selector]
        hrefs = [href for root in roots for href in root.xpath(_TITLE_LINKS + "/@href").getall()]
        for href in hrefs:
            if url := self._url(href, response.url):
                yield scrapy.Request(url, callback=self.parse_article)
        if response.meta.get("home"):
            for href in selector.xpath(_MENU_SECTIONS).getall():
                if url := self._url(href, response.url):
                    yield scrapy.Request(url, callback=self.parse_listing)
        if not hrefs:
            return  # an empty listing page ends the listing
        for xpath in _NEXT_LINKS:
            if href := selector.xpath(xpath).get():
                if url := self._url(href, response.url):
                    yield scrapy.Request(url, callback=self.parse_listing)
                break

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        selector = self.selector_of(response)
        for chain in (_PREVIOUS, _NEXT):
            for css in chain:
                links = selector.css(css)
                if links:
                    if url := self._url(links[0].attrib.get("href"), response.url):
                        yield scrapy.Request(url, callback=self.parse_article)
                    break
