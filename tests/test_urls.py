"""URL hygiene: tracking parameters and fragments go, and the shortcut for already-safe URLs
answers exactly what w3lib's safe_url_string would."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from w3lib.url import safe_url_string

from inquirer_crawler.discovery.urls import _cleaned, _safe, clean_url
from inquirer_crawler.response.replay import mirror_path
from tests.conftest import EXPECTATIONS, FIXTURES


def test_tracking_parameters_and_fragment_are_removed() -> None:
    assert (
        clean_url("/a/?utm_source=x&id=3&fbclid=y#comments", base="https://theinquirer.fr/b/")
        == "https://theinquirer.fr/a/?id=3"
    )


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://Example.COM/A",
        "https://EXAMPLE.com/?q=a+b&r=%C3%A9",
        "https://example.com/a b",
        "https://example.com/été",
        "https://example.com/a%zz",
        "https://exa%41mple.com/",
        "https://user:pw@example.com:8443/x",
        "https://xn--caf-dma.com/",
        "mailto:X@Y.com",
        "mailto:x@y.com",
        "a/b",
    ],
)
def test_the_shortcut_answers_as_safe_url_string(url: str) -> None:
    assert _safe(url) == safe_url_string(url)


def fixture_links() -> set[tuple[str, str]]:
    """(link as written, the page's URL) of every link, image and <link> of the article fixtures."""
    pairs = set()
    for expectation in EXPECTATIONS:
        path = mirror_path(FIXTURES, expectation.url)
        assert path is not None
        root = etree.fromstring(path.read_bytes(), etree.HTMLParser())
        for element in root.iter("a", "img", "link"):
            for attribute in ("href", "src", "data-src"):
                if value := element.get(attribute):
                    pairs.add((value, expectation.url))
    assert len(pairs) > 500
    return pairs


def test_the_shortcut_answers_as_safe_url_string_for_every_link_of_the_fixtures() -> None:
    urls = {urljoin(base, value.strip()) for value, base in fixture_links()}
    assert [url for url in urls if _safe(url) != safe_url_string(url)] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a/b/",
        "https://example.com",
        "http://example.com/a",  # another scheme than the base's
        "https://example.com:8443/a",
        "https://Example.com/a",
        "HTTPS://example.com/a",
        "https://example.com/a/?utm_source=x",
        "https://example.com/a#top",
        "https://example.com/a;p=1",
        "https://example.com/a b",
        "https://example.com/a%2",
        "https://example.com/%C3%A9t%C3%A9/",
        "https://example.com/a/../b/./c",
        "https://example.com//double",
        "https:///no-host",
        "https://user@example.com/",
        "https://[::1]/",
        "https://exa%41mple.com/",
        "  https://example.com/padded  ",
        "/relative/",
        "//example.org/protocol-relative",
    ],
)
def test_the_already_clean_shortcut_answers_as_the_full_path(url: str) -> None:
    base = "https://theinquirer.fr/un-article/"
    assert clean_url(url, base=base) == _cleaned(url.strip(), base)


def test_the_already_clean_shortcut_answers_as_the_full_path_for_every_link_of_the_fixtures() -> None:
    pairs = fixture_links()
    assert [(url, base) for url, base in pairs if clean_url(url, base=base) != _cleaned(url.strip(), base)] == []


@given(
    base=st.sampled_from(
        [
            "https://theinquirer.fr/un-article/",
            "https://theinquirer.fr/un-article/?p=12&utm_source=x",
            "https://theinquirer.fr/un-article/#haut",
            "https://Example.COM/a b/?q=é#f",
            "http://site.test/page;params?x=1",
        ]
    ),
    fragment=st.text(min_size=1, max_size=12),
)
@settings(max_examples=400, deadline=None)
def test_every_link_into_the_page_itself_cleans_to_the_same_url(base: str, fragment: str) -> None:
    # The clean-body step cleans "#note-1", "#note-2" … once, as "#_" (pipelines/clean_body.py).
    href = ("#" + fragment).strip()
    if len(href) > 1:
        assert clean_url(href, base=base) == clean_url("#_", base=base)
