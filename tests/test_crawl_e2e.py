"""End to end: ``scrapy crawl inquirer`` walks the fixture mirror, from replay and from a local server.

The mirror (fixtures/theinquirer.fr/MIRROR.md) has articles reachable only through the
previous/next chain and only through page 2 of a listing; both must be found, every article
exported exactly once, and no request may leave the site.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import EXPECTATIONS, FAST, FIXTURES, crawl_mirror, read_jsonl, run_crawl, validate_record

SITE_ARTICLES = sorted(e.url for e in EXPECTATIONS if e.name.startswith("inquirer-"))
MIRROR_FILES = {
    "/" + str(p.relative_to(FIXTURES / "theinquirer.fr")).removesuffix("index.html")
    for p in (FIXTURES / "theinquirer.fr").rglob("*")
    if p.is_file() and p.suffix != ".md"
}

pytestmark = pytest.mark.skipif(not SITE_ARTICLES, reason="the theinquirer.fr mirror is not in fixtures/")


def exported_urls(out: Path) -> list[str]:
    records = read_jsonl(out)
    for record in records:
        validate_record(record)
    return [record["url"] for record in records]


def test_replay_crawl_exports_every_article_once(tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = run_crawl("inquirer", "-a", "replay=fixtures", "-O", str(out), *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    urls = exported_urls(out)
    assert sorted(urls) == SITE_ARTICLES
    assert "crawl summary: exported " + str(len(SITE_ARTICLES)) in result.stderr


def test_local_server_crawl_exports_every_article_once_and_stays_on_site(tmp_path: Path) -> None:
    crawl = crawl_mirror(tmp_path, "inquirer")
    counts = Counter(crawl.requests)
    assert sorted(r["url"] for r in crawl.records) == SITE_ARTICLES
    # Every request was for a page of the mirror (robots.txt included), each at most once, except
    # the probe of the script-paginated Sciences listing's page 2, which 404s and ends it.
    assert set(counts) - MIRROR_FILES == {"/category/sciences/page/2/"}
    assert max(counts.values()) == 1, counts.most_common(3)
    article_paths = {urlsplit(u).path for u in SITE_ARTICLES}
    assert article_paths <= set(counts)


def test_generic_spider_crawls_another_sites_markup_with_no_registry_entry(tmp_path: Path) -> None:
    """A mirror in guineenews.org's real markup (Newspaper 10.3.7 classic) under a host the registry
    does not know: ``newspaper -a start=`` finds every article through the listing and the chain."""
    from benchmarks.make_mirror import make_mirror
    from inquirer_crawler.sites import SITES

    host = "journal-exemple.test"
    assert host not in SITES
    info = make_mirror(tmp_path / "mirror", host, articles=6, per_page=4)
    crawl = crawl_mirror(tmp_path, "newspaper", host=host, root=tmp_path / "mirror")
    assert sorted(r["url"] for r in crawl.records) == sorted(info.article_urls)
    assert {r["site"] for r in crawl.records} == {host}
    assert all(r["language"] == "fr" and r["author"] == "Tokpanan Doré" for r in crawl.records)
    counts = Counter(crawl.requests)
    assert max(counts.values()) == 1
    served = {
        "/" + str(p.relative_to(tmp_path / "mirror" / host)).removesuffix("index.html")
        for p in (tmp_path / "mirror" / host).rglob("*")
        if p.is_file()
    }
    # Not in this mirror: the change sources a cron run asks for, each once, each a 404.
    change_sources = {"/wp-sitemap.xml", "/sitemap_index.xml", "/feed/"}
    unserved = {p for p in counts if p not in served and not p.startswith("/wp-json/")}
    assert unserved <= change_sources, unserved
