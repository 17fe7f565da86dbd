"""lxml helpers shared by the body pipelines: parse a fragment, serialise it back, read text."""

from __future__ import annotations

import lxml.html
from lxml.etree import ParserError
from lxml.html import HtmlElement

from inquirer_crawler.text import clean_text


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
