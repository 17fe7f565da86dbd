"""Pipeline step 2: rebuild the body as flat, sanitised HTML and derive its plain text.

tagDiv bodies are not always ``<p>``: guineenews writes plain ``div`` paragraphs, djz nests
page-builder rows, elpaiscr splits words across spans. So the body is first flattened into
blocks (a ``div`` holding only inline content becomes a ``p``), then sanitised with nh3 against
the record's allow-list, then read back for ``body``, ``images`` and ``word_count``.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from lxml import etree

from inquirer_crawler.discovery.urls import clean_url, is_http_url
from inquirer_crawler.items import ArticleItem, Image
from inquirer_crawler.pages.dom import (
    BodyTree,
    element_text,
    inner_html,
    parse_fragment,
    text_of,
    unparsable_page_dropped,
)
from inquirer_crawler.pages.text import (
    clean_text,
    collapse_spaces,
    has_text,
    strip_invisible,
    word_count,
)
from inquirer_crawler.pipelines.base import CrawlerPipeline
from inquirer_crawler.pipelines.normalize import decode_entities_once
from inquirer_crawler.response.encoding import fix_mojibake

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "strong",
    "em",
    "figure",
    "img",
    "figcaption",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
_RENAMES = {"b": "strong", "i": "em", "h1": "h2", "h5": "h4", "h6": "h4"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_LISTS = {"ul", "ol"}
_CONTAINERS = {
    "div",
    "section",
    "article",
    "aside",
    "main",
    "header",
    "footer",
    "center",
    "table",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "dl",
    "dd",
    "dt",
    "details",
    "summary",
    "address",
}
# Inline wrappers that some editors (Word paste, page builders) wrap whole paragraphs in.
_INLINE_WRAPPERS = {"span", "font", "a", "strong", "em", "b", "i", "u"}
_BLOCKS = _HEADINGS | _LISTS | _CONTAINERS | {"p", "blockquote", "figure", "li", "pre", "hr", "img"}
# A caption printed as its own block after an image (djz: div.bildunterschrift > h6).
_CAPTION_CLASS = re.compile(
    r"(?:^|\s)(?:[\w-]*caption-text|caption|image-caption|bildunterschrift|legende|légende)(?:\s|$)", re.IGNORECASE
)
_LAZY_SRC = ("data-lazy-src", "data-src", "data-original", "src")


class _Flattener:
    """Turns an arbitrary body tree into a list of top-level blocks."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.blocks: list[etree._Element] = []
        self._inline: list[Any] = []  # strings and inline elements waiting for a paragraph
        self._tag = "p"  # the tag the waiting inline content will get
        self._holds_blocks: set[etree._Element] = set()

    def run(self, root: etree._Element) -> list[etree._Element]:
        self._holds_blocks = _holding_blocks(root)
        self._walk(root)
        self._flush()
        return self.blocks

    def _walk(self, container: etree._Element) -> None:
        self._add_text(container.text)
        # A snapshot, and each tail taken off first: inline children are moved into the new
        # blocks as they are (not copied), and their tails are walked as text of their own.
        for child in list(container):
            tail, child.tail = child.tail, None
            if isinstance(child.tag, str):
                self._visit(child)
            self._add_text(tail)

    def _visit(self, el: etree._Element) -> None:
        tag = el.tag
        if tag == "br":
            self._flush()
        elif tag == "img":
            self._flush()
            self._add_figure(el, None)
        elif tag == "figure":
            self._flush()
            self._add_figure(next(el.iter("img"), None), el.find(".//figcaption"))
        elif tag in _LISTS or tag == "blockquote":
            self._flush()
            self.blocks.append(el)
        elif _CAPTION_CLASS.search(el.get("class", "")) and (figure := self._last_figure_without_caption()) is not None:
            # The figure found before flushing: text waiting between it and its caption becomes a
            # paragraph after it, and the caption still goes to the figure (not to that paragraph).
            self._flush()
            caption = etree.Element("figcaption")
            caption.text = element_text(el)
            figure.append(caption)
        elif tag in _HEADINGS or tag == "p" or (tag in _CONTAINERS and el not in self._holds_blocks):
            self._flush()
            self._paragraph(el, tag if tag in _HEADINGS else "p")
        elif tag in _CONTAINERS or tag in _BLOCKS or (tag in _INLINE_WRAPPERS and el in self._holds_blocks):
            self._flush()
            self._walk(el)
            self._flush()
        else:
            self._inline.append(el)

    def _paragraph(self, el: etree._Element, tag: str) -> None:
        """A text block; a <br> inside it splits it, an image in it becomes a figure of its own."""
        if self._is_plain(el):
            # Most paragraphs: the walk below would rebuild the very same block, so the element
            # becomes the block (its attributes go, as the rebuilt block has none).
            if has_text(text_of(el)):
                el.tag = tag
                el.attrib.clear()
                self.blocks.append(el)
            return
        self._tag = tag
        self._walk(el)
        self._flush()
        self._tag = "p"

    def _is_plain(self, el: etree._Element) -> bool:
        """True when walking ``el`` would only gather its text and inline children into one block:
        no block inside it, no <br> to split it, no caption to move, no comment or processing
        instruction among its children (the walk leaves those out)."""
        if el in self._holds_blocks or next(el.iter("br"), None) is not None:
            return False
        return all(isinstance(child.tag, str) and not _CAPTION_CLASS.search(child.get("class", "")) for child in el)

    def _add_text(self, text: str | None) -> None:
        if text:
            self._inline.append(text)

    def _flush(self) -> None:
        pieces, self._inline = self._inline, []
        if not any(has_text(p if isinstance(p, str) else text_of(p)) for p in pieces):
            return
        block = etree.Element(self._tag)
        for piece in pieces:
            if isinstance(piece, str):
                if len(block):
                    block[-1].tail = (block[-1].tail or "") + piece
                else:
                    block.text = (block.text or "") + piece
            else:
                block.append(piece)
        self.blocks.append(block)

    def _add_figure(self, img: etree._Element | None, caption: etree._Element | None) -> None:
        src = _image_src(img, self.base_url) if img is not None else None
        if not src:
            return
        figure = etree.Element("figure")
        image = etree.SubElement(figure, "img", src=src)
        if alt := clean_text(img.get("alt")) if img is not None else "":
            image.set("alt", alt)
        if caption is not None and element_text(caption):
            new_caption = etree.SubElement(figure, "figcaption")
            new_caption.text = element_text(caption)
        self.blocks.append(figure)

    def _last_figure_without_caption(self) -> etree._Element | None:
        last = self.blocks[-1] if self.blocks else None
        if last is not None and last.tag == "figure" and last.find("figcaption") is None:
            return last
        return None


def _holding_blocks(root: etree._Element) -> set[etree._Element]:
    """The elements under ``root`` that have a block element inside, found in one pass (asking
    each wrapper in turn re-walks a nested body once per level). The flattener asks about an
    element before it walks or moves anything inside it, so the answers are those of the tree as
    it was. The set keeps lxml's proxies alive: each element stays the same Python object."""
    holding: set[etree._Element] = set()
    for block in root.iter(*_BLOCKS):  # the tags are filtered in C
        for ancestor in block.iterancestors():
            if ancestor in holding:
                break
            holding.add(ancestor)
    return holding


def _image_src(img: etree._Element, base_url: str) -> str | None:
    for attribute in _LAZY_SRC:
        value = (img.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            url = clean_url(value, base=base_url)
            return url if is_http_url(url) else None
    return None


def _absolutise_links(root: etree._Element, base_url: str) -> None:
    """Every link absolute and clean, each distinct one cleaned once. A link to a place in the page
    itself ("#note-12": notes and tables of contents have hundreds) is the page's own clean URL, as
    its fragment goes with the cleaning: all of them are cleaned as one."""
    cleaned: dict[str, str] = {}
    for anchor in root.iter("a"):
        if href := anchor.get("href"):
            key = href.strip()
            if len(key) > 1 and key[0] == "#":
                key = _IN_PAGE
            if (url := cleaned.get(key)) is None:
                url = cleaned[key] = clean_url(key, base=base_url)
            anchor.set("href", url)


_IN_PAGE = "#_"  # any fragment but the empty one: clean_url("#x", base) is clean_url("#_", base)


def _rename_tags(root: etree._Element) -> None:
    for el in root.iter(*_RENAMES):
        el.tag = _RENAMES[el.tag]


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style", "noscript", "template", "iframe", "object", "svg", "math"},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def block_texts(root: etree._Element) -> list[str]:
    """Paragraph texts of sanitised body HTML: one per p/heading/list item/quote paragraph. Blocks
    without text (spacer divs, &nbsp; lines) are removed from ``root`` on the way. That HTML was
    repaired, normalised and stripped of invisible characters as a whole (``clean_body``), so each
    paragraph only needs its spaces collapsed."""
    texts: list[str] = []
    for block in list(root):
        if block.tag == "figure":
            continue
        whole = text_of(block)
        if not has_text(whole):
            root.remove(block)
            continue
        if block.tag in _LISTS:
            parts = [text_of(li) for li in block.iter("li")]
        elif block.tag == "blockquote" and block.find(".//p") is not None:
            parts = [text_of(part) for part in block.iter("p", "li")]
        else:
            parts = [whole]
        texts += [text for text in map(collapse_spaces, parts) if text]
    return texts


def clean_body(item: ArticleItem) -> ArticleItem:
    base_url = item.page_hints.base_url or item.url
    root = BodyTree.take(item)
    _rename_tags(root)
    _absolutise_links(root, base_url)
    blocks = _Flattener(base_url).run(root)
    html = _serialise(blocks)
    if _LEFT_REFERENCE.search(html):  # rare: the walk is done only for a body that needs it
        _decode_entities_in(blocks)
        html = _serialise(blocks)
    # Mojibake first: sanitising rewrites the NBSP that ends "à" read as cp1252 ("Ã\xa0") as &nbsp;.
    clean_root = parse_fragment(strip_invisible(sanitise(fix_mojibake(html)[0])))
    item.body = "\n\n".join(block_texts(clean_root))  # first: it drops the empty blocks
    item.body_html = inner_html(clean_root).strip()
    item.word_count = word_count(item.body)
    item.images = _images(clean_root)
    return item


# A character reference left in the body's text, as the serialised HTML shows it (its "&" escaped).
_LEFT_REFERENCE = re.compile(r"&amp;(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _decode_entities_in(blocks: list[etree._Element]) -> None:
    """Character references left in the body's text (a double-escaped "&amp;#038;"), decoded once,
    as the normalising step does for every other text field."""
    for block in blocks:
        for element in block.iter():
            if element.text and "&" in element.text:
                element.text = decode_entities_once(element.text)
            if element.tail and "&" in element.tail and element is not block:
                element.tail = decode_entities_once(element.tail)


def _serialise(blocks: list[etree._Element]) -> str:
    """The blocks' HTML in one serialisation (the flattener took every tail off as it walked)."""
    container = etree.Element("div")
    container.extend(blocks)
    return inner_html(container)


def _images(root: etree._Element) -> list[Image]:
    images: list[Image] = []
    for figure in root.iter("figure"):
        img = figure.find(".//img")
        if img is not None and (src := img.get("src")):
            caption = figure.find(".//figcaption")
            images.append({"url": src, "caption": element_text(caption) if caption is not None else None})
    return images


class CleanBodyPipeline(CrawlerPipeline):
    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            with unparsable_page_dropped(item, self.stats):
                clean_body(item)
        return item
