"""lxml helpers: parse a page or a body fragment, serialise it back, read text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import lxml.html
from lxml import etree
from lxml.etree import LxmlError, ParserError
from lxml.html import HtmlElement
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.exceptions import DropItem

from inquirer_crawler.text import clean_text


def parse_page(html: str, url: str | None = None) -> Selector:
    """A page parsed as Scrapy's ``response.selector`` parses it (parsel, recovering libxml2), but
    into plain lxml elements. lxml.html's elements get their class from a Python callback each time
    Python touches one (~0.4 µs, several hundred times a page), which the page code never needs."""
    return Selector(root=create_root_node(html, etree.HTMLParser, base_url=url), type="html")


def parse_fragment(html: str) -> HtmlElement:
    """The fragment's elements inside one <div> (an empty <div> for empty or broken input)."""
    try:
        return lxml.html.fragment_fromstring(html or "", create_parent="div")
    except (ParserError, ValueError):
        return lxml.html.fragment_fromstring("", create_parent="div")


def inner_html(root: HtmlElement) -> str:
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def element_text(element: HtmlElement) -> str:
    return clean_text(element.text_content())


def remove(element: HtmlElement) -> None:
    """Remove an element but keep its tail text in place (drop_tree does exactly that)."""
    if element.getparent() is not None:
        element.drop_tree()


def links_of(element: HtmlElement, base_url: str) -> list[tuple[str, str]]:
    """(href, text) of the element's links, the element itself included when it is a link."""
    anchors = [element] if element.tag == "a" else []
    anchors += element.iter("a")
    found = []
    for anchor in anchors:
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:", "mailto:")):
            found.append((href, element_text(anchor)))
    return found


@contextmanager
def unparsable_page_dropped(item: Any, stats: Any) -> Iterator[None]:
    """A body no parser can walk (100k nested divs, broken trees) drops the page, never the crawl."""
    try:
        yield
    except (RecursionError, ValueError, LxmlError) as error:
        if stats is not None:
            stats.inc_value("articles/dropped/parse_error")
        raise DropItem(f"parse_error: {item.url} ({type(error).__name__})", log_level="WARNING") from None
