"""The page code's private query engine: CSS lookups scoped to the post, answered from a class index.

A record asks for some sixty selectors, and sidebars, menus and related modules repeat the post's
own markup (``h3.entry-title``, ``time``, category links). So the post's region is found once (its
``article`` and what precedes it in the content wrapper), its theme blocks are indexed by class
token in one walk, and a group that starts with one of those classes (``.tdb_title h1``) is
answered from the index instead of a page-wide XPath. Any other group goes to parsel's ``.css()``.

``tests/test_query.py`` compares ``PostQuery.find`` with parsel's ``.css()`` on every fixture page
for every selector of ``pages/selectors.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath

from inquirer_crawler.pages import selectors
from inquirer_crawler.pages.selectors import Chain

# A selector group the class index answers: '.class rest' or 'tag.class rest'.
_INDEXED_HEAD = re.compile(r"(?P<tag>[a-z][a-z0-9]*)?\.(?P<cls>[\w-]+)")
INDEXED_PREFIXES = ("tdb", "td-post", "td-crumb", "entry-crumbs", "td-ss-main", "td-main-content", "author-box")
_INDEXED_TOKEN = re.compile(r"(?<!\S)((?:" + "|".join(map(re.escape, INDEXED_PREFIXES)) + r")\S*)")
# Blocks the class index does not look into: none of the page code's lookups starts inside them
# (share bars, related posts, comments: a third to a half of the post's region), and the body,
# whose own children are indexed (the featured image) but nothing deeper.
NOTHING_TO_INDEX_INSIDE = frozenset(
    {
        "td-post-sharing",
        "tdb_single_post_share",
        "td_block_related_posts",
        "tdb_single_related",
        "comments",
        "tdb_single_comments",
    }
)
BODIES = frozenset({"td-post-content", "tdb_single_content"})
# Blocks that only the post's own region holds: without any of them, the region is the wrong one.
_POST_BLOCKS = {"td-post-header", "td-post-content", "tdb_title", "tdb_single_content"}
_POST_ID = re.compile(r"^(?:post|template-id)-\d+$")


def classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _inside(element: Any, ancestor: Any) -> bool:
    return element is ancestor or any(parent is ancestor for parent in element.iterancestors())


def _class_index(subtrees: list[Any]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}

    def add(element: Any, classes: str) -> None:
        # One regex in C per class attribute: almost every tagDiv element has a "td…" class.
        for token in _INDEXED_TOKEN.findall(classes):
            index.setdefault(token, []).append(element)

    for subtree in subtrees:
        if not isinstance(subtree.tag, str):
            continue  # a comment or processing instruction beside the post: nothing to walk
        walk = etree.iterwalk(subtree, events=("start",))
        for _, element in walk:
            classes = element.get("class") if isinstance(element.tag, str) else None
            if not classes:
                continue
            add(element, classes)
            tokens = set(classes.split())
            if tokens & NOTHING_TO_INDEX_INSIDE or ("td_block_wrap" in tokens and not _INDEXED_TOKEN.search(classes)):
                walk.skip_subtree()  # a theme block no lookup names: a list of other posts, socials, a widget
            elif tokens & BODIES:
                for child in element:  # the classic featured image is a child of the body, nothing deeper
                    if isinstance(child.tag, str) and (child_classes := child.get("class")):
                        add(child, child_classes)
                walk.skip_subtree()
    return index


@lru_cache(maxsize=256)
def groups(css: str) -> list[tuple[str, str | None, str | None, str]]:
    """(group, tag, class, rest) of each comma-separated group; class is None when the class index
    cannot answer the group ('.tdb_title h1' -> ('.tdb_title h1', None, 'tdb_title', 'h1'))."""
    found = []
    for group in (g.strip() for g in css.split(",")):
        head, _, rest = group.partition(" ")
        indexed = _INDEXED_HEAD.fullmatch(head)
        if indexed and indexed["cls"].startswith(INDEXED_PREFIXES):
            found.append((group, indexed["tag"], indexed["cls"], rest))
        else:
            found.append((group, None, None, rest))
    return found


@lru_cache(maxsize=256)
def _compiled_css(css: str) -> etree.XPath:
    # parsel's translator (::text, ::attr()); compiled once instead of on each parsel .css() call.
    return etree.XPath(css2xpath(css), smart_strings=False)


def _select(element: Any, css: str) -> list[Selector]:
    """``Selector(root=element).css(css)``, from a compiled XPath."""
    found: list[Any] = _compiled_css(css)(element)  # type: ignore[assignment]  # a node-set for these selectors
    return [Selector(root=node, type="html") for node in found]


class PostQuery:
    """Lookups on one page, scoped to its post: ``find`` page-wide, ``scope`` and ``header`` the
    post's containers for classic selectors, ``first`` the first non-empty answer of a chain."""

    def __init__(self, selector: Selector, articles: list[Any]) -> None:
        self.selector = selector
        self.articles = articles  # the page's <article> elements, in order
        self.indexed_region: list[Any] = []  # the subtrees the class index was read from (by_class)

    @cached_property
    def post_region(self) -> list[Any]:
        """The subtrees that hold the post's blocks: its ``article`` (``#post-N``, or tdb's
        ``#template-id-N`` that wraps every tdb block) plus what precedes it inside the content
        wrapper, where classic templates print the breadcrumb. About a quarter of the page: the
        header, menus, sidebar and footer are left out. The whole page when there is no such article."""
        post = next((a for a in self.articles if _POST_ID.match(a.get("id") or "")), None)
        if post is None:
            return [self.selector.root]
        region, node = [post], post
        while (parent := node.getparent()) is not None and parent.tag != "body":
            region.extend(node.itersiblings(preceding=True))
            if "td-main-content-wrap" in classes(parent):
                break
            node = parent
        return region

    @cached_property
    def by_class(self) -> dict[str, list[Any]]:
        """The theme's post blocks by class token, read in one walk of the post's region. Lookups
        of '.class …' then search a few small subtrees instead of the page each time: a record asks
        for some sixty selectors, and every page-wide class test in XPath costs ~0.5 µs an element."""
        self.indexed_region = self.post_region
        index = _class_index(self.post_region)
        if not _POST_BLOCKS & index.keys() and self.post_region != [self.selector.root]:
            self.indexed_region = [self.selector.root]
            index = _class_index(self.indexed_region)  # the blocks sit outside that article: unusual markup
        return index

    def find(self, css: str, within: Selector | None = None) -> SelectorList[Selector]:
        """``css`` page-wide (or inside ``within``); groups that start with one of the theme's
        block classes are answered from the class index, i.e. inside the post's region. Results
        come group by group."""
        found: list[Selector] = []
        scope_root = within.root if within is not None and within is not self.selector else None
        for group, tag, cls, rest in groups(css):
            if cls is None:
                # `within or …` would call Selector.__bool__, which serialises the subtree.
                found.extend((within if within is not None else self.selector).css(group))
                continue
            for element in self.by_class.get(cls, ()):
                if tag and element.tag != tag:
                    continue
                if scope_root is not None and not _inside(element, scope_root):
                    continue
                found.extend(_select(element, rest) if rest else [Selector(root=element, type="html")])
        return SelectorList(found)

    def within(self, where: str) -> Selector | None:
        """The root a chain step names: ``page`` (None: page-wide), ``scope`` or ``header``."""
        return None if where == "page" else self.scope if where == "scope" else self.header

    def each(self, chain: Chain) -> Iterator[SelectorList[Selector]]:
        """What each step of the chain finds, step by step (a later step is not looked up until asked)."""
        for where, css in chain:
            yield self.find(css, self.within(where))

    def first(self, chain: Chain) -> SelectorList[Selector]:
        """The first step of the chain that finds anything (an empty list when none does)."""
        return next((found for found in self.each(chain) if found), SelectorList([]))

    @cached_property
    def scope(self) -> Selector:
        """The post's container for classic selectors (the whole page when there is none):
        ``article#post-N``, else ``article.post`` / ``.type-post``, never the tdb template's
        ``article#template-id-N``; else the main content column."""
        articles = [a for a in self.articles if not (a.get("id") or "").startswith("template-id-")]
        by_id = [a for a in articles if (a.get("id") or "").startswith("post-")]
        by_class = [a for a in articles if {"post", "type-post"} & set(classes(a))]
        if by_id or by_class:
            return Selector(root=(by_id or by_class)[0], type="html")
        found = self.first(selectors.MAIN_COLUMN)
        return found[0] if found else self.selector

    @cached_property
    def header(self) -> Selector:
        found = self.first(selectors.HEADER)
        return found[0] if found else self.scope
