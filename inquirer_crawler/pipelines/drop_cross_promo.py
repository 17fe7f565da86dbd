"""Pipeline step 1: take cross-promotion, ads, share bars and theme furniture out of the body.

Runs first because it recognises junk by the class names that sanitising strips. "Lire aussi"
lines are recognised by their text, not their markup (the theme has no inline "read also" of its
own, so editors and plugins write it in many shapes); their links are kept in ``related``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlsplit

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
from inquirer_crawler.sites import bare_host, site_for_host
from inquirer_crawler.sites.phrases import phrases_for
from inquirer_crawler.sites.plugins import PLUGIN_WIDGETS, PluginWidget

# Never article text, whatever they contain.
NOISE_SELECTORS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "embed",
    "object",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "svg",
    "canvas",
    "link",
    "meta",
)
ADS_SELECTORS = (
    ".td-a-rec",
    ".td-g-rec",
    ".td-a-ad",
    '[class*="td-adspot"]',
    ".code-block",
    "ins.adsbygoogle",
    "ins",
    '[id^="taboola"]',
    '[class*="taboola"]',
    '[id^="div-gpt-ad"]',
    '[class*="-afterpara"]',
    ".adsbygoogle",
    ".advertisement",
    ".td-ad-background-link",
)
# The theme's own share bars; the share plugins' are in sites/plugins.py.
SHARE_SELECTORS = (
    ".td-post-sharing",
    ".td-post-sharing-top",
    ".td-post-sharing-bottom",
    ".tdb_single_post_share",
    ".social-share",
)
FURNITURE_SELECTORS = (
    # author box, previous/next navigation, tags, source/via, featured image (kept apart as `image`)
    ".author-box-wrap",
    ".tdb-author-box",
    ".tdb_single_author_box",
    ".td-post-next-prev",
    ".tdb_single_next_prev",
    ".tdb-next-post",
    ".td-post-source-tags",
    ".td-post-source-via",
    ".tdb_single_tags",
    ".td-post-featured-image",
    ".page-nav",
    ".td-post-views",
    ".td-post-comments",
    "#comments",
    ".comments-area",
    # embeds: never merged into the text
    "blockquote.twitter-tweet",
    "blockquote.instagram-media",
    "blockquote.tiktok-embed",
    ".wp-block-embed",
    '[style*="display:none"]',
    '[style*="display: none"]',
    # the slide gallery's counter ("1 of 6") and arrows; its slides stay, as figures
    ".td-gallery-slide-top",
)
# The theme's related blocks and any "related posts" class; the related-posts plugins' are in sites/plugins.py.
RELATED_SELECTORS = (
    ".td_block_related_posts",
    ".td-related-row",
    ".td-more-articles-box",
    '[class*="related-posts"]',
    '[class*="inline-related"]',
    ".td_module_wrap",
    ".td-module-title",
    ".entry-title",
)
# Plugin widgets (sites/plugins.py), one selector group per plugin so that each removal is
# counted by plugin. Those that keep their links run after the ads (an ad inside a related box
# goes as an ad); the others run first, before the generic noise (a sign-up <form> is counted as
# the newsletter plugin's, not as a form).
_PLUGINS_FIRST = tuple(widget for widget in PLUGIN_WIDGETS if not widget.keeps_links)
_PLUGINS_KEEPING_LINKS = tuple(widget for widget in PLUGIN_WIDGETS if widget.keeps_links)

# A block whose text is mostly links to other articles of the same site is cross-promotion,
# labelled or not ("Read also" boxes, an aside of links, a list of the site's other lists):
# removed, its links kept in `related`. The three numbers that define "mostly links":
LINK_BOX_MIN_LINKS = 3  # at least this many links to the site's own article pages
LINK_BOX_MIN_SHARE = 0.8  # their text is at least this share of the block's text (spaces left out)
LINK_BOX_MAX_BODY_SHARE = 0.5  # and the block is less than this share of the body's text: a body
# that is itself a list of links (a round-up) is the article, and stays
# Blocks the rule looks at; paragraphs never (a sentence with a link is text).
_LINK_BOX_TAGS = frozenset({"ul", "ol", "aside", "div", "section", "nav", "figure", "table", "dl", "blockquote"})
# Text-level elements: the rule neither takes them nor looks inside them.
_TEXT_LEVEL = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "strong", "em", "b", "i", "li"})
# Links that do not lead to an article page of the site.
_NOT_AN_ARTICLE = re.compile(
    r"/(?:category|tag|author|page|feed|wp-content|wp-admin|wp-json|cdn-cgi)/|[?&](?:s|replytocom)="
    r"|\.(?:jpe?g|png|gif|webp|svg|pdf|mp[34]|zip)$",
    re.IGNORECASE,
)
_MARKS = "»›>→►▶•*-–—|"
_LEADING_MARKS = re.compile(r"^[\s" + re.escape(_MARKS) + "]+")
# What the fold takes off the start of a text besides spaces.
_SKIPPED_AT_START = frozenset(_MARKS) | INVISIBLE_CHARACTERS
_SEPARATOR = re.compile(r"^\s*[:：\-–—»›>|]")
_CONTAINERS = {"div", "section", "article", "aside", "center", "main", "header", "footer", "span", "blockquote"}


@dataclass
class Removed:
    """What one body lost, for the stats: every block, and of those the plugins' widgets by
    plugin and the blocks of links found by their structure."""

    blocks: int = 0
    by_plugin: Counter[str] = field(default_factory=Counter)
    link_boxes: int = 0


class CrossPromo:
    """Finds and removes cross-promotion in one body, collecting the promoted links."""

    def __init__(self, phrases: tuple[str, ...], base_url: str, ad_prefixes: list[str] | None = None) -> None:
        self.phrases = phrases
        self.base_url = base_url
        self.host = bare_host(urlsplit(base_url).netloc)
        self.ad_selectors = ADS_SELECTORS + tuple(f'[class*="{p}"]' for p in ad_prefixes or ())
        self.related: list[Link] = []
        self.removed = Removed()

    def run(self, root: etree._Element) -> None:
        """Clean the body under ``root`` (a <div> around it) in place."""
        groups: tuple[tuple[str, ...], ...] = (
            *(widget.selectors for widget in _PLUGINS_FIRST),
            NOISE_SELECTORS,
            self.ad_selectors,
            SHARE_SELECTORS,
            *(widget.selectors for widget in _PLUGINS_KEEPING_LINKS),
            FURNITURE_SELECTORS,
            RELATED_SELECTORS,
        )
        owners: tuple[PluginWidget | None, ...] = (
            *_PLUGINS_FIRST,
            None,
            None,
            None,
            *_PLUGINS_KEEPING_LINKS,
            None,
            None,
        )
        # Group by group, as if each were applied in turn: an ad inside a related block goes
        # as an ad, and the related block keeps only its own links.
        found = _compiled(groups).first_matches(root)
        for group, owner, elements in zip(groups, owners, found, strict=True):
            keep_links = group is RELATED_SELECTORS or (owner is not None and owner.keeps_links)
            removed = self._remove(root, elements, keep_links=keep_links)
            if owner is not None and removed:
                self.removed.by_plugin[owner.plugin] += removed
        self._remove_labelled_blocks(root)
        self._remove_link_boxes(root, _BodySize(text_of(root)), _anchors_inside(root))

    def _remove(self, root: etree._Element, elements: list[etree._Element], keep_links: bool) -> int:
        count = 0
        for element in elements:
            if not _is_attached(element, root):
                continue
            if keep_links:
                self._keep_links(element)
            remove(element)
            count += 1
        self.removed.blocks += count
        return count

    def _remove_link_boxes(
        self, container: etree._Element, body_size: _BodySize, anchors: dict[etree._Element, int]
    ) -> None:
        """Blocks made mostly of links to the site's own articles (see LINK_BOX_*), outermost first.
        A block with fewer links than LINK_BOX_MIN_LINKS, and all inside it, is passed over unread."""
        for child in list(container):
            if not isinstance(child.tag, str) or child.tag in _TEXT_LEVEL:
                continue
            if anchors.get(child, 0) < LINK_BOX_MIN_LINKS:
                continue
            if child.tag in _LINK_BOX_TAGS and self._is_link_box(child, body_size):
                self._keep_links(child)
                remove(child)
                self.removed.blocks += 1
                self.removed.link_boxes += 1
            else:
                self._remove_link_boxes(child, body_size, anchors)

    def _is_link_box(self, element: etree._Element, body_size: _BodySize) -> bool:
        anchors = list(element.iter("a"))
        if len(anchors) < LINK_BOX_MIN_LINKS:
            return False
        text = text_of(element)
        if len(text) == len(body_size.text):
            return False  # all of the body's text (a wrapper around it): its share is 1, or the body is empty
        size = _visible_size(text)
        if not size or size >= body_size.visible * LINK_BOX_MAX_BODY_SHARE:
            return False
        if sum(_visible_size(text_of(anchor)) for anchor in anchors) < size * LINK_BOX_MIN_SHARE:
            return False  # not mostly link text, whatever the links: told before any URL is read
        # An <aside> is tangential by its markup: a syndicated "read also" there links to its source's
        # articles, on another host. Elsewhere only the site's own articles count (a list of sources
        # links to other sites, and is text).
        any_host = element.tag == "aside"
        article_links = [
            text for href, text in links_of(element, self.base_url) if self._is_article(href, any_host=any_host)
        ]
        if len(article_links) < LINK_BOX_MIN_LINKS:
            return False
        return sum(map(_visible_size, article_links)) >= size * LINK_BOX_MIN_SHARE

    def _is_article(self, href: str, any_host: bool = False) -> bool:
        url = urlsplit(clean_url(href, base=self.base_url))
        if url.scheme not in ("http", "https") or url.path.strip("/") == "":
            return False
        if not any_host and bare_host(url.netloc) != self.host:
            return False
        return not _NOT_AN_ARTICLE.search(url.path + ("?" + url.query if url.query else ""))

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
        starts = phrase_starts(self.phrases)
        lead = element.text
        if lead and _no_phrase_starts_with(lead, starts, whole=False):
            return False  # most paragraphs, told by their first word, without reading further
        start, whole = _text_start(element)
        if _no_phrase_starts_with(start, starts, whole=whole):
            return False  # the others whose text starts in a child, told the same way
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
                self.removed.blocks += 1
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


# How many characters of a text's start the quick test reads (it reads one more to know the last
# of them is settled).
_QUICK = 8


@dataclass(frozen=True)
class PhraseStarts:
    """What the quick test compares a text's start with: every start of every phrase, up to
    _QUICK characters, and the phrases shorter than that."""

    starts: frozenset[str]
    short: tuple[str, ...]


@lru_cache(maxsize=64)
def phrase_starts(phrases: tuple[str, ...]) -> PhraseStarts:
    return PhraseStarts(
        frozenset(phrase[:size] for phrase in phrases for size in range(1, _QUICK + 1) if phrase),
        tuple(phrase for phrase in phrases if 0 < len(phrase) < _QUICK),
    )


def _no_phrase_starts_with(text: str, starts: PhraseStarts, whole: bool = True) -> bool:
    """True when the fold of ``text`` (all of the block's text when ``whole``, else only its start)
    cannot start with a phrase, told from its first _QUICK settled characters without folding it."""
    start = _settled_start(text, whole)
    return start is not None and start not in starts.starts and not start.startswith(starts.short)


# What the quick test skips at a text's start, and the run of ASCII (NUL aside) after it, in C.
_SKIPPED = re.compile("[\\s" + "".join(map(re.escape, sorted(_SKIPPED_AT_START))) + "]*")
_ASCII_RUN = re.compile("[\x01-\x7f]*")
# The ASCII run's start the quick test reads: enough for _QUICK + 1 settled characters unless the
# run is mostly spaces (then the whole run is read).
_SLICE = 64


def _settled_start(text: str, whole: bool) -> str | None:
    """The start of the fold of ``text``, up to _QUICK characters, read without folding; None when
    too little of it is settled to tell anything.

    Settled: an ASCII character that is not NUL, followed by another such character, by ASCII
    spaces, or by the end of the whole text. The mojibake repair cannot change it (what precedes
    it is ASCII, or makes the repair fail: each skipped character outside ASCII is a UTF-8
    continuation byte in cp1252, or not in cp1252), NFC cannot compose it with what follows, no
    invisible character sits after it, and lower() is its casefold. A run of ASCII spaces is one
    space in the fold, and none at the end of the text.

    Read with two regexes and a split in C (a character loop in Python cost ~3 µs a block, and the
    drop-junk step asks it of every block); tests/test_pipelines.py compares it with that loop."""
    index = _SKIPPED.match(text).end()  # type: ignore[union-attr]  # "*" always matches
    size = len(text)
    if index == size:
        return "" if whole else None  # nothing but spaces and marks: the fold is empty
    run_end = _ASCII_RUN.match(text, index, index + _SLICE).end()  # type: ignore[union-attr]
    run = text[index:run_end]
    settled = " ".join(run.split())  # a run of ASCII spaces is one space (str.split: str.isspace)
    if len(settled) > _QUICK:
        return settled[:_QUICK].lower()  # one more character read: the last one kept is settled
    if run_end - index == _SLICE:
        run_end = _ASCII_RUN.match(text, index).end()  # type: ignore[union-attr]  # spaces, mostly: all of the run
        run = text[index:run_end]
        settled = " ".join(run.split())
        if len(settled) > _QUICK:
            return settled[:_QUICK].lower()
    if run_end < size:
        # A character outside ASCII (or NUL) ends the run: it may compose with, or be repaired with,
        # the character before it, unless spaces stand between them.
        if settled and not run[-1].isspace():
            settled = settled[:-1]
    elif not whole:
        return None  # the start given ended first: what follows it is not known here
    return settled.lower() or None


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
    texts: Iterator[str] = element.itertext()  # type: ignore[assignment]  # lxml-stubs: str | bytes; a parsed tree's text is str
    for piece in texts:
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


def _anchors_inside(root: etree._Element) -> dict[etree._Element, int]:
    """How many links each element under ``root`` holds, in one pass over the links. The dict keeps
    lxml's proxies alive, so each element stays the same Python object while it is used."""
    counts: dict[etree._Element, int] = {}
    for anchor in root.iter("a"):
        for ancestor in anchor.iterancestors():
            if ancestor is root:
                break
            counts[ancestor] = counts.get(ancestor, 0) + 1
    return counts


class _BodySize:
    """The body's text, and its visible size, counted only when a block of links is weighed
    against it (most bodies have none)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def visible(self) -> int:
        return _visible_size(self.text)


def _visible_size(text: str) -> int:
    """Characters of a text but its spaces (``str.split`` in C: several times faster than a regex)."""
    return sum(map(len, text.split()))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "figure",
    "table",
}


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
                removed = remove_junk(item)
            if self.stats is not None:
                self.stats.inc_value("articles/junk_blocks_removed", removed.blocks)
                for plugin, count in removed.by_plugin.items():
                    self.stats.inc_value(f"body/removed/plugin/{plugin}", count)
                if removed.link_boxes:
                    self.stats.inc_value("body/removed/link_box", removed.link_boxes)
        return item


def drop_cross_promo(item: ArticleItem) -> ArticleItem:
    """Remove the junk from ``item.body_html`` in place; promoted links go to ``item.related``."""
    remove_junk(item)
    return item


def remove_junk(item: ArticleItem) -> Removed:
    """``drop_cross_promo``, telling what was removed."""
    hints = item.page_hints
    base_url = hints.base_url or item.url
    site = site_for_host(hints.site or item.site)
    language = item.language or site.language
    promo = CrossPromo(phrases_for(language, site.extra_cross_promo_phrases), base_url, hints.ad_class_prefixes)
    if site.extra_junk_selectors:
        promo.ad_selectors += site.extra_junk_selectors
    root = BodyTree.take(item)
    promo.run(root)
    BodyTree.store(item, root, inner_html(root))
    item.related = [*item.related, *promo.related]
    hints.junk_removed = promo.removed.blocks
    return promo.removed
