"""Discovery from saved pages, without the network: listing links in order, the next listing page,
and what an article page leads to (its previous and next)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parsel import Selector

from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.listing import ListingPage
from inquirer_crawler.response.replay import mirror_path
from tests.conftest import EXPECTATIONS, EXPECTED_DIR, FIXTURES

LISTING_EXPECTATIONS = sorted((EXPECTED_DIR / "listings").glob("*.json"))


def saved_page(url: str) -> Selector:
    path = mirror_path(FIXTURES, url)
    assert path is not None and path.is_file(), url
    return Selector(text=path.read_bytes().decode("utf-8"))


@pytest.mark.parametrize("expected_file", LISTING_EXPECTATIONS, ids=lambda p: p.stem)
def test_listing_article_links_in_page_order(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text("utf-8"))
    page = ListingPage(expected["url"], saved_page(expected["url"]))
    assert page.article_urls() == expected["articles"]


@pytest.mark.parametrize("expected_file", LISTING_EXPECTATIONS, ids=lambda p: p.stem)
def test_listing_next_page(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text("utf-8"))
    page = ListingPage(expected["url"], saved_page(expected["url"]))
    assert page.next_page_url(build_when_scripted=False) == expected["next_page"]


def test_script_paginated_listing_builds_the_next_page_number() -> None:
    url = "https://theinquirer.fr/category/sciences/"
    page = ListingPage(url, saved_page(url))
    assert page.next_page_url() == "https://theinquirer.fr/category/sciences/page/2/"


@pytest.mark.parametrize(
    "expectation", [e for e in EXPECTATIONS if e.name.startswith("inquirer-")], ids=lambda e: e.name
)
def test_article_page_leads_to_its_previous_and_next(expectation: object) -> None:
    data = expectation.data  # type: ignore[attr-defined]
    page = ArticlePage(data["fixture_url"], saved_page(data["fixture_url"]), site=_site())
    found = [link["url"] if link else None for link in (page.previous(), page.next())]
    assert found == [data["fields"]["previous"], data["fields"]["next"]]


def _site():  # type: ignore[no-untyped-def]
    from inquirer_crawler.sites.inquirer_fr import INQUIRER_FR

    return INQUIRER_FR
