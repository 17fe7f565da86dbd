"""Field-level isolation (issue 12, finding 4): one bad field costs that field, never the record.

Each field of ArticlePage.to_item() is extracted on its own: an exception in one leaves it empty,
is logged with the URL and the field's name, and is counted ``fields/failed/<field>`` by the
spider. Only a missing title, body or publication date drops a record (the validate pipeline).
"""

from __future__ import annotations

import logging
import re

import pytest
from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from inquirer_crawler.items import EXPORT_FIELDS, ArticleDropped, ArticleItem
from inquirer_crawler.pages import selectors
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.sites import INQUIRER_FR
from inquirer_crawler.spiders.newspaper import NewspaperSpider
from tests.conftest import FIXTURES, run_pipelines, validate_record
from tests.test_pages import FETCHED

URL = "https://theinquirer.fr/la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars/"
PAGE = FIXTURES / "theinquirer.fr" / "la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars" / "index.html"


def fed(transform: object = None) -> str:
    html = PAGE.read_text("utf-8")
    return transform(html) if callable(transform) else html


def test_a_comment_beside_the_post_article_is_not_an_element_the_page_code_trips_on() -> None:
    # Was: ValueError "Input object is not an XML element: lxml.etree._Comment" from etree.iterwalk,
    # and the spider dropped the whole article as parse_error.
    html = fed(
        lambda h: h.replace('<article id="template-id-3187"', '<!-- c --><?pi x?><article id="template-id-3187"', 1)
    )
    page = ArticlePage.from_html(html, URL, INQUIRER_FR, fetched_at=FETCHED)
    item = page.to_item()
    assert page.failed_fields == []
    assert item.title == "La Fed ouvre la voie à une hausse de ses taux dès le mois de mars"
    assert item.section == "Économie"


def test_a_breadcrumb_position_that_is_no_number_keeps_the_section() -> None:
    # Was: ValueError from int("un") in pages/jsonld.py, the record lost as parse_error.
    def breadcrumb_only_in_jsonld(html: str) -> str:
        html = re.sub(
            r'<div class="tdb-block-inner td-fix-index"><span><a title="" class="tdb-entry-crumb".*?</div>',
            "",
            html,
            count=1,
            flags=re.DOTALL,
        )
        html = re.sub(r'<ul class="tdb-category td-category">.*?</ul>', "", html, flags=re.DOTALL)
        return html.replace('"position":1,', '"position":"un",', 1)

    html = fed(breadcrumb_only_in_jsonld)
    page = ArticlePage.from_html(html, URL, INQUIRER_FR, fetched_at=FETCHED)
    assert page.query.first(selectors.BREADCRUMB) == []  # the section can only come from the JSON-LD
    assert page.to_item().section == "Économie"
    assert page.failed_fields == []


@pytest.mark.parametrize("field", ["author", "section", "image", "tags", "previous", "views", "summary"])
def test_a_field_that_raises_is_empty_logged_and_the_record_kept(
    field: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: ArticlePage) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(ArticlePage, field, broken)
    with caplog.at_level(logging.WARNING, logger="inquirer_crawler.pages.article"):
        page = ArticlePage.from_html(fed(), URL, INQUIRER_FR, fetched_at=FETCHED)
        item = page.to_item()
    assert page.failed_fields == [field]
    empty = ArticleItem(url=URL, site="theinquirer.fr")
    assert getattr(item, field) == getattr(empty, field)
    assert item.title and item.published and item.body_html  # the rest of the record is there
    assert [r.getMessage() for r in caplog.records] == [f"field {field} failed on {URL}: ValueError: boom"]
    exported = record_of(item)
    assert exported[field] in (None, [])


def record_of(item: ArticleItem) -> dict[str, object]:
    item = run_pipelines(item)
    exported = {name: ItemAdapter(item)[name] for name in EXPORT_FIELDS}
    validate_record(exported)
    return exported


@pytest.mark.parametrize(
    ("field", "reason"), [("title", "missing_title"), ("body_html", "missing_body"), ("published", "missing_published")]
)
def test_only_title_body_and_date_drop_the_record(field: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ArticlePage) -> object:
        raise KeyError("x")

    monkeypatch.setattr(ArticlePage, field, broken)
    page = ArticlePage.from_html(fed(), URL, INQUIRER_FR, fetched_at=FETCHED)
    with pytest.raises(ArticleDropped) as dropped:
        run_pipelines(page.to_item())
    assert dropped.value.reason == reason


def test_the_spider_counts_a_failed_field_and_exports_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ArticlePage) -> object:
        raise AttributeError("no")

    monkeypatch.setattr(ArticlePage, "author", broken)
    crawler = get_crawler(NewspaperSpider)
    spider = NewspaperSpider.from_crawler(crawler, urls=URL)
    crawler.stats.open_spider()
    response = HtmlResponse(
        URL, body=PAGE.read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"}, request=Request(URL)
    )
    items = [out for out in spider.parse_article(response) if isinstance(out, ArticleItem)]
    assert len(items) == 1 and items[0].author is None and items[0].title
    assert crawler.stats.get_value("fields/failed/author") == 1
    assert crawler.stats.get_value("articles/dropped/parse_error") is None
