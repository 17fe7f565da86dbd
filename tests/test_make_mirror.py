"""benchmarks/make_mirror.py: a small synthetic mirror (5 articles, 2 per listing page) is complete,
self-consistent and free of the template site's host."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html

from benchmarks.make_mirror import DEFAULT_TEMPLATE, MirrorInfo, make_mirror
from tests.conftest import FIXTURES

HOST = "mirror.example.test"
N = 5
PER_PAGE = 2
# Links a wget mirror does not hold and the crawler never follows.
EXEMPT_PATH = re.compile(r"/(?:tag|author|feed)(?:/|$)|^/wp-[\w-]+(?:/|$)|/xmlrpc\.php$")


def mirror_file(root: Path, url: str) -> Path:
    path = urlsplit(url).path or "/"
    return root / HOST / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))


def generated_pages(root: Path) -> dict[str, Path]:
    """URL path ("/a/b/") -> file, for every HTML page of the mirror."""
    site = root / HOST
    return {"/" + str(p.relative_to(site)).removesuffix("index.html"): p for p in site.rglob("index.html")}


def parse(path: Path) -> html.HtmlElement:
    return html.document_fromstring(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MirrorInfo]:
    root = tmp_path_factory.mktemp("mirror")
    return root, make_mirror(root, HOST, N, DEFAULT_TEMPLATE, per_page=PER_PAGE)


def check_links_resolve(root: Path, info: MirrorInfo) -> int:
    pages = generated_pages(root)
    last_page = len(info.listing_urls)
    checked = 0
    for path, file in pages.items():
        for href in parse(file).xpath("//a/@href"):
            parts = urlsplit(urljoin(f"https://{HOST}{path}", href.strip()))
            if parts.netloc != HOST:
                continue
            target = parts.path or "/"
            beyond = re.search(r"/page/(\d+)/$", target)
            if EXEMPT_PATH.search(target) or (beyond and int(beyond.group(1)) > last_page):
                continue
            assert target in pages, f"{path} links to {href}, which the mirror does not hold"
            checked += 1
    return checked


def test_info_and_layout(mirror: tuple[Path, MirrorInfo]) -> None:
    root, info = mirror
    assert info.host == HOST
    assert info.home_url == f"https://{HOST}/"
    assert len(info.article_urls) == len(set(info.article_urls)) == N
    assert info.article_urls[0].startswith(f"https://{HOST}/article-00001-")
    assert info.listing_urls == [
        f"https://{HOST}/category/actualites/",
        f"https://{HOST}/category/actualites/page/2/",
        f"https://{HOST}/category/actualites/page/3/",
    ]
    assert (root / HOST / "robots.txt").read_text("utf-8") == "User-agent: *\nDisallow: /wp-admin/\n"
    for url in [info.home_url, *info.listing_urls]:
        assert mirror_file(root, url).is_file(), url


def test_every_article_exists_parses_and_is_canonical(mirror: tuple[Path, MirrorInfo]) -> None:
    root, info = mirror
    for url in info.article_urls:
        doc = parse(mirror_file(root, url))
        assert doc.xpath("//link[@rel='canonical']/@href") == [url]
        assert doc.xpath("//meta[@property='og:url']/@content") == [url]
        assert doc.xpath("//h1[contains(@class,'entry-title')]")
        assert doc.xpath("//div[contains(@class,'td-post-content')]//text()[normalize-space()]")


def test_titles_post_ids_and_dates_are_unique_and_ordered(mirror: tuple[Path, MirrorInfo]) -> None:
    root, info = mirror
    titles, ids, published = [], [], []
    for url in info.article_urls:
        doc = parse(mirror_file(root, url))
        titles.append(" ".join(doc.xpath("string(//h1[contains(@class,'entry-title')])").split()))
        ids.append(re.search(r"\bpostid-(\d+)\b", doc.xpath("string(//body/@class)")).group(1))  # type: ignore[union-attr]
        published.append(doc.xpath("string(//meta[@property='article:published_time']/@content)"))
        # The post id is the same wherever WordPress prints it.
        assert doc.xpath(f"//article[@id='post-{ids[-1]}']")
        assert doc.xpath("//link[@rel='shortlink']/@href") == [f"https://{HOST}/?p={ids[-1]}"]
        assert doc.xpath(f"//time[@datetime='{published[-1]}']"), "the header's time element follows the meta"
    assert len(set(titles)) == N, titles
    assert all(t.startswith("Colonel Barry accusé pour") for t in titles)
    assert len(set(ids)) == N
    assert published == sorted(published) and len(set(published)) == N
    assert all(p.endswith("+00:00") for p in published)  # same format as the template


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_TEMPLATE,
        # oldest post (empty previous cell), newest tdb post (empty next cell), old theme (no next cell at all)
        *sorted((FIXTURES / "theinquirer.fr").glob("la-coree-du-nord-*/index.html")),
        *sorted((FIXTURES / "theinquirer.fr").glob("la-fed-ouvre-*/index.html")),
        *sorted((FIXTURES / "worldtruth.tv").glob("*/index.html")),
    ],
    ids=lambda p: p.parent.parent.name if p.parent.parent.name != "theinquirer.fr" else p.parent.name[:12],
)
def test_previous_next_chain(template: Path, tmp_path: Path) -> None:
    info = make_mirror(tmp_path, HOST, N, template, per_page=PER_PAGE)
    cell = "//div[contains(@class,'td-post-{0}-post') or contains(@class,'tdb-post-{0}')]//a"
    for i, url in enumerate(info.article_urls):
        doc = parse(mirror_file(tmp_path, url))
        for side, j in (("prev", i - 1), ("next", i + 1)):
            links = doc.xpath(cell.format(side))
            if 0 <= j < N:
                assert [a.get("href") for a in links] == [info.article_urls[j]], (url, side)
                assert links[0].text_content().strip().endswith(f"n°{j + 1}")
            else:
                assert links == [], (url, side)
        if doc.xpath("//link[@rel='prev' or @rel='next']"):
            assert doc.xpath("//link[@rel='prev']/@href") == info.article_urls[max(i - 1, 0) : i]
            assert doc.xpath("//link[@rel='next']/@href") == info.article_urls[i + 1 : i + 2]
    assert check_links_resolve(tmp_path, info) > 0


def test_every_internal_link_resolves(mirror: tuple[Path, MirrorInfo]) -> None:
    root, info = mirror
    assert check_links_resolve(root, info) > 100


def test_template_host_is_gone_from_links(mirror: tuple[Path, MirrorInfo]) -> None:
    root, _ = mirror
    for path, file in generated_pages(root).items():
        doc = parse(file)
        values = doc.xpath("//@href | //@src | //@action | //meta/@content")
        leaked = [v for v in values if "guineenews.org" in v.lower()]
        assert not leaked, (path, leaked[:3])


def test_listings_reach_every_article_newest_first(mirror: tuple[Path, MirrorInfo]) -> None:
    root, info = mirror
    main = (
        "//div[contains(@class,'td-main-content-wrap')]/div[contains(@class,'td-container')]"
        "/div[contains(@class,'td-pb-row')]/div[contains(@class,'td-main-content')]"
        "/div[contains(@class,'td-ss-main-content')]"
    )
    module = main + "/div[contains(@class,'td_module_10') and contains(@class,'td_module_wrap')]"
    listed: list[str] = []
    for number, url in enumerate(info.listing_urls, start=1):
        doc = parse(mirror_file(root, url))
        assert doc.xpath("//link[@rel='canonical']/@href") == [url]
        titles = doc.xpath(module + "//h3[contains(@class,'td-module-title')]/a[@rel='bookmark'][@title]/@href")
        dates = doc.xpath(
            module + "//span[contains(@class,'td-post-date')]/time[contains(@class,'entry-date')]/@datetime"
        )
        assert len(titles) == len(dates) <= PER_PAGE
        assert dates == sorted(dates, reverse=True)
        listed += titles
        nav = doc.xpath(main + "/div[contains(@class,'page-nav')]")
        assert len(nav) == 1
        assert nav[0].xpath("string(span[@class='pages'])") == f"Page {number} sur {len(info.listing_urls)}"
        assert nav[0].xpath("string(span[@class='current'])") == str(number)
        previous = nav[0].xpath("a[i[contains(@class,'td-icon-menu-left')]]/@href")
        following = nav[0].xpath("a[i[contains(@class,'td-icon-menu-right')]]/@href")
        assert previous == info.listing_urls[max(number - 2, 0) : number - 1]
        assert following == info.listing_urls[number : number + 1]
        sidebar = doc.xpath("//div[contains(@class,'td-main-sidebar')]//div[contains(@class,'td_block_7')]//h3/a/@href")
        assert len(sidebar) == min(5, N) and set(sidebar) <= set(info.article_urls)
    assert listed == info.article_urls[::-1]

    home = parse(mirror_file(root, info.home_url))
    assert home.xpath(module + "//h3/a/@href") == info.article_urls[::-1][:PER_PAGE]
    menu = home.xpath("//ul[contains(@class,'sf-menu')]//a/@href")
    assert f"https://{HOST}/category/actualites/" in menu
    size = mirror_file(root, info.home_url).stat().st_size
    assert 60_000 <= size <= 150_000, size


def test_cli_writes_the_same_mirror(tmp_path: Path) -> None:
    from benchmarks.make_mirror import main

    assert main(["--out", str(tmp_path), "--host", HOST, "--articles", "3", "--per-page", "2"]) == 0
    files = sorted(str(p.relative_to(tmp_path / HOST)) for p in (tmp_path / HOST).rglob("*") if p.is_file())
    assert len(files) == 3 + 1 + 2 + 1  # articles, home, 2 listing pages, robots.txt
    assert main(["--out", str(tmp_path), "--host", "www.guineenews.org", "--articles", "1"]) == 1
