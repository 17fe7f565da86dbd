"""lxml helpers: parse a page or a body fragment, serialise it back, read text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from lxml import etree
from lxml.etree import LxmlError
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.http import TextResponse

from inquirer_crawler.items import ArticleDropped
from inquirer_crawler.pages.text import clean_text
from inquirer_crawler.response.encoding import is_utf8


def parse_page(html: str | bytes, url: str | None = None) -> Selector:
    """A page (text, or UTF-8 bytes) parsed as Scrapy's ``response.selector`` parses it (parsel,
    recovering libxml2), with two differences that save ~1.5 ms of a 3-4 ms parse:

    - plain lxml elements: lxml.html's get their class from a Python callback each time Python
      touches one (~0.4 µs, several hundred times a page), which the page code never needs;
    - libxml2 reads UTF-8 bytes: given text, lxml converts it first, and parsel strips and copies it
      twice on the way (~0.8 ms for a 300 KB page, BENCHMARKS.md part 1).

    libxml2 is not asked to index the ``id`` attributes (4 % of the parse): nothing looks elements
    up by id through it (XPath ``id()``); ``#id`` selectors test the attribute."""
    body = html if isinstance(html, bytes) else html.encode("utf-8")
    # parsel calls its parser_cls with keyword arguments: a partial of HTMLParser is one (typed as a class).
    root = create_root_node("", _PAGE_PARSER, base_url=url, body=body, encoding="utf-8")  # type: ignore[arg-type]
    return Selector(root=root, type="html")


_PAGE_PARSER = partial(etree.HTMLParser, collect_ids=False)


def parse_response(response: TextResponse) -> Selector:
    """The response's page: its bytes as they came when they are UTF-8 (no decoding to text and
    encoding back), else its text as Scrapy decoded it."""
    return parse_page(response.body if is_utf8(response.encoding) else response.text, response.url)


_FULL_DOCUMENT = re.compile(r"\s*<(?:html|!doctype)", re.IGNORECASE)


def parse_fragment(html: str) -> etree._Element:
    """The fragment's elements inside one <div> (an empty <div> for empty input), as
    ``lxml.html.fragment_fromstring(html, create_parent="div")`` parses them, but as plain lxml
    elements (see parse_page): the <body> libxml2 puts them in becomes the <div>. Where lxml.html
    fails (no <body>, or markup after a stray ``</body>``), this keeps what there is, and a lone
    surrogate becomes "?"."""
    html = html or ""
    if not _FULL_DOCUMENT.match(html):
        html = f"<html><body>{html}</body></html>"
    document = etree.fromstring(html.encode("utf-8", "replace"), etree.HTMLParser(encoding="utf-8"))
    body = document.find("body") if document is not None else None
    if body is None:
        return etree.Element("div")
    _append_text(body, body.tail)
    body.tail = None
    for stray in list(body.itersiblings()):
        if stray.tag == "body":
            _append_text(body, stray.text)
            body.extend(stray)
        else:
            body.append(stray)
    body.tag = "div"
    body.attrib.clear()
    if body.text is not None and not body.text.strip():
        body.text = None  # as lxml.html: leading whitespace is no text
    return body


def _append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def inner_html(root: etree._Element) -> str:
    """The HTML inside ``root`` (a wrapper without attributes): one serialisation of it, its own
    tags cut off (a call per child costs ~4 µs each on a body of dozens of blocks)."""
    html = etree.tostring(root, method="html", encoding="unicode", with_tail=False)
    start, end = html.find(">") + 1, html.rfind("</")
    return html[start:end] if 0 < start <= end else ""


def text_of(element: etree._Element) -> str:
    """All the text of an element, as lxml.html's text_content(), for plain lxml elements too
    (the page's body arrives as one, see BodyTree): ``"".join(element.itertext())``, which is what
    libxml2's text serialisation writes (the text and CDATA of the subtree, no comment, no
    processing instruction, not the element's own tail) in C, 5-7 times faster than joining the
    pieces of ``itertext`` (tests/test_text.py compares both on every element of every fixture)."""
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def element_text(element: etree._Element) -> str:
    return clean_text(text_of(element))


def remove(element: etree._Element) -> None:
    """Remove an element but keep its tail text in place, as lxml.html's drop_tree does."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


class BodyTree:
    """The body handed from one pipeline step to the next as a tree, so that it is not serialised
    and parsed again at each step (~0.4 ms a page). ``item.body_html`` stays the truth: a step
    takes the tree only while ``body_html`` is the very string the tree was stored with."""

    @staticmethod
    def store(item: Any, root: etree._Element, html: str) -> None:
        """``root`` is a <div> around the body; ``html`` is its inner HTML, now ``item.body_html``."""
        item.body_html = html
        item.page_hints.body_tree = (root, html)

    @staticmethod
    def take(item: Any) -> etree._Element:
        """The stored tree (which the caller may change: it is removed from the item), else
        ``item.body_html`` parsed."""
        stored, item.page_hints.body_tree = item.page_hints.body_tree, None
        if stored is not None and stored[1] is item.body_html:
            return stored[0]
        return parse_fragment(item.body_html)


def links_of(element: etree._Element, base_url: str) -> list[tuple[str, str]]:
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
        raise ArticleDropped("parse_error", item.url, type(error).__name__) from None
