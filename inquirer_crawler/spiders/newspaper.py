"""Discovery for any tagDiv Newspaper site. The spider routes; the page code extracts.

``-a urls=URL[,URL…]`` extracts exactly these article pages (several sites allowed) and
follows nothing. ``-a replay=DIR`` answers every request from a ``wget --mirror`` folder.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from inquirer_crawler.items import ArticleItem
from inquirer_crawler.pages import ArticlePage
from inquirer_crawler.pages.dates import utc_now
from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host
from inquirer_crawler.spiders.failures import failure_reason
from inquirer_crawler.urls import clean_url, is_http_url

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml")


class SpiderArgumentError(ValueError):
    """A wrong ``-a`` argument; the message says which and why, in one line."""


def parse_urls(value: str | None) -> list[str]:
    urls = [u.strip() for u in (value or "").split(",") if u.strip()]
    for url in urls:
        if not is_http_url(url) or not urlsplit(url).hostname:
            raise SpiderArgumentError(f"urls: {url!r} is not an http(s) URL")
    return list(dict.fromkeys(clean_url(u) for u in urls))


def parse_replay_dir(value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise SpiderArgumentError(f"replay: folder {value!r} does not exist")
    return path.resolve()


class NewspaperSpider(scrapy.Spider):
    name = "newspaper"
    # The registry entry this spider is bound to; None for the generic spider.
    bound_site: SiteConfig | None = None

    def __init__(self, urls: str | None = None, replay: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_arguments(urls=urls, replay=replay)
        self.article_urls = parse_urls(urls)
        self.replay_dir = parse_replay_dir(replay)
        self.allowed_domains = sorted({bare_host(urlsplit(u).netloc).split(":")[0] for u in self.article_urls})

    @classmethod
    def check_arguments(cls, urls: str | None = None, replay: str | None = None, **others: Any) -> None:
        """Raise SpiderArgumentError, with a one-line reason, for any wrong ``-a`` argument."""
        known = {"urls", "replay"}
        unknown = sorted(set(others) - known)
        if unknown:
            raise SpiderArgumentError(f"unknown argument {unknown[0]!r}; known: {', '.join(sorted(known))}")
        if not parse_urls(urls):
            raise SpiderArgumentError("urls: give at least one article URL (-a urls=URL[,URL...])")
        parse_replay_dir(replay)

    def site_for(self, url: str) -> SiteConfig:
        return site_for_host(urlsplit(url).netloc)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.article_urls:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        if not self._is_html(response):
            self._count("pages/failed/non_html", response.url)
            return
        assert isinstance(response, TextResponse)
        page = ArticlePage(response.url, response.selector, self.site_for(response.url), fetched_at=utc_now())
        try:
            if not page.is_article():
                self._count("articles/dropped/not_article", response.url)
                return
            item = page.to_item()
        except Exception:  # a page we do not control must never stop the crawl
            logger.exception("parse_error: %s", response.url)
            self._count("articles/dropped/parse_error", response.url)
            return
        yield item

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self._count(f"pages/failed/{failure_reason(failure)}", url)

    @staticmethod
    def _is_html(response: Response) -> bool:
        content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        return isinstance(response, TextResponse) and (content_type in HTML_TYPES or not content_type)

    def _count(self, key: str, url: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)
        logger.warning("%s: %s", key.rsplit("/", 1)[-1], url)
