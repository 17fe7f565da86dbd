"""Discovery for any tagDiv Newspaper site. The spider routes; the page code extracts.

Crawl mode (default): the home page and the section listings, their article links and
pagination, and every article's previous/next links, staying on the site.
``-a urls=URL[,URL…]`` extracts exactly these article pages and follows nothing.
``-a replay=DIR`` answers every request from a ``wget --mirror`` folder. See arguments.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from inquirer_crawler.discovery.change_sources import ChangeDiscovery, same_origin
from inquirer_crawler.discovery.links import LinkFilter
from inquirer_crawler.discovery.policy import UrlPolicy
from inquirer_crawler.discovery.since import SinceRule
from inquirer_crawler.discovery.urls import category_slug, url_key
from inquirer_crawler.items import ArticleItem
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.dates import utc_now
from inquirer_crawler.pages.dom import parse_response
from inquirer_crawler.pages.listing import ListingPage
from inquirer_crawler.response.failures import failure_reason
from inquirer_crawler.response.integrity import is_html
from inquirer_crawler.response.integrity import unusable as response_unusable
from inquirer_crawler.response.replay import saved_at
from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host
from inquirer_crawler.spiders.arguments import CrawlOptions, SpiderArgumentError
from inquirer_crawler.state.extension import RunState, run_state
from inquirer_crawler.state.outcomes import UrlOutcomes
from inquirer_crawler.state.scope import ScopeError, StateScope, scope_for
from inquirer_crawler.state.store import FINAL_FAILURES, StateStore

logger = logging.getLogger(__name__)

__all__ = ["NewspaperSpider", "SpiderArgumentError"]


class NewspaperSpider(scrapy.Spider):
    name = "newspaper"
    # The registry entry this spider is bound to; None for the generic spider.
    bound_site: ClassVar[SiteConfig | None] = None

    def __init__(self, **arguments: Any) -> None:
        super().__init__()
        self.options = CrawlOptions.parse(self.bound_site, arguments)
        self.scope = self.state_scope(self.options)
        self.replay_dir = self.options.replay_dir
        self.exported = 0
        self.in_pipeline = 0  # items yielded and not yet exported or dropped (max_articles must not overshoot)
        self.listing_pages: dict[str, int] = {}
        # One shape for every mode: in urls mode the site and origin are the first URL's.
        start = self.options.start or (self.bound_site.base_url if self.bound_site and not self.options.urls else "")
        origin = start or _origin(self.options.urls[0])
        self.start_url = origin
        # The user named this host: it may be a private address (a local mirror, a staging copy).
        self.trusted_hosts = {urlsplit(start).hostname or ""} if start else set()
        self.site = self.bound_site or site_for_host(urlsplit(origin).netloc)
        self.since = SinceRule(self.options.since, self.site.timezone)
        self.policy = UrlPolicy(origin=origin, aliases={*self.site.domains, bare_host(urlsplit(origin).netloc)})
        self.links = LinkFilter(self.policy, lambda: self.outcomes, self._stat)
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in (origin, *self.options.urls)})
        self._changes: ChangeDiscovery | None = None

    @classmethod
    def state_scope(cls, options: CrawlOptions) -> StateScope:
        """Which state this run uses (state/scope.py); a wrong combination is an argument error."""
        try:
            return scope_for(
                options.start,
                options.urls if options.state == "on" else options.urls[:1],
                options.replay_dir,
                cls.bound_site,
            )
        except ScopeError as error:
            raise SpiderArgumentError(str(error)) from None

    @classmethod
    def check_arguments(cls, **arguments: Any) -> None:
        """Raise SpiderArgumentError, with a one-line reason, for any wrong ``-a`` argument."""
        cls.state_scope(CrawlOptions.parse(cls.bound_site, arguments))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewspaperSpider:
        spider: NewspaperSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_exported, signal=signals.item_scraped)
        crawler.signals.connect(spider._on_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._on_dropped, signal=signals.item_error)
        crawler.signals.connect(spider._on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider._on_request_dropped, signal=signals.request_dropped)
        return spider

    # -- start --------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.options.urls:
            for url in self.options.urls:
                yield self._article_request(url)
            return
        # What a killed or interrupted run discovered and did not export comes first.
        for key, url in self.state.pending() if self.state else []:
            self._stat("articles/resumed")
            yield self._article_request(self._resume_url(key, url))
        if self.options.sections is None:
            yield self._listing_request(self.start_url, "home")
        for slug in self.options.sections or self.site.sections:
            yield self._listing_request(f"{self.start_url}category/{slug}/", slug)

    def _article_request(self, url: str) -> scrapy.Request:
        self.outcomes.requested(url)
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def _listing_request(self, url: str, listing: str, probe: bool = False) -> scrapy.Request:
        meta = {"listing": listing, "probe": probe}
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, meta=meta)

    # -- listings -------------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not is_html(response):
            self._count("pages/failed/non_html", response.url)
            return
        assert isinstance(response, TextResponse)
        page = ListingPage(response.url, parse_response(response))
        if canonical_host := page.canonical_host():
            # A mirror's pages link to the public host: those links are the same site.
            self.policy.aliases.add(bare_host(canonical_host))
        listing = response.meta.get("listing", "home")
        cap = self.settings.getint("INQUIRER_MAX_OUTLINKS", 500)
        entries = page.article_dates(limit=cap)
        self._stat("listings/pages")
        if len(entries) > cap:
            # A listing never holds thousands of articles: a hostile page does.
            self._count("links/skipped/outlinks_truncated", response.url)
            entries = dict(list(entries.items())[:cap])
        recent = [url for url, when in entries.items() if not self.since.surely_before(when)]
        if len(recent) < len(entries):
            self._stat("links/skipped/before_since", len(entries) - len(recent))
        followed = list(self._follow(recent, response.url, article=True))
        unknown = [url for url in followed if not self._skip_known(url)]
        for url in unknown:
            yield self._article_request(url)
        if listing == "home" and self.options.sections is None and not self.site.sections:
            yield from self._discovered_sections(page)
        if not entries:
            return  # an empty page ends the listing (also the end of /page/N/ built by hand)
        if len(recent) < len(entries):
            # Listings run newest first: after an article older than ``since``, every later page is older.
            self._stat("listings/ended/since")
            return
        if followed and not unknown:
            # Everything here was exported before and is unchanged: later pages are older still.
            self._stat("listings/ended/known")
            return
        yield from self._next_listing_page(page, listing)

    def _next_listing_page(self, page: ListingPage, listing: str) -> Iterator[scrapy.Request]:
        limit = self.settings.getint("INQUIRER_MAX_LISTING_PAGES", 1000)
        if self.listing_pages.get(listing, 1) >= limit:
            self._count("listings/stopped/page_limit", page.url)
            return
        # The home page's blocks paginate by script, but its /page/N/ is not a listing of them.
        next_page, probe = page.next_page(build_when_scripted=listing != "home") or (None, False)
        for url in self._follow([next_page] if next_page else [], page.url):
            self.listing_pages[listing] = self.listing_pages.get(listing, 1) + 1
            yield self._listing_request(url, listing, probe=probe)

    def _discovered_sections(self, page: ListingPage) -> Iterator[scrapy.Request]:
        """For a site with no registry entry: the category links of the home page's menus."""
        for url in self._follow(page.menu_section_urls(), page.url):
            yield self._listing_request(url, category_slug(url))

    # -- articles ---------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[ArticleItem | scrapy.Request]:
        # The URL the run requested: its outcome is settled under it, also when the page answered
        # from another after a redirect (a changed slug), which becomes the record's alias.
        requested = requested_url(response.request) if response.request is not None else response.url
        if unusable := response_unusable(response):
            self._settle(requested, "failed", unusable, persist=unusable == "non_html")
            self._count(f"pages/failed/{unusable}", response.url)
            return
        assert isinstance(response, TextResponse)
        site = self.site_for(response.url)
        try:
            page = ArticlePage(response.url, parse_response(response), site, fetched_at=self._fetched_at(response))
            if not page.is_article():
                self._settle(requested, "failed", "not_article")
                self._count("articles/dropped/not_article", response.url)
                return
            item = page.to_item()
            for name in page.failed_fields:  # each logged by the page code with the URL
                self._stat(f"fields/failed/{name}")
        except Exception:  # a page we do not control must never stop the crawl
            logger.exception("parse_error: %s", response.url)
            self._settle(requested, "failed", "parse_error")
            self._count("articles/dropped/parse_error", response.url)
            return
        self._stat("articles/parsed")
        item.page_hints.request_url, item.page_hints.request_key = requested, self.state_key(requested)
        if self.options.urls:
            yield from self._export(item)
            return
        too_old = self.since.before(item.published)
        if too_old:
            self._settle(requested, "skipped", "before_since")
            self._count("articles/skipped/before_since", response.url)
        elif self.options.sections and not self._in_sections(page):
            self._settle(requested, "skipped", "other_section")
            self._count("articles/skipped/other_section", response.url)
            return  # its neighbours belong to other sections too: do not walk that chain
        else:
            yield from self._export(item)
        neighbours = [item.next] if too_old else [item.previous, item.next]
        for url in self._follow([n["url"] for n in neighbours if n], response.url, article=True):
            # The chain is walked until the first article an earlier run exported.
            if not self._skip_known(url):
                yield self._article_request(url)

    def parse(self, response: Response, **_: Any) -> Iterator[ArticleItem | scrapy.Request]:
        """Scrapy's default callback, which ``scrapy parse URL`` uses: the URL a user hands over is
        an article page."""
        return self.parse_article(response)

    def _export(self, item: ArticleItem) -> Iterator[ArticleItem]:
        limit = self.options.max_articles
        if limit is not None and self.exported + self.in_pipeline >= limit:
            self._stat("articles/skipped/max_articles")
            return
        self.in_pipeline += 1
        yield item

    def _in_sections(self, page: ArticlePage) -> bool:
        slugs = {category_slug(href) for href in page.category_urls()}
        return bool(slugs & set(self.options.sections or ()))

    # -- bookkeeping -------------------------------------------------------------------------------

    def _follow(self, hrefs: list[str], base: str, page: bool = True, article: bool = False) -> Iterator[str]:
        return self.links.follow(hrefs, base, page, article)

    def _skip_known(self, url: str) -> bool:
        if not self._known_unchanged(url):
            return False
        self.outcomes.not_requested(url, "skipped", "known_unchanged")
        self._stat("links/skipped/known")
        return True

    def _on_request_dropped(self, request: scrapy.Request, **_: Any) -> None:
        """The scheduler drops a request whose fingerprint it has seen: harmless for a link found
        twice, a loop for a redirect that comes back (A -> B -> A), which no errback would report."""
        first = (request.meta.get("redirect_urls") or [None])[0]
        if first is not None and request.callback == self.parse_article:
            self._settle(first, "failed", "redirect_loop", persist=False)
            self._count("pages/failed/redirect_loop", first)

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

    # -- state ---------------------------------------------------------------------------------------

    @property
    def run(self) -> RunState:
        return run_state(self.crawler)

    @property
    def outcomes(self) -> UrlOutcomes:
        return self.run.outcomes

    @property
    def state(self) -> StateStore | None:
        return self.run.store

    def _change_discovery(self) -> ChangeDiscovery:
        """Change discovery, built once the state is open (at the first robots.txt)."""
        if self._changes is None:
            self._changes = ChangeDiscovery(
                self.start_url,
                self.links,
                self.state.known if self.state else lambda _: None,
                self.run.baseline,
                self.outcomes,
                self.run.site_dates,
                self._article_request,
                self._stat,
                self.since.surely_before,
            )
        return self._changes

    def _on_robots(self, robotparser: Any, request: scrapy.Request, **_: Any) -> None:
        """robots.txt is fetched once anyway: its Sitemap lines start the change discovery."""
        if self.options.urls or self.state is None or self.options.full:
            return
        if not same_origin(request.url, self.start_url):
            return
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", []) or [])
        assert self.crawler.engine is not None
        for change_request in self._change_discovery().first_requests(sitemaps):
            self.crawler.engine.crawl(change_request)

    def state_key(self, url: str) -> str:
        """The state's name for a URL: the site's public host and the path, so that a mirror on
        127.0.0.1 and the live site name an article alike."""
        key = url_key(url)
        host, _, path = key.partition("/")
        host = host.split(":")[0]
        if host in self.policy.aliases or host == self.policy.host.split(":")[0]:
            host = self.site.name
        return f"{host}/{path}"

    def _resume_url(self, key: str, url: str) -> str:
        """A pending URL of an earlier run, on this run's origin: the mirror may have moved port."""
        host, _, path = key.partition("/")
        if host != self.site.name:
            return self.policy.rebase(url)
        slash = "/" if path and "?" not in path and urlsplit(url).path.endswith("/") else ""
        return self.start_url + path + slash

    def _known_unchanged(self, url: str) -> bool:
        if self.state is None or self.options.full:
            return False
        key = self.state_key(url)
        return not (self._changes and self._changes.is_changed(key)) and self.state.known(key) is not None

    def _settle(self, url: str, state: str, reason: str, persist: bool = True) -> None:
        """An article URL's outcome, for this run's ledger and (``persist``) for the next runs."""
        self.outcomes.settle(url, state, reason, persist)

    def _fetched_at(self, response: Response) -> datetime:
        """When the page was fetched: now, or for a replay when it was saved (reproducible)."""
        return (saved_at(response) if self.options.replay_dir else None) or utc_now()

    def site_for(self, url: str) -> SiteConfig:
        """The crawl's site for its own pages; in urls mode a URL may name another."""
        host = bare_host(urlsplit(url).netloc)
        return self.site if host in self.policy.aliases or host == self.policy.host else site_for_host(host)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = requested_url(request) if request is not None else "?"  # a redirect's failure: the URL requested
        reason = failure_reason(failure)
        if request is not None and request.meta.get("probe") and reason in ("http_404", "http_410"):
            # A /page/N/ we built ourselves: its 404 is the listing's end, not a failure.
            self._stat(f"listings/ended/{reason}")
            logger.info("listing ends (%s): %s", reason, url)
            return
        # 404/410 are final; a timeout or a 5xx fails this run but stays pending for the next one.
        if request is not None and request.callback == self.parse_article:
            self._settle(url, "failed", reason, persist=reason in FINAL_FAILURES)
        self._count(f"pages/failed/{reason}", url)

    def _stat(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _count(self, key: str, url: str) -> None:
        self._stat(key)
        logger.warning("%s: %s", key.rsplit("/", 1)[-1], url)


def requested_url(request: scrapy.Request) -> str:
    """The URL the spider requested, before any redirect (Scrapy keeps the chain in ``redirect_urls``)."""
    chain = request.meta.get("redirect_urls")
    return str(chain[0]) if chain else request.url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
