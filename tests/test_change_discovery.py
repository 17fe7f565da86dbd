"""ChangeDiscovery alone: its inputs (origin, URL policy, what the state knows, the baseline) and what
it hands back (requests), with no spider, engine or server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Request, TextResponse, XmlResponse

from inquirer_crawler.discovery.change_sources import ChangeDiscovery
from inquirer_crawler.discovery.links import LinkFilter
from inquirer_crawler.discovery.policy import UrlPolicy
from inquirer_crawler.state.outcomes import SiteDates, UrlOutcomes
from inquirer_crawler.state.store import Baseline, KnownArticle

ORIGIN = "http://127.0.0.1:8080/"
SITE = "https://theinquirer.fr/"
INDEX = (
    b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<sitemap><loc>https://theinquirer.fr/wp-sitemap-posts-post-1.xml</loc><lastmod>2022-01-27</lastmod></sitemap>"
    b"<sitemap><loc>https://theinquirer.fr/wp-sitemap-posts-post-2.xml</loc><lastmod>2022-02-01</lastmod></sitemap>"
    b"</sitemapindex>"
)
URLSET = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://theinquirer.fr/known-same/</loc><lastmod>2022-01-10T00:00:00+00:00</lastmod></url>"
    b"<url><loc>https://theinquirer.fr/known-corrected/</loc><lastmod>2022-01-20T00:00:00+00:00</lastmod></url>"
    b"<url><loc>https://theinquirer.fr/new/</loc><lastmod>2022-01-21T00:00:00+00:00</lastmod></url>"
    b"<url><loc>https://elsewhere.example/x/</loc></url></urlset>"
)


def key(url: str) -> str:
    return url.split("://", 1)[1].replace("127.0.0.1:8080", "theinquirer.fr").rstrip("/")


def known(path: str, last: str) -> KnownArticle:
    return KnownArticle(f"theinquirer.fr/{path}", f"{SITE}{path}/", None, None, last, "h")


def discovery(baseline: Baseline | None = None) -> tuple[ChangeDiscovery, UrlOutcomes, list[str]]:
    stats: list[str] = []
    outcomes = UrlOutcomes(key, None)
    policy = UrlPolicy(origin=ORIGIN, aliases={"theinquirer.fr", "127.0.0.1:8080"})
    state = {
        k.key: k
        for k in (
            known("known-same", "2022-01-10T00:00:00+00:00"),
            known("known-corrected", "2022-01-12T00:00:00+00:00"),
        )
    }
    changes = ChangeDiscovery(
        ORIGIN,
        LinkFilter(policy, lambda: outcomes, stats.append),
        state.get,
        baseline or Baseline(),
        outcomes,
        SiteDates(),
        lambda url: scrapy.Request(url),
        stats.append,
    )
    return changes, outcomes, stats


def xml(url: str, body: bytes, **meta: object) -> XmlResponse:
    return XmlResponse(url, body=body, request=Request(url, meta=meta))


def test_an_index_child_is_skipped_only_when_dated_as_at_the_last_complete_run() -> None:
    changes, _, stats = discovery(Baseline(sitemaps={f"{SITE}wp-sitemap-posts-post-1.xml": "2022-01-27"}))
    requests = list(changes.parse_sitemap(xml(f"{ORIGIN}wp-sitemap.xml", INDEX)))
    assert [r.url for r in requests] == [f"{ORIGIN}wp-sitemap-posts-post-2.xml"]  # rebased on the origin
    assert stats == ["sitemaps/skipped/unchanged"]


def test_a_urlset_asks_for_the_new_and_the_changed_and_remembers_its_date() -> None:
    changes, outcomes, _ = discovery()
    child = {"listed_as": f"{SITE}wp-sitemap-posts-post-1.xml", "lastmod": "2022-01-27"}
    requests = list(changes.parse_sitemap(xml(f"{ORIGIN}wp-sitemap-posts-post-1.xml", URLSET, **child)))
    assert [r.url for r in requests] == [f"{ORIGIN}known-corrected/", f"{ORIGIN}new/"]
    assert changes.is_changed("theinquirer.fr/known-corrected")
    assert outcomes.ledger.counts()["failed/offsite"] == 1  # counted, never silently dropped
    baseline = changes.dates.baseline()
    assert baseline is not None and baseline.sitemaps == {f"{SITE}wp-sitemap-posts-post-1.xml": "2022-01-27"}
    assert baseline.newest_modified == "2022-01-21T00:00:00+00:00"


def test_rest_asks_from_the_sites_newest_date_minus_the_margin_and_follows_every_page() -> None:
    changes, _, _ = discovery(Baseline(newest_modified="2022-01-27T08:15:00+00:00"))
    url = changes.rest_url(1)
    assert "modified_after=2022-01-25T08%3A15%3A00%2B00%3A00" in url and "orderby=modified" in url
    body = b'[{"link": "https://theinquirer.fr/new/", "modified_gmt": "2022-01-21T00:00:00"}]'
    page1 = TextResponse(url, body=body, headers={"X-WP-TotalPages": "3"}, request=Request(url, meta={"rest_page": 1}))
    requests = list(changes.parse_rest(page1))
    pages = [parse_qs(urlsplit(r.url).query)["page"] for r in requests if "wp-json" in r.url]
    assert sorted(pages) == [["2"], ["3"]]
    assert [r.url for r in requests if "wp-json" not in r.url] == [f"{ORIGIN}new/"]
