"""Where a cron run learns what changed without fetching every page: the site's sitemaps (from
robots.txt's Sitemap lines, else wp-sitemap.xml, else sitemap_index.xml), else the REST API
(``modified_after`` the last run), else the RSS feed. Each is used only when it answers; the
HTML page stays the source of the record. Mixed into NewspaperSpider.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from inquirer_crawler.pages.changes import Entry, parse_feed, parse_rest_posts, parse_sitemap
from inquirer_crawler.response.failures import failure_reason


class ChangeSources:
    """Needs from the spider: options, state, policy, start_url, lastmods, changed, crawler,
    _follow, _article_request, _stat, _surely_before_since, state_key."""


    def _on_robots(self, robotparser: Any, request: scrapy.Request, **_: Any) -> None:
        """robots.txt is fetched once anyway: its Sitemap lines start the change discovery."""
        if self.options.urls or self.state is None or self.options.full:
            return
        if urlsplit(request.url).netloc != urlsplit(self.start_url).netloc:
            return
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", []) or [])
        urls = [self.policy.rebase(u) for u in sitemaps] or [f"{self.start_url}wp-sitemap.xml"]
        assert self.crawler.engine is not None
        for url in dict.fromkeys(urls):
            self.crawler.engine.crawl(self._change_request(url, self.parse_sitemap, fallback="sitemap_index"))

    def _change_request(self, url: str, callback: Any, fallback: str | None = None) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_change_source_error,
                              meta={"fallback": fallback, "change_source": True}, priority=10)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        document = parse_sitemap(response.body)
        if not document.children and not document.entries:
            yield from self._next_change_source(response.meta.get("fallback"))
            return
        since_last_run = self.state.last_successful_start() if self.state else None
        for child in document.children:
            # An index that dates its children lets us skip the ones untouched since the last run.
            if since_last_run and child.lastmod and _instant(child.lastmod) <= _instant(since_last_run):
                self._stat("sitemaps/skipped/unchanged")
                continue
            for url in self._follow([child.url], response.url, page=False):
                yield self._change_request(url, self.parse_sitemap)
        yield from self._changed_articles(document.entries, response.url)

    def parse_rest(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._changed_articles(parse_rest_posts(response.body), response.url)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._changed_articles(parse_feed(response.body, response.url), response.url)

    def on_change_source_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        self._stat(f"change_sources/failed/{failure_reason(failure)}")
        yield from self._next_change_source(request.meta.get("fallback"))

    def _next_change_source(self, fallback: str | None) -> Iterator[scrapy.Request]:
        """Each change source is used only when it answers; the next one is tried otherwise."""
        if fallback == "sitemap_index":
            yield self._change_request(f"{self.start_url}sitemap_index.xml", self.parse_sitemap, fallback="rest")
        elif fallback == "rest":
            since = self.state.last_successful_start() if self.state else None
            query = f"&modified_after={since}" if since else ""
            url = f"{self.start_url}wp-json/wp/v2/posts?per_page=100&_fields=link,modified_gmt{query}"
            yield self._change_request(url, self.parse_rest, fallback="feed")
        elif fallback == "feed":
            yield self._change_request(f"{self.start_url}feed/", self.parse_feed)

    def _changed_articles(self, entries: list[Entry], base: str) -> Iterator[scrapy.Request]:
        for entry in entries:
            if self._surely_before_since(entry.lastmod):
                # Modified before ``since``, so published before it too.
                self._stat("links/skipped/before_since")
                continue
            for url in self._follow([entry.url], base, article=True):
                key = self.state_key(url)
                if entry.lastmod:
                    self.lastmods[key] = entry.lastmod
                known = self.state.known(key) if self.state else None
                if known is None:
                    yield self._article_request(url)
                elif entry.lastmod and _is_newer(entry.lastmod, known.last_change):
                    self.changed.add(key)
                    self._stat("articles/changed_by_lastmod")
                    yield self._article_request(url)
                elif entry.lastmod and self.state is not None and known.lastmod != entry.lastmod:
                    self.state.note_lastmod(key, entry.lastmod)


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _is_newer(lastmod: str, than: str | None) -> bool:
    """A sitemap date later than what the state knows; an unreadable date counts as a change."""
    if not than:
        return True
    try:
        return _instant(lastmod) > _instant(than)
    except ValueError:
        return True
