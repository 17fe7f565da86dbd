"""The Python matcher of simple selectors agrees with lxml's CSSSelector on the real pages."""

from __future__ import annotations

import lxml.html
import pytest
from lxml.cssselect import CSSSelector

from inquirer_crawler.pages.simple_css import SelectorGroups
from inquirer_crawler.pipelines.drop_cross_promo import (
    ADS_SELECTORS,
    FURNITURE_SELECTORS,
    NOISE_SELECTORS,
    RELATED_SELECTORS,
    SHARE_SELECTORS,
)
from inquirer_crawler.response.replay import mirror_path
from tests.conftest import EXPECTATIONS, FIXTURES

ALL_SELECTORS = NOISE_SELECTORS + ADS_SELECTORS + SHARE_SELECTORS + FURNITURE_SELECTORS + RELATED_SELECTORS
# Every operator and shape the matcher knows, beyond the pipelines' own lists.
OPERATORS = (
    '[href$=".pdf"]',
    '[href$="/"]',
    '[rel~="nofollow"]',
    '[rel~=""]',
    "[data-src]",
    '[class=""]',
    '[id="comments"]',
    '[class^=""]',
    "div#page.td-container",
    "a[href]",
    "span.td-nr-views-55605",
    'a.td-image-wrap[rel~="bookmark"]',
)


@pytest.fixture(scope="module")
def real_pages() -> list[lxml.html.HtmlElement]:
    pages = []
    for expectation in EXPECTATIONS:
        if not expectation.name.startswith("inquirer-"):
            path = mirror_path(FIXTURES, expectation.url)
            assert path is not None
            pages.append(lxml.html.fromstring(path.read_bytes().decode("utf-8")))
    return pages


@pytest.mark.parametrize("css", ALL_SELECTORS + OPERATORS)
def test_each_selector_finds_what_lxml_finds_on_whole_real_pages(css: str, real_pages: list) -> None:
    for root in real_pages:
        expected = [e for e in CSSSelector(css, translator="html")(root) if e is not root]
        assert list(_matches(SelectorGroups([[css]]), root)) == expected


def test_selectors_that_are_matched_on_the_real_pages_are_not_all_empty(real_pages: list) -> None:
    # The agreement above must be about something: these selectors do match on the saved pages.
    for css in ("script", ".td-post-sharing", '[class*="td-adspot"]', ".td_module_wrap", "#comments"):
        assert any(list(_matches(SelectorGroups([[css]]), root)) for root in real_pages), css


def test_each_element_goes_to_the_first_group_lxml_finds_it_in_on_whole_real_pages(real_pages: list) -> None:
    groups = [NOISE_SELECTORS, ADS_SELECTORS, SHARE_SELECTORS, FURNITURE_SELECTORS, RELATED_SELECTORS]
    matcher = SelectorGroups(groups)
    for root in real_pages:
        taken: set = {root}
        expected = []
        for group in groups:
            matched = [e for e in CSSSelector(", ".join(group), translator="html")(root) if e not in taken]
            taken.update(matched)
            expected.append(matched)
        assert matcher.first_matches(root) == expected
        assert sum(map(len, expected)) > 20  # about something: dozens of elements on each page


def test_first_matches_gives_each_element_to_its_first_group() -> None:
    root = lxml.html.fragment_fromstring(
        '<div><p class="ad related">x</p><p class="related">y</p><script></script><p>text</p></div>'
    )
    ads, related = SelectorGroups([[".ad", "script"], [".related"]]).first_matches(root)
    assert [e.text or e.tag for e in ads] == ["x", "script"]
    assert [e.text for e in related] == ["y"]


@pytest.mark.parametrize(
    "css", ["div p", "div > p", "p:first-child", "p::text", "a:not(.x)", "p + p", '[lang|="fr"]', "*"]
)
def test_anything_beyond_one_element_is_refused_when_built(css: str) -> None:
    with pytest.raises(ValueError, match="not a simple selector"):
        SelectorGroups([[css]])


def test_a_site_with_a_selector_the_pipeline_cannot_apply_is_refused_at_registry_time() -> None:
    from inquirer_crawler.sites.config import SiteConfig

    with pytest.raises(ValueError, match=r"div \.promo"):
        SiteConfig(("example.test",), extra_junk_selectors=("div .promo",))


def _matches(selectors: SelectorGroups, root: lxml.html.HtmlElement) -> list:
    return [e for e in root.iter() if e is not root and selectors.first_group(e) == 0]


def test_an_attribute_value_ending_in_a_newline_is_not_an_exact_match() -> None:
    root = lxml.html.fragment_fromstring('<div><p id="a&#10;">x</p><p class="b&#10;">y</p><p id="a">z</p></div>')
    css = ['[id="a"]', '[class$="b"]']
    expected = CSSSelector(", ".join(css), translator="html")(root)
    assert SelectorGroups([css]).first_matches(root)[0] == expected
    assert [e.text for e in expected] == ["z"]


def test_remembered_answers_stay_right_across_pages_and_past_their_bound() -> None:
    matcher = SelectorGroups([[".ad", '[id^="taboola"]'], [".related"]])
    # The same classes on two pages, then a page of ids each seen once (tagDiv's "tdi_123"), enough
    # to empty the memory of answers on the way.
    pages = [
        '<div><p class="ad">a</p><p class="related">r</p><p>t</p></div>',
        '<div><p class="related">r</p><p class="ad">a</p><p id="taboola-1">x</p></div>',
        "<div>"
        + "".join(f'<p id="tdi_{n}" class="related">{n}</p>' for n in range(5000))
        + '<p class="ad">a</p></div>',
    ]
    for html in pages:
        root = lxml.html.fragment_fromstring(html)
        expected = [[e for e in root.iter() if e is not root and matcher.first_group(e) == g] for g in (0, 1)]
        assert matcher.first_matches(root) == expected
    assert len(expected[1]) == 5000
