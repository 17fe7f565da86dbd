"""Where a cron run learns what changed without fetching every page: the site's sitemaps (from
robots.txt's Sitemap lines, else wp-sitemap.xml, else sitemap_index.xml), else the REST API, else
the RSS feed. Each is used only when it answers; the HTML page stays the source of the record.

Change detection compares the site's dates with the site's dates only, never with our clock:

- a child sitemap is skipped only when the index dates it exactly as it did at the last complete
  run (``Baseline.sitemaps``); one with an unreadable or missing date is always read;
- an article is fetched again when its date (sitemap ``lastmod``, REST ``modified_gmt``) is later
  than the latest date the state has for it; a date to the year or month counts up to the end of
  that period, and an unreadable one counts as a change (logged);
- the REST API is asked for posts ``modified_after`` the newest modification date the site showed
  at the last complete run, minus ``REST_MARGIN``, ``orderby=modified``, every page of
  ``X-WP-TotalPages``.

A change source that fails part-way (a child sitemap or a REST page that does not answer) keeps
the run from moving the baseline, so the next run reads it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from inquirer_crawler.discovery.links import LinkFilter
from inquirer_crawler.pages.changes import Entry, parse_feed, parse_rest_posts, parse_sitemap, w3c_period
from inquirer_crawler.response.failures import failure_reason
from inquirer_crawler.state.outcomes import SiteDates, UrlOutcomes
from inquirer_crawler.state.store import Baseline, KnownArticle

logger = logging.getLogger(__name__)

# Why 48 hours: a margin costs only REST listing rows (each post is then compared with what the
# state knows; an unchanged one is not fetched), and what it must cover is the site's own clock
# errors: a plugin that stores local time as GMT is off by its UTC offset (-12 to +14 hours, a
# 26-hour span), and a CDN may serve a cached listing for hours. 48 hours covers both with room.
REST_MARGIN = timedelta(hours=48)
REST_PER_PAGE = 100  # WordPress's maximum; above it the API answers 400


class ChangeDiscovery:
    """Change discovery for one crawl: its inputs are the origin, the link filter (URL policy),
    what the state knows (``known``, ``baseline``), and where it reports what it learns (the
    articles' dates to the URL outcomes, the site's dates to ``dates``); it hands the spider requests."""

    def __init__(
        self,
        origin: str,
        links: LinkFilter,
        known: Callable[[str], KnownArticle | None],
        baseline: Baseline,
        outcomes: UrlOutcomes,
        dates: SiteDates,
        article_request: Callable[[str], scrapy.Request],
        stat: Callable[[str], None],
        skip_entry: Callable[[str | None], bool] = lambda _: False,
    ) -> None:
        self.origin = origin
        self.links = links
        self.known = known
        self.previous = baseline
        self.outcomes = outcomes
        self.article_request = article_request
        self.stat = stat
        self.skip_entry = skip_entry  # the ``since`` rule: an entry dated surely before it
        self.dates = dates
        self.changed: set[str] = set()  # keys of known articles a change source says were modified

    # -- the sources, in order ----------------------------------------------------------------

    def first_requests(self, sitemaps: list[str]) -> Iterator[scrapy.Request]:
        """From robots.txt's Sitemap lines (on the crawl's origin), else WordPress's own index."""
        urls = [self.links.policy.rebase(u) for u in sitemaps] or [f"{self.origin}wp-sitemap.xml"]
        for url in dict.fromkeys(urls):
            yield self._request(url, self.parse_sitemap, fallback="sitemap_index")

    def _request(self, url: str, callback: Any, fallback: str | None = None, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta={"fallback": fallback, "change_source": True, **meta},
            priority=10,
        )

    def _next_source(self, fallback: str | None) -> Iterator[scrapy.Request]:
        """Each change source is used only when it answers; the next one is tried otherwise."""
        if fallback == "sitemap_index":
            yield self._request(f"{self.origin}sitemap_index.xml", self.parse_sitemap, fallback="rest")
        elif fallback == "rest":
            yield self._request(self.rest_url(1), self.parse_rest, fallback="feed", rest_page=1)
        elif fallback == "feed":
            # No dated change source answered (the REST API refused, say): the feed has no dates, so a
            # change to an article an earlier run exported may have gone unseen, and the baseline must
            # stay where it was. (A first run has nothing to miss: it fetches every article it finds.)
            if self.previous.newest_modified or self.previous.sitemaps:
                self.dates.failed = self.dates.failed or "no dated change source answered"
            yield self._request(f"{self.origin}feed/", self.parse_feed)

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.stat(f"change_sources/failed/{reason}")
        if request.meta.get("fallback"):
            yield from self._next_source(request.meta["fallback"])
        elif request.meta.get("part"):  # a child sitemap or a later REST page: what it lists is unknown
            self.dates.failed = f"{request.url}: {reason}"
            logger.warning("change source failed part-way, the next run reads it again: %s (%s)", request.url, reason)

    # -- sitemaps -------------------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        document = parse_sitemap(response.body)
        if not document.children and not document.entries:
            yield from self._next_source(response.meta.get("fallback"))
            return
        for child in document.children:
            if self._unchanged_child(child):
                self.stat("sitemaps/skipped/unchanged")
                continue
            for url in self.links.follow([child.url], response.url, page=False):
                yield self._request(url, self.parse_sitemap, listed_as=child.url, lastmod=child.lastmod, part=True)
        yield from self._changed_articles(document.entries, response.url)
        if response.meta.get("listed_as") and response.meta.get("lastmod"):
            # Read whole: the next complete run may skip it while the index dates it the same.
            self.dates.sitemaps[response.meta["listed_as"]] = response.meta["lastmod"]

    def _unchanged_child(self, child: Entry) -> bool:
        if not child.lastmod:
            return False
        if w3c_period(child.lastmod) is None:
            logger.warning("unreadable sitemap lastmod %r for %s: read as changed", child.lastmod, child.url)
            self.stat("sitemaps/lastmod_unreadable")
            return False
        return self.previous.sitemaps.get(child.url) == child.lastmod

    # -- REST API ---------------------------------------------------------------------------------

    def rest_url(self, page: int) -> str:
        query: dict[str, str | int] = {
            "per_page": REST_PER_PAGE,
            "page": page,
            "orderby": "modified",
            "order": "desc",
            "_fields": "link,modified_gmt",
        }
        if after := self.rest_modified_after():
            query["modified_after"] = after
        return f"{self.origin}wp-json/wp/v2/posts?{urlencode(query)}"

    def rest_modified_after(self) -> str | None:
        period = w3c_period(self.previous.newest_modified) if self.previous.newest_modified else None
        if period is None:
            return None
        return (period.start - REST_MARGIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def parse_rest(self, response: Response) -> Iterator[scrapy.Request]:
        entries = parse_rest_posts(response.body)
        page = int(response.meta.get("rest_page", 1))
        if page == 1:
            yield from self._rest_pages(response, len(entries))
        yield from self._changed_articles(entries, response.url)

    def _rest_pages(self, response: Response, listed: int) -> Iterator[scrapy.Request]:
        header = (response.headers.get(b"X-WP-TotalPages") or b"").decode("ascii", "replace").strip()
        if not header.isdigit():
            if listed >= REST_PER_PAGE:  # a full page and no count: what follows is unknown
                self.dates.failed = f"{response.url}: no X-WP-TotalPages"
                logger.warning("REST API gave a full page without X-WP-TotalPages: %s", response.url)
            return
        for page in range(2, int(header) + 1):
            yield self._request(self.rest_url(page), self.parse_rest, rest_page=page, part=True)

    # -- RSS --------------------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._changed_articles(parse_feed(response.body, response.url), response.url)

    # -- what the entries say -------------------------------------------------------------------

    def _changed_articles(self, entries: list[Entry], base: str) -> Iterator[scrapy.Request]:
        for entry in entries:
            self.dates.saw(entry.lastmod)
            if self.skip_entry(entry.lastmod):
                # Modified before ``since``, so published before it too.
                self.stat("links/skipped/before_since")
                continue
            for url in self.links.follow([entry.url], base, article=True):
                yield from self._article_if_changed(url, entry.lastmod)

    def _article_if_changed(self, url: str, lastmod: str | None) -> Iterator[scrapy.Request]:
        key = self.outcomes.key(url)
        if lastmod:
            self.outcomes.dated(url, lastmod)
        known = self.known(key)
        if known is None:
            yield self.article_request(url)
        elif lastmod and self._is_newer(lastmod, known.last_change):
            self.changed.add(key)
            self.stat("articles/changed_by_lastmod")
            yield self.article_request(url)
        elif lastmod and known.lastmod != lastmod:
            self.outcomes.unchanged_date(url, lastmod)

    def _is_newer(self, lastmod: str, than: str | None) -> bool:
        """Later than what the state knows, up to the end of the date's period; unreadable: a change."""
        period = w3c_period(lastmod)
        if period is None:
            logger.warning("unreadable lastmod %r: read as a change", lastmod)
            self.stat("articles/lastmod_unreadable")
            return True
        known = w3c_period(than) if than else None
        return known is None or period.end > known.start

    def is_changed(self, key: str) -> bool:
        return key in self.changed


def same_origin(url: str, origin: str) -> bool:
    return urlsplit(url).netloc == urlsplit(origin).netloc
