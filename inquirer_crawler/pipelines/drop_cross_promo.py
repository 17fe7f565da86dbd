"""Pipeline step 1: take cross-promotion, ads, share bars and theme furniture out of the body.

Runs first because it recognises junk by the class names that sanitising strips. "Lire aussi"
lines are recognised by their text, not their markup (the theme has no inline "read also" of its
own, so editors and plugins write it in many shapes); their links are kept in ``related``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from inquirer_crawler.discovery.urls import clean_url
from inquirer_crawler.items import ArticleItem, Link
from inquirer_crawler.pages.dom import (
    BodyTree,
    element_text,
    inner_html,
    links_of,
    remove,
    text_of,
    unparsable_page_dropped,
)
from inquirer_crawler.pages.simple_css import SelectorGroups
from inquirer_crawler.pages.text import INVISIBLE_CHARACTERS, clean_text
from inquirer_crawler.pipelines.base import CrawlerPipeline
from inquirer_crawler.sites import site_for_host
from inquirer_crawler.sites.phrases import phrases_for

# Never article text, whatever they contain.
NOISE_SELECTORS = (
    "script", "style", "noscript", "template", "iframe", "embed", "object", "form", "button", "input",
    "select", "textarea", "svg", "canvas", "link", "meta",
)
ADS_SELECTORS = (
    ".td-a-rec", ".td-g-rec", ".td-a-ad", '[class*="td-adspot"]', ".code-block", "ins.adsbygoogle", "ins",
    '[id^="taboola"]', '[class*="taboola"]', '[id^="div-gpt-ad"]', '[class*="-afterpara"]', ".adsbygoogle",
    ".advertisement", ".td-ad-background-link",
)
SHARE_SELECTORS = (
    ".sharedaddy", ".sd-sharing-enabled", ".swp_social_panel", ".swp-content-locator", '[class*="essb_"]',
    ".td-post-sharing", ".td-post-sharing-top", ".td-post-sharing-bottom", ".tdb_single_post_share",
    ".addtoany_share_save_container", ".a2a_kit", ".shariff", ".social-share",
)
FURNITURE_SELECTORS = (
    # author box, previous/next navigation, tags, source/via, featured image (kept apart as `image`)
    ".author-box-wrap", ".tdb-author-box", ".tdb_single_author_box", ".td-post-next-prev", ".tdb_single_next_prev",
    ".tdb-next-post", ".td-post-source-tags", ".td-post-source-via", ".tdb_single_tags", ".td-post-featured-image",
    ".page-nav", ".td-post-views", ".td-post-comments", "#comments", ".comments-area",
    # embeds: never merged into the text
    "blockquote.twitter-tweet", "blockquote.instagram-media", "blockquote.tiktok-embed", "blockquote.wp-embedded-content",
    ".wp-block-embed", '[style*="display:none"]', '[style*="display: none"]',
)
RELATED_SELECTORS = (
    ".td_block_related_posts", ".td-related-row", ".td-more-articles-box", ".jp-relatedposts", ".yarpp-related",
    ".crp_related", '[class*="related-posts"]', '[class*="inline-related"]', '[class*="irp-"]',
    ".td_module_wrap", ".td-module-title", ".entry-title",
)
_MARKS = "»›>→►▶•*-–—|"
_LEADING_MARKS = re.compile(r"^[\s" + re.escape(_MARKS) + "]+")
# What the fold takes off the start of a text besides spaces.
_SKIPPED_AT_START = frozenset(_MARKS) | INVISIBLE_CHARACTERS
_SEPARATOR = re.compile(r"^\s*[:：\-–—»›>|]")
_CONTAINERS = {"div", "section", "article", "aside", "center", "main", "header", "footer", "span", "blockquote"}


class CrossPromo:
    """Finds and removes cross-promotion in one body, collecting the promoted links."""

    def __init__(self, phrases: tuple[str, ...], base_url: str, ad_prefixes: list[str] | None = None) -> None:
        self.phrases = phrases
        self.base_url = base_url
        self.ad_selectors = ADS_SELECTORS + tuple(f'[class*="{p}"]' for p in ad_prefixes or ())
        self.related: list[Link] = []
        self.removed = 0

    def run(self, root: etree._Element) -> None:
        """Clean the body under ``root`` (a <div> around it) in place."""
        groups = (NOISE_SELECTORS, self.ad_selectors, SHARE_SELECTORS, FURNITURE_SELECTORS, RELATED_SELECTORS)
        # Group by group, as if each were applied in turn: an ad inside a related block goes
        # as an ad, and the related block keeps only its own links.
        found = _compiled(groups).first_matches(root)
        for group, elements in zip(groups, found, strict=True):
            self._remove(root, elements, keep_links=group is RELATED_SELECTORS)
        self._remove_labelled_blocks(root)

    def _remove(self, root: etree._Element, elements: list[etree._Element], keep_links: bool) -> None:
        for element in elements:
            if not _is_attached(element, root):
                continue
            if keep_links:
                self._keep_links(element)
            remove(element)
            self.removed += 1

    def _label(self, text: str) -> tuple[str, str] | None:
        """(label, rest) when the text starts with a cross-promotion label."""
        if len(text) > _HEAD and self._starting_phrase(_fold(_head(text))) is None:
            return None  # most blocks: only their head is cleaned, not the whole text of a wrapper
        folded = _fold(text)
        phrase = self._starting_phrase(folded)
        return (phrase, folded[len(phrase) :]) if phrase is not None else None

    def _starting_phrase(self, folded: str) -> str | None:
        match = _phrases_at_start(self.phrases).match(folded)
        return match.group() if match else None

    def _is_promo(self, element: etree._Element) -> bool:
        start, whole = _text_start(element)
        if _no_phrase_starts_with(start, _first_letters(self.phrases)):
            return False  # most paragraphs, told by their first letter, without folding their text
        if not whole and self._starting_phrase(_fold(_head(start))) is None:
            return False  # most wrappers: their whole text (the article, once per level) is never read
        found = self._label(start if whole else text_of(element))
        if found is None:
            return False
        rest = found[1].strip(" :：\u00a0-–—»›>|")
        # "Lire aussi <a>titre</a>", or a "LIRE AUSSI" box of links: the label, then only link text.
        link_text = " ".join(text for _, text in links_of(element, self.base_url)).casefold()
        if link_text and _squeeze(rest) == _squeeze(link_text):
            return True
        if _has_block_children(element):
            return False  # a wrapper that merely starts with a promo line: look inside it instead
        return not rest or bool(_SEPARATOR.match(found[1]))

    def _remove_labelled_blocks(self, container: etree._Element) -> None:
        for child in list(container):
            if not isinstance(child.tag, str):
                continue
            if self._is_promo(child):
                label_only = not links_of(child, self.base_url)
                following = child.getnext()
                self._keep_links(child)
                remove(child)
                self.removed += 1
                # A bare "LIRE AUSSI" heading owns the list of links right after it.
                if label_only and following is not None and _is_link_list(following):
                    self._keep_links(following)
                    remove(following)
            elif child.tag in _CONTAINERS or child.tag in ("ul", "ol"):
                self._remove_labelled_blocks(child)

    def _keep_links(self, element: etree._Element) -> None:
        for href, text in links_of(element, self.base_url):
            title = text
            if found := self._label(text):
                title = clean_text(text)[len(found[0]) :].lstrip(" :：-–—»›>|\u00a0")
            url = clean_url(href, base=self.base_url)
            if title and all(link["url"] != url for link in self.related):
                self.related.append({"url": url, "title": clean_text(title)})


@lru_cache(maxsize=64)
def _phrases_at_start(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The first phrase, in the given order, that starts the text as whole words."""
    return re.compile("(?:" + "|".join(re.escape(phrase) for phrase in phrases) + r")(?![^\W_])")


@lru_cache(maxsize=64)
def _first_letters(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(phrase[0] for phrase in phrases if phrase)


def _no_phrase_starts_with(text: str, first_letters: frozenset[str]) -> bool:
    """True when the fold of ``text`` cannot start with a phrase, told by its first character that
    the fold keeps. Only an ASCII character followed by an ASCII character (or nothing) decides:
    the mojibake repair cannot change it (what precedes it is ASCII, or makes the repair fail: each
    skipped character outside ASCII is a UTF-8 continuation byte in cp1252, or not in cp1252), NFC
    cannot compose it with what follows, and no invisible character sits after it. Anything else
    returns False, and the fold decides."""
    for index, char in enumerate(text):
        if char.isspace() or char in _SKIPPED_AT_START:
            continue
        following = text[index + 1 : index + 2]
        if not char.isascii() or not following.isascii():
            return False
        return char.lower() not in first_letters
    return False


@lru_cache(maxsize=64)
def _compiled(groups: tuple[tuple[str, ...], ...]) -> SelectorGroups:
    """Selector groups are parsed once (per set of ad prefixes and site extras), not once per page."""
    return SelectorGroups(groups)


# Labels are a few words long; the head keeps them whole even after runs of spaces and marks.
_HEAD = 160


def _text_start(element: etree._Element) -> tuple[str, bool]:
    """(the element's text, True), or (False) only as much of its start, leading spaces left out,
    as ``_head`` reads."""
    pieces: list[str] = []
    size = 0
    for piece in element.itertext():
        if not size:
            piece = piece.lstrip()
        pieces.append(piece)
        size += len(piece)
        if size > _HEAD:
            return "".join(pieces), False
    return "".join(pieces), True


def _head(text: str) -> str:
    """The start of ``text``, cut at an ASCII space so that a UTF-8 sequence read as cp1252 (which
    the mojibake repair needs whole) is never split."""
    text = text.lstrip()
    cut = text.rfind(" ", 0, _HEAD)
    return text[: cut if cut > 0 else _HEAD]


def _fold(text: str) -> str:
    return _LEADING_MARKS.sub("", clean_text(text)).casefold()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


_BLOCK_TAGS = {"p", "div", "section", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "table"}


def _has_block_children(element: etree._Element) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in element.iterdescendants())


def _is_attached(element: etree._Element, root: etree._Element) -> bool:
    """False once an ancestor was removed earlier in the same pass."""
    return any(ancestor is root for ancestor in element.iterancestors())


def _is_link_list(element: etree._Element) -> bool:
    """A block whose whole text is link text: a list of promoted titles."""
    text = element_text(element)
    link_text = " ".join(element_text(a) for a in element.iter("a"))
    return bool(text) and _squeeze(text) == _squeeze(link_text)


class DropCrossPromoPipeline(CrawlerPipeline):
    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            with unparsable_page_dropped(item, self.stats):
                drop_cross_promo(item)
            if self.stats is not None:
                self.stats.inc_value("articles/junk_blocks_removed", item.page_hints.junk_removed)
        return item


def drop_cross_promo(item: ArticleItem) -> ArticleItem:
    """Remove the junk from ``item.body_html`` in place; promoted links go to ``item.related``."""
    hints = item.page_hints
    base_url = hints.base_url or item.url
    site = site_for_host(hints.site or item.site)
    language = item.language or site.language
    promo = CrossPromo(
        phrases_for(language, site.extra_cross_promo_phrases), base_url, hints.ad_class_prefixes
    )
    if site.extra_junk_selectors:
        promo.ad_selectors += site.extra_junk_selectors
    root = BodyTree.take(item)
    promo.run(root)
    BodyTree.store(item, root, inner_html(root))
    item.related = [*item.related, *promo.related]
    hints.junk_removed = promo.removed
    return item
