"""Discovery for any tagDiv Newspaper site. The spider routes; the page code extracts.

Crawl mode (default): the home page and the section listings, their article links and
pagination, and every article's previous/next links, staying on the site.
``-a urls=URL[,URL…]`` extracts exactly these article pages and follows nothing.
``-a replay=DIR`` answers every request from a ``wget --mirror`` folder. See arguments.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from inquirer_crawler.items import ArticleItem
from inquirer_crawler.pages import ArticlePage
from inquirer_crawler.pages.dates import utc_now
from inquirer_crawler.pages.listing import ListingPage
from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host
from inquirer_crawler.spiders.arguments import CrawlOptions, SpiderArgumentError
from inquirer_crawler.spiders.failures import failure_reason
from inquirer_crawler.urls_policy import UrlPolicy

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml")

__all__ = ["NewspaperSpider", "SpiderArgumentError"]


class NewspaperSpider(scrapy.Spider):
    name = "newspaper"
    # The registry entry this spider is bound to; None for the generic spider.
    bound_site: ClassVar[SiteConfig | None] = None

    def __init__(self, **arguments: Any) -> None:
        super().__init__()
        self.options = CrawlOptions.parse(self.bound_site, arguments)
        self.replay_dir = self.options.replay_dir
        self.exported = 0
        self.in_pipeline = 0  # items yielded and not yet exported or dropped (max_articles must not overshoot)
        self.listing_pages: dict[str, int] = {}
        if self.options.urls:
            self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.options.urls})
            return
        start = self.options.start or (self.bound_site.base_url if self.bound_site else "")
        self.start_url = start
        self.site = self.bound_site or site_for_host(urlsplit(start).netloc)
        self.policy = UrlPolicy(origin=start, aliases={*self.site.domains, bare_host(urlsplit(start).netloc)})
        self.allowed_domains = [urlsplit(start).hostname or ""]

    @classmethod
    def check_arguments(cls, **arguments: Any) -> None:
        """Raise SpiderArgumentError, with a one-line reason, for any wrong ``-a`` argument."""
        CrawlOptions.parse(cls.bound_site, arguments)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewspaperSpider:
        spider: NewspaperSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_exported, signal=signals.item_scraped)
        crawler.signals.connect(spider._on_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._on_dropped, signal=signals.item_error)
        return spider

    # -- start --------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.options.urls:
            for url in self.options.urls:
                yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
            return
        if self.options.sections is None:
            yield self._listing_request(self.start_url, "home")
        for slug in self.options.sections or self.site.sections:
            yield self._listing_request(f"{self.start_url}category/{slug}/", slug)

    def _listing_request(self, url: str, listing: str, probe: bool = False) -> scrapy.Request:
        meta = {"listing": listing, "probe": probe}
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, meta=meta)

    # -- listings -------------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._is_html(response):
            self._count("pages/failed/non_html", response.url)
            return
        assert isinstance(response, TextResponse)
        page = ListingPage(response.url, response.selector)
        if canonical_host := page.canonical_host():
            # A mirror's pages link to the public host: those links are the same site.
            self.policy.aliases.add(bare_host(canonical_host))
        listing = response.meta.get("listing", "home")
        entries = page.article_dates()
        self._stat("listings/pages")
        recent = [url for url, when in entries.items() if not self._surely_before_since(when)]
        if len(recent) < len(entries):
            self._stat("links/skipped/before_since", len(entries) - len(recent))
        for url in self._follow(recent, response.url):
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
        if listing == "home" and self.options.sections is None and not self.site.sections:
            yield from self._discovered_sections(response)
        if not entries:
            return  # an empty page ends the listing (also the end of /page/N/ built by hand)
        if len(recent) < len(entries):
            # Listings run newest first: after an article older than ``since``, every later page is older.
            self._stat("listings/ended/since")
            return
        yield from self._next_listing_page(page, listing)

    def _next_listing_page(self, page: ListingPage, listing: str) -> Iterator[scrapy.Request]:
        limit = self.settings.getint("INQUIRER_MAX_LISTING_PAGES", 1000)
        if self.listing_pages.get(listing, 1) >= limit:
            self._count("listings/stopped/page_limit", page.url)
            return
        # The home page's blocks paginate by script, but its /page/N/ is not a listing of them.
        next_page = page.next_page_url(build_when_scripted=listing != "home")
        probe = next_page is not None and next_page not in page.linked_urls()
        for url in self._follow([next_page] if next_page else [], page.url):
            self.listing_pages[listing] = self.listing_pages.get(listing, 1) + 1
            yield self._listing_request(url, listing, probe=probe)

    def _discovered_sections(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """For a site with no registry entry: the category links of the home page's menus."""
        hrefs = response.xpath(
            "//*[contains(@class,'menu')]//a[contains(@href,'/category/')]/@href"
        ).getall()
        for url in self._follow(hrefs, response.url):
            slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
            yield self._listing_request(url, slug)

    def _surely_before_since(self, listed: str | None) -> bool:
        """A listing's date is a hint, not the record's date (old themes print local time as UTC):
        skip a link only when it is more than a day older than ``since``."""
        day = self._local_day(listed)
        return bool(self.options.since and day and day < self.options.since - timedelta(days=1))

    # -- articles ---------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[ArticleItem | scrapy.Request]:
        if not self._is_html(response):
            self._count("pages/failed/non_html", response.url)
            return
        assert isinstance(response, TextResponse)
        site = self.site_for(response.url)
        page = ArticlePage(response.url, response.selector, site, fetched_at=utc_now())
        try:
            if not page.is_article():
                self._count("articles/dropped/not_article", response.url)
                return
            item = page.to_item()
        except Exception:  # a page we do not control must never stop the crawl
            logger.exception("parse_error: %s", response.url)
            self._count("articles/dropped/parse_error", response.url)
            return
        if self.options.urls:
            yield from self._export(item)
            return
        too_old = self._before_since(item.published)
        if too_old:
            self._count("articles/skipped/before_since", response.url)
        elif self.options.sections and not self._in_sections(page):
            self._count("articles/skipped/other_section", response.url)
            return  # its neighbours belong to other sections too: do not walk that chain
        else:
            yield from self._export(item)
        neighbours = [item.next] if too_old else [item.previous, item.next]
        yield from (
            scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
            for url in self._follow([n["url"] for n in neighbours if n], response.url)
        )

    def _export(self, item: ArticleItem) -> Iterator[ArticleItem]:
        limit = self.options.max_articles
        if limit is not None and self.exported + self.in_pipeline >= limit:
            self._stat("articles/skipped/max_articles")
            return
        self.in_pipeline += 1
        yield item

    def _in_sections(self, page: ArticlePage) -> bool:
        slugs = {urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1] for href in page.category_urls()}
        return bool(slugs & set(self.options.sections or ()))

    def _before_since(self, published: str | None) -> bool:
        day = self._local_day(published)
        return bool(self.options.since and day and day < self.options.since)

    def _local_day(self, value: str | None) -> date | None:
        """The calendar day of an ISO date in the site's time zone: ``since`` is a day of the site."""
        try:
            moment = datetime.fromisoformat(value) if value else None
        except ValueError:
            return None
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.site.timezone)).date() if moment.tzinfo else moment.date()

    # -- bookkeeping -------------------------------------------------------------------------------

    def _follow(self, hrefs: list[str], base: str) -> Iterator[str]:
        for href in hrefs:
            url, reason = self.policy.decide(href, base) if not self.options.urls else (None, "urls_mode")
            if url:
                yield url
            else:
                self._stat(f"links/skipped/{reason}")

    def _on_exported(self, item: Any) -> None:
        if isinstance(item, ArticleItem):
            self.exported += 1
            self.in_pipeline -= 1
            if self.options.max_articles is not None and self.exported >= self.options.max_articles:
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="max_articles"))

    def _on_dropped(self, item: Any, **_: Any) -> None:
        if isinstance(item, ArticleItem):
            self.in_pipeline -= 1

    def site_for(self, url: str) -> SiteConfig:
        return getattr(self, "site", None) or site_for_host(urlsplit(url).netloc)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = failure_reason(failure)
        if request is not None and request.meta.get("probe") and reason in ("http_404", "http_410"):
            # A /page/N/ we built ourselves: its 404 is the listing's end, not a failure.
            self._stat(f"listings/ended/{reason}")
            logger.info("listing ends (%s): %s", reason, url)
            return
        self._count(f"pages/failed/{reason}", url)

    @staticmethod
    def _is_html(response: Response) -> bool:
        content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        return isinstance(response, TextResponse) and (content_type in HTML_TYPES or not content_type)

    def _stat(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _count(self, key: str, url: str) -> None:
        self._stat(key)
        logger.warning("%s: %s", key.rsplit("/", 1)[-1], url)
