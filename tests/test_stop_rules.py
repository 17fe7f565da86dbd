"""Stop rules and filters against the local mirror server, with the requests they cost.

The mirror's chain (fixtures/theinquirer.fr/MIRROR.md): 12 articles, 17 to 26 January 2022;
4109 (24 Jan 14:30), 4110, 4111 and 4112 are the ones published on or after 24 January.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import crawl_mirror

ON_OR_AFTER_24_JAN = {
    "/les-bourses-europeennes-plongent-face-aux-craintes-dun-conflit-en-ukraine/",
    "/burkina-faso-des-militaires-annoncent-avoir-pris-le-pouvoir-et-suspendu-la-constitution/",
    "/le-telescope-spatial-james-webb-a-atteint-son-poste-dobservation-a-15-million-de-kilometres-de-la-terre/",
    "/la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars/",
}
ULLIEL_22_JAN = "/lacteur-francais-gaspard-ulliel-est-decede-a-lage-de-37-ans-des-suites-dun-accident-de-ski/"
LISTINGS = {"/", "/category/internationales/", "/category/economie/", "/category/societe/", "/category/sciences/"}
SITEMAPS = {"/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"}  # listed in robots.txt


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_since_exports_only_newer_articles_and_stops_listings_and_the_chain(tmp_path: Path) -> None:
    crawl = crawl_mirror(tmp_path, "inquirer", "-a", "since=2022-01-24")
    assert {path_of(r["url"]) for r in crawl.records} == ON_OR_AFTER_24_JAN
    # Requests: robots.txt and the sitemaps it names (entries modified before 24 January are not
    # followed), the home page and four section listings (no page 2: each first page already reaches
    # back before 24 January), the four newer articles, and 4108 — the previous of 4109, fetched to
    # learn its date; its own previous is not followed.
    assert sorted(crawl.requests) == sorted({"/robots.txt", *SITEMAPS, *LISTINGS, *ON_OR_AFTER_24_JAN, ULLIEL_22_JAN})
    assert "skipped 1 (before_since=1)" in crawl.summary()


def test_max_articles_stops_the_crawl_after_n_exports(tmp_path: Path) -> None:
    crawl = crawl_mirror(tmp_path, "inquirer", "-a", "max_articles=3", "-s", "CONCURRENT_REQUESTS=1")
    assert len(crawl.records) == 3
    discovery = {"/robots.txt", "/", *SITEMAPS}
    article_requests = [p for p in crawl.requests if p not in discovery and not p.startswith("/category/")]
    # One request at a time: at most one article was already on its way when the third was exported.
    assert 3 <= len(article_requests) <= 4, crawl.requests
    assert len(crawl.requests) < 22  # a full crawl of the mirror makes 22
    assert "finish reason max_articles" in crawl.summary()


def test_sections_reads_only_those_listings(tmp_path: Path) -> None:
    crawl = crawl_mirror(tmp_path, "inquirer", "-a", "sections=economie")
    assert {r["section"] for r in crawl.records} == {"Économie"}
    assert {path_of(r["url"]) for r in crawl.records} == {
        "/les-bourses-europeennes-plongent-face-aux-craintes-dun-conflit-en-ukraine/",
        "/la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars/",
    }
    assert not {p for p in crawl.requests if p.startswith("/category/")} - {"/category/economie/"}
    assert "/" not in crawl.requests
