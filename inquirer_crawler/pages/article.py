"""Extraction: one tagDiv Newspaper article page -> ArticleItem, from an HTML string.

Both template families are read from the same page object: the classic one
(``td-post-header``, ``td-post-content``, ``td-post-next-prev``, ``author-box-wrap``) and the Cloud
Library "tdb" blocks (``tdb_title``, ``tdb_single_date``, ``tdb_single_content`` …). Each field tries
a chain of sources, most reliable first (SITE-NOTES §9), and every selector is scoped to the post:
sidebars, menus and related modules repeat ``h3.entry-title``, ``time`` and category links.
Nothing here cleans the body or normalises values; the pipelines do that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath

from inquirer_crawler.discovery.urls import clean_url
from inquirer_crawler.items import ArticleItem, Image, Link, PageHints
from inquirer_crawler.pages.dates import (
    in_stated_offset,
    parse_iso,
    parse_visible,
    reinterpret_mislabelled_utc,
    to_iso,
    utc_now,
)
from inquirer_crawler.pages.dom import BodyTree, parse_page
from inquirer_crawler.pages.jsonld import JsonLd
from inquirer_crawler.pages.text import clean_text, parse_count
from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host

# The post's own containers, most specific first. tdb pages usually have no <article>
# (or one that carries the *template's* id), so their blocks are looked up page-wide.
_BODY_ROOTS = (
    ".tdb_single_content .tdb-block-inner",
    ".td-post-content",  # inside article#post-N first: scoped lookups come before page-wide ones
    '[itemprop="articleBody"]',
    ".entry-content",
)
_PREVIOUS_LABELS = ("article précédent", "previous article", "artículo anterior", "vorheriger artikel", "articolo precedente")
_NEXT_LABELS = ("article suivant", "next article", "artículo siguiente", "nächster artikel", "articolo successivo")
# A span longer than this is text, not one of those labels.
_MAX_LABEL = 80
# Theme placeholder served as og:image when a post has no image.
_PLACEHOLDER_IMAGE = re.compile(r"td_meta_replacement|no-thumb|placeholder", re.IGNORECASE)
_THEME_VERSION = re.compile(r"/themes/Newspaper[^/]*/style\.css\?ver=(\d+)")
_MAX_TITLE = 300
# A selector group the class index answers: '.class rest' or 'tag.class rest'.
_INDEXED_HEAD = re.compile(r"(?P<tag>[a-z][a-z0-9]*)?\.(?P<cls>[\w-]+)")
_INDEXED_PREFIXES = ("tdb", "td-post", "td-crumb", "entry-crumbs", "td-ss-main", "td-main-content", "author-box")
_INDEXED_TOKEN = re.compile(r"(?<!\S)((?:" + "|".join(map(re.escape, _INDEXED_PREFIXES)) + r")\S*)")
# Blocks the class index does not look into: none of the page code's lookups starts inside them
# (share bars, related posts, comments: a third to a half of the post's region), and the body,
# whose own children are indexed (the featured image) but nothing deeper.
_NOTHING_TO_INDEX_INSIDE = frozenset(
    {"td-post-sharing", "tdb_single_post_share", "td_block_related_posts", "tdb_single_related", "comments",
     "tdb_single_comments"}
)
_BODIES = frozenset({"td-post-content", "tdb_single_content"})
# Blocks that only the post's own region holds: without any of them, the region is the wrong one.
_POST_BLOCKS = {"td-post-header", "td-post-content", "tdb_title", "tdb_single_content"}
_POST_ID = re.compile(r"^(?:post|template-id)-\d+$")
# Without a body container the theme names, the paragraphs' container is the body if it holds
# at least this many characters of paragraph text (see ArticlePage._paragraph_container).
_MIN_FALLBACK_BODY = 500
_NOT_A_BODY = frozenset({"header", "footer", "nav", "aside", "form"})
# Blocks that list other posts: their dates and categories are not the post's.
_OTHER_POSTS = re.compile(r"related|td_module|td_block|module|widget|card", re.IGNORECASE)


def _inside(element: Any, ancestor: Any) -> bool:
    return element is ancestor or any(parent is ancestor for parent in element.iterancestors())


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _class_index(subtrees: list[Any]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}

    def add(element: Any, classes: str) -> None:
        # One regex in C per class attribute: almost every tagDiv element has a "td…" class.
        for token in _INDEXED_TOKEN.findall(classes):
            index.setdefault(token, []).append(element)

    for subtree in subtrees:
        walk = etree.iterwalk(subtree, events=("start",))
        for _, element in walk:
            classes = element.get("class") if isinstance(element.tag, str) else None
            if not classes:
                continue
            add(element, classes)
            tokens = set(classes.split())
            if tokens & _NOTHING_TO_INDEX_INSIDE or ("td_block_wrap" in tokens and not _INDEXED_TOKEN.search(classes)):
                walk.skip_subtree()  # a theme block no lookup names: a list of other posts, socials, a widget
            elif tokens & _BODIES:
                for child in element:  # the classic featured image is a child of the body, nothing deeper
                    if isinstance(child.tag, str) and (child_classes := child.get("class")):
                        add(child, child_classes)
                walk.skip_subtree()
    return index


@lru_cache(maxsize=256)
def _groups(css: str) -> list[tuple[str, str | None, str | None, str]]:
    """(group, tag, class, rest) of each comma-separated group; class is None when the class index
    cannot answer the group ('.tdb_title h1' -> ('.tdb_title h1', None, 'tdb_title', 'h1'))."""
    groups = []
    for group in (g.strip() for g in css.split(",")):
        head, _, rest = group.partition(" ")
        indexed = _INDEXED_HEAD.fullmatch(head)
        if indexed and indexed["cls"].startswith(_INDEXED_PREFIXES):
            groups.append((group, indexed["tag"], indexed["cls"], rest))
        else:
            groups.append((group, None, None, rest))
    return groups


@lru_cache(maxsize=256)
def _compiled_css(css: str) -> etree.XPath:
    # parsel's translator (::text, ::attr()); compiled once instead of on each parsel .css() call.
    return etree.XPath(css2xpath(css), smart_strings=False)


def _select(element: Any, css: str) -> list[Selector]:
    """``Selector(root=element).css(css)``, from a compiled XPath."""
    return [Selector(root=found, type="html") for found in _compiled_css(css)(element)]


def _lazy_src(images: SelectorList[Selector]) -> str | None:
    """An image's address, lazy-loading attributes first."""
    if not images:
        return None
    return images.attrib.get("data-src") or images.attrib.get("data-lazy-src") or images.attrib.get("src")


def _text(nodes: SelectorList[Selector] | Selector) -> str:
    """Visible text of the first node; text nodes are joined without adding spaces
    (a word can be split across spans: 'gobierno<span>.</span>')."""
    if isinstance(nodes, SelectorList):
        if not nodes:
            return ""
        nodes = nodes[0]
    return clean_text(_visible_text(nodes.root))


def _visible_text(element: Any) -> str:
    if not hasattr(element, "itertext"):
        return str(element)
    if next(element.iter("script", "style"), None) is None:
        return "".join(element.itertext())  # in C; the usual case, no script inside
    return "".join(element.xpath(".//text()[not(ancestor::script or ancestor::style)]"))


def _is_name(text: str) -> bool:
    """A display name has a letter or a digit: a hidden byline of "----" is no author."""
    return any(char.isalnum() for char in text)


def _name(value: str | None) -> str:
    text = clean_text(value)
    return text if _is_name(text) else ""


def _first(candidates: Iterable[Callable[[], Any]]) -> Any:
    """The first candidate value that is not empty: the fallback chains of SITE-NOTES §9."""
    for candidate in candidates:
        value = candidate()
        if value not in (None, "", []):
            return value
    return None


@dataclass
class ArticlePage:
    """A fetched page of a tagDiv site, read as an article."""

    url: str
    selector: Selector
    site: SiteConfig
    fetched_at: datetime = field(default_factory=utc_now)

    @classmethod
    def from_html(cls, html: str | bytes, url: str, site: SiteConfig | None = None, fetched_at: datetime | None = None) -> ArticlePage:
        return cls(
            url=url,
            selector=parse_page(html, url),
            site=site or site_for_host(urlsplit(url).netloc),
            fetched_at=fetched_at or utc_now(),
        )

    # -- page-level facts ---------------------------------------------------------------

    @cached_property
    def jsonld(self) -> JsonLd:
        return JsonLd.from_root(self.selector.root)

    @cached_property
    def _elements_by_tag(self) -> dict[str, list[Any]]:
        """Every <article>, <link> and <meta> of the page, in one walk (the first walk of a fresh
        tree is the costly one: ~0.1 ms on a large page)."""
        found: dict[str, list[Any]] = {"article": [], "link": [], "meta": []}
        for element in self.selector.root.iter("article", "link", "meta"):
            found[element.tag].append(element)
        return found

    @cached_property
    def _articles(self) -> list[Any]:
        return self._elements_by_tag["article"]

    @cached_property
    def _post_region(self) -> list[Any]:
        """The subtrees that hold the post's blocks: its ``article`` (``#post-N``, or tdb's
        ``#template-id-N`` that wraps every tdb block) plus what precedes it inside the content
        wrapper, where classic templates print the breadcrumb. About a quarter of the page: the
        header, menus, sidebar and footer are left out. The whole page when there is no such article."""
        post = next((a for a in self._articles if _POST_ID.match(a.get("id") or "")), None)
        if post is None:
            return [self.selector.root]
        region, node = [post], post
        while (parent := node.getparent()) is not None and parent.tag != "body":
            region.extend(node.itersiblings(preceding=True))
            if "td-main-content-wrap" in _classes(parent):
                break
            node = parent
        return region

    @cached_property
    def _by_class(self) -> dict[str, list[Any]]:
        """The theme's post blocks by class token, read in one walk of the post's region. Lookups
        of '.class …' then search a few small subtrees instead of the page each time: a record asks
        for some sixty selectors, and every page-wide class test in XPath costs ~0.5 µs an element."""
        index = _class_index(self._post_region)
        if not _POST_BLOCKS & index.keys() and self._post_region != [self.selector.root]:
            index = _class_index([self.selector.root])  # the blocks sit outside that article: unusual markup
        return index

    def _find(self, css: str, within: Selector | None = None) -> SelectorList[Selector]:
        """``css`` page-wide (or inside ``within``); groups that start with one of the theme's
        block classes are answered from the class index, i.e. inside the post's region. Results
        come group by group."""
        found: list[Selector] = []
        scope_root = within.root if within is not None and within is not self.selector else None
        for group, tag, cls, rest in _groups(css):
            if cls is None:
                # `within or …` would call Selector.__bool__, which serialises the subtree.
                found.extend((within if within is not None else self.selector).css(group))
                continue
            for element in self._by_class.get(cls, ()):
                if tag and element.tag != tag:
                    continue
                if scope_root is not None and not _inside(element, scope_root):
                    continue
                found.extend(_select(element, rest) if rest else [Selector(root=element, type="html")])
        return SelectorList(found)

    def _find_in_scope(self, css: str) -> SelectorList[Selector]:
        return self._find(css, self.scope)

    def _find_in_header(self, css: str) -> SelectorList[Selector]:
        return self._find(css, self.header)

    @cached_property
    def body_classes(self) -> list[str]:
        body = self.selector.root.find("body")
        return _classes(body) if body is not None else []

    @cached_property
    def template(self) -> str:
        """'tdb' for Cloud Library templates, else 'classic'."""
        tdb = any(c.startswith("tdb_template") for c in self.body_classes) or bool(
            self._find(".tdb_single_content, .tdb_title")
        )
        return "tdb" if tdb else "classic"

    @cached_property
    def scope(self) -> Selector:
        """The post's container for classic selectors (the whole page when there is none):
        ``article#post-N``, else ``article.post`` / ``.type-post``, never the tdb template's
        ``article#template-id-N``; else the main content column."""
        articles = [a for a in self._articles if not (a.get("id") or "").startswith("template-id-")]
        by_id = [a for a in articles if (a.get("id") or "").startswith("post-")]
        by_class = [a for a in articles if {"post", "type-post"} & set(_classes(a))]
        if by_id or by_class:
            return Selector(root=(by_id or by_class)[0], type="html")
        found = self._find(".td-ss-main-content") or self._find(".td-main-content")
        return found[0] if found else self.selector

    @cached_property
    def header(self) -> Selector:
        found = self._find_in_scope(".td-post-header") or self._find(".td-post-header")
        return found[0] if found else self.scope

    @cached_property
    def _links(self) -> list[tuple[str, str, str]]:
        """(rel, type, href) of every <link>, read once."""
        return [
            (link.get("rel") or "", link.get("type") or "", link.get("href"))
            for link in self._elements_by_tag["link"]
            if link.get("href") is not None
        ]

    def _link_hrefs(self, rel: str, kind: str | None = None) -> list[str]:
        return [href for r, t, href in self._links if r == rel and (kind is None or t == kind)]

    @cached_property
    def theme_major_version(self) -> int | None:
        match = _THEME_VERSION.search(" ".join(href for _, _, href in self._links))
        return int(match.group(1)) if match else None

    @cached_property
    def _metas(self) -> dict[str, list[str]]:
        """<meta property|name=… content=…>, every value of each name in page order, read once."""
        metas: dict[str, list[str]] = {}
        for meta in self._elements_by_tag["meta"]:
            name, content = meta.get("property") or meta.get("name"), meta.get("content")
            if name and content is not None:
                metas.setdefault(name, []).append(content)
        return metas

    def _meta(self, name: str) -> str | None:
        values = self._metas.get(name)
        return values[0].strip() if values and values[0] else None

    def is_article(self) -> bool:
        return bool(
            self._meta("og:type") == "article"
            or self._meta("article:published_time")
            or "single-post" in self.body_classes
            or any(c.startswith("postid-") for c in self.body_classes)
            or self.selector.css("h1.entry-title, h1.tdb-title-text")
        )

    # -- identity -------------------------------------------------------------------------

    def canonical_url(self) -> str:
        return self._canonical

    @cached_property
    def _canonical(self) -> str:
        return clean_url(
            _first(
                (
                    lambda: next(iter(self._link_hrefs("canonical")), None),
                    lambda: self._meta("og:url"),
                    lambda: self.url,
                )
            ),
            base=self.url,
        )

    def post_id(self) -> int | None:
        def from_pattern(values: Iterable[str], pattern: str) -> int | None:
            for value in values:
                if match := re.search(pattern, value):
                    return int(match.group(1))
            return None

        return _first(
            (
                lambda: from_pattern(self.body_classes, r"^postid-(\d+)$"),
                lambda: from_pattern(self._link_hrefs("shortlink"), r"[?&]p=(\d+)"),
                lambda: from_pattern(
                    self._link_hrefs("alternate", "application/json"),
                    r"/wp/v2/posts/(\d+)",
                ),
                lambda: from_pattern([a.get("id") or "" for a in self._articles], r"^post-(\d+)$"),
            )
        )

    def language(self) -> str:
        raw = _first(
            (
                lambda: self.selector.root.get("lang") if self.selector.root.tag == "html" else None,
                lambda: self._meta("og:locale"),
                lambda: self.jsonld.value("inLanguage"),
                lambda: self.site.language,
            )
        )
        return re.split(r"[-_]", str(raw).strip())[0].lower() or self.site.language

    # -- headline ---------------------------------------------------------------------------

    def title(self) -> str | None:
        return _first(
            (
                lambda: self._sane_title(_text(self._find(".tdb_title h1, h1.tdb-title-text"))),
                lambda: self._sane_title(_text(self._find_in_header("h1.entry-title"))),
                lambda: self._sane_title(_text(self._find_in_scope("h1.entry-title"))),
                lambda: self._sane_title(str(self.jsonld.value("headline", {"Article", "NewsArticle", "BlogPosting"}) or "")),
                lambda: self._sane_title(self._strip_site_name(self._meta("og:title") or "")),
                lambda: self._sane_title(self._strip_site_name(self.selector.css("title::text").get() or "")),
            )
        )

    @staticmethod
    def _sane_title(value: str) -> str | None:
        # lxml puts a whole broken document into an unclosed <title>: refuse what no headline looks like.
        value = clean_text(value)
        if not value or "<" in value or len(value) > _MAX_TITLE:
            return None
        return value

    def _strip_site_name(self, value: str) -> str:
        site_name = clean_text(self._meta("og:site_name"))
        value = clean_text(value)
        parts = re.split(r"\s+[-|–—]\s+", value)
        if len(parts) > 1 and (not site_name or parts[-1].casefold() == site_name.casefold()):
            return value[: value.rfind(parts[-1])].rstrip(" -|–—")
        return value

    def subtitle(self) -> str | None:
        return _first(
            (
                lambda: _text(self._find(".tdb_single_subtitle .tdb-block-inner")),
                lambda: _text(self._find_in_header(".td-post-sub-title")),
            )
        )

    # -- people and places --------------------------------------------------------------------

    @cached_property
    def _author_link(self) -> Selector | None:
        css_chain = (
            (self.selector, ".tdb_single_author .tdb-author-name-wrap a, .tdb_single_author a.tdb-author-name"),
            (self.header, ".td-post-author-name a"),
            (self.scope, ".td-post-author-name a"),
            (self.scope, ".author-box-wrap .td-author-name a, .author-box-wrap .fn a"),
            (self.selector, ".tdb-author-box a.tdb-author-name, .tdb_single_author_box a.tdb-author-name"),
            # Hidden byline: the theme still prints the author's vcard when the meta line is switched off.
            (self.scope, ".td-author-name.vcard .fn a"),
        )
        for root, css in css_chain:
            for link in self._find(css, root):
                if _is_name(_text(link)):
                    return link
        return None

    def _jsonld_author(self) -> dict[str, Any] | None:
        author = self.jsonld.value("author")
        if isinstance(author, list):
            author = author[0] if author else None
        if isinstance(author, dict) and not author.get("name") and author.get("@id"):
            author = self.jsonld.by_id(author["@id"])
        return author if isinstance(author, dict) else None

    def author(self) -> str | None:
        link = self._author_link
        return _first(
            (
                lambda: _text(link) if link is not None else None,
                lambda: _name(self._meta("author")),
                lambda: _name(str((self._jsonld_author() or {}).get("name") or "")),
                lambda: _name(
                    Selector(text=self._find_in_scope('[itemprop="author"] meta[itemprop="name"]::attr(content)').get() or "<p></p>")
                    .xpath("string()")
                    .get()
                ),
            )
        )

    def author_url(self) -> str | None:
        link = self._author_link
        href = link.attrib.get("href") if link is not None else (self._jsonld_author() or {}).get("url")
        return clean_url(href, base=self.url) if href else None

    @cached_property
    def _crumbs(self) -> list[tuple[str, str]]:
        """(text, href) of the breadcrumb's links, home and the post itself left out."""
        links = self._find(".tdb_breadcrumbs a.tdb-entry-crumb") or self._find(
            ".td-crumb-container a.entry-crumb, .entry-crumbs a.entry-crumb"
        )
        crumbs = []
        for link in links:
            href = clean_url(link.attrib.get("href", ""), base=self.url)
            path = href.split("://", 1)[-1].partition("/")[2].strip("/")
            if path and href.rstrip("/") != self.canonical_url().rstrip("/"):
                crumbs.append((_text(link), href))
        return crumbs

    def section(self) -> str | None:
        crumbs = self._crumbs
        return _first(
            (
                lambda: crumbs[-1][0] if crumbs else None,
                self._jsonld_breadcrumb_section,
                lambda: (self.categories() or [None])[0],
                lambda: self._meta("article:section"),
                lambda: self._jsonld_sections()[0] if self._jsonld_sections() else None,
            )
        )

    def _jsonld_breadcrumb_section(self) -> str | None:
        """The breadcrumb's last level above the post: Home > Section > Post."""
        names = self.jsonld.breadcrumb_names()
        return clean_text(names[-2]) if len(names) >= 3 else None

    def _jsonld_sections(self) -> list[str]:
        value = self.jsonld.value("articleSection")
        values = value if isinstance(value, list) else str(value or "").split(",")
        return [clean_text(str(v)) for v in values if clean_text(str(v))]

    def _category_links(self) -> SelectorList[Selector]:
        return (
            self._find_in_header("ul.td-category li.entry-category a")
            or self._find(".tdb_single_categories a.tdb-entry-category")
            # a child theme's own list of the post's categories
            or self._find_in_scope('[class*="post-categories"] a[href*="/category/"]')
        )

    def category_urls(self) -> list[str]:
        """Links of the post's categories and breadcrumb (for the ``sections`` filter)."""
        hrefs = [link.attrib.get("href", "") for link in self._category_links()]
        return [clean_url(h, base=self.url) for h in hrefs if h] + [href for _, href in self._crumbs]

    def categories(self) -> list[str]:
        shown = [_text(link) for link in self._category_links() if _text(link)]
        if shown:
            return list(dict.fromkeys(shown))
        crumbs = self._crumbs
        return [crumbs[-1][0]] if crumbs else []

    def tags(self) -> list[str]:
        links = self._find_in_scope(".td-post-source-tags ul.td-tags li a") or self._find(
            ".tdb_single_tags ul.tdb-tags li a"
        )
        shown = [_text(link) for link in links]
        if not shown:
            shown = [clean_text(v) for v in self._metas.get("article:tag", [])]
        return list(dict.fromkeys(t for t in shown if t))

    # -- dates ----------------------------------------------------------------------------------

    def _date_elements(self, kind: str) -> SelectorList[Selector]:
        if kind == "published":
            return (
                self._find(".tdb_single_date")
                or self._find_in_header(".td-post-date")
                or self._find_in_scope(".td-post-date")
                or self._own_post_date()
            )
        return self._find(".tdb_single_modified_date")

    def _own_post_date(self) -> SelectorList[Selector]:
        """A child theme's own date block ("single-post-date"), never one of a module listing
        other posts (the theme's td-post-date there, or anything inside a related or module block)."""
        return SelectorList(
            found
            for found in self._find_in_scope('[class*="post-date"]')
            if "td-post-date" not in _classes(found.root)
            and not any(_OTHER_POSTS.search(a.get("class") or "") for a in found.root.iterancestors())
        )

    def _theme_datetime(self, value: str | None) -> datetime | None:
        """A date the theme wrote (microdata, time[datetime]): the offset rule of pages/dates.py."""
        moment = parse_iso(value, self.site.timezone)
        if moment is None:
            return None
        stated = in_stated_offset(moment, self._stated_dates)
        if stated is not moment:
            return stated
        version = self.theme_major_version
        if version is not None and version < 11:
            return reinterpret_mislabelled_utc(moment, self.site.timezone)
        return moment

    def _microdata(self, prop: str) -> str | None:
        """itemprop=<prop> of the post, on a <meta content> or a <time datetime>."""
        for found in self._find_in_scope(f'[itemprop="{prop}"]'):
            value = found.attrib.get("content") or found.attrib.get("datetime")
            if value:
                return value
        return None

    @cached_property
    def _stated_dates(self) -> list[datetime]:
        """Every machine-readable date of the post that states its own UTC offset."""
        raw = [
            *(self._meta(name) for name in ("article:published_time", "article:modified_time", "og:updated_time")),
            *(str(self.jsonld.value(key) or "") for key in ("datePublished", "dateModified")),
            *(self._microdata(prop) for prop in ("datePublished", "dateModified", "dateCreated")),
            *self._find(".tdb_single_date, .tdb_single_modified_date").css("time::attr(datetime)").getall(),
            *self._find_in_header(".td-post-date").css("time::attr(datetime)").getall(),
        ]
        moments = []
        for value in raw:
            try:
                moment = datetime.fromisoformat(value.strip()) if value else None
            except ValueError:
                continue
            if moment is not None and moment.tzinfo is not None:
                moments.append(moment)
        return moments

    def _date(self, kind: str) -> str | None:
        meta_name, ld_key, item_prop = {
            "published": ("article:published_time", "datePublished", "datePublished"),
            "modified": ("article:modified_time", "dateModified", "dateModified"),
        }[kind]
        elements = cache(partial(self._date_elements, kind))  # looked up only when the metas say nothing
        tz = self.site.timezone
        moment = _first(
            (
                lambda: parse_iso(self._meta(meta_name), tz),
                lambda: parse_iso(str(self.jsonld.value(ld_key) or ""), tz),
                lambda: parse_iso(self._meta("og:updated_time"), tz) if kind == "modified" else None,
                lambda: self._theme_datetime(self._microdata(item_prop)),
                lambda: self._theme_datetime(elements().css("time::attr(datetime)").get()),
                lambda: parse_visible(_text(elements()), self.language(), tz, self.fetched_at) if elements() else None,
            )
        )
        return to_iso(moment)

    def published(self) -> str | None:
        return self._date("published")

    def modified(self) -> str | None:
        return self._date("modified")

    # -- counters (by class, never by position) ---------------------------------------------------

    def views(self) -> int | None:
        return _first(
            (
                lambda: parse_count(self._find_in_header('.td-post-views span[class*="td-nr-views-"]::text').get()),
                lambda: parse_count(self._find('.tdb_single_post_views span[class*="td-nr-views-"]::text').get()),
                lambda: parse_count(_text(self._find_in_header(".td-post-views"))),
                lambda: parse_count(_text(self._find(".tdb_single_post_views .tdb-block-inner"))),
            )
        )

    def comments(self) -> int | None:
        def tdb_count() -> int | None:
            spans = self._find(".tdb_single_comments_count .tdb-block-inner span")
            return parse_count(_text(spans[-1])) if spans else None

        return _first(
            (
                lambda: parse_count(_text(self._find_in_header(".td-post-comments"))),
                tdb_count,
                lambda: parse_count(_text(self._find(".tdb_single_comments_count .tdb-block-inner"))),
                lambda: parse_count(str(self.jsonld.value("commentCount") or "")),
            )
        )

    # -- neighbours -------------------------------------------------------------------------------

    def _neighbour(self, classic_css: str, tdb_css: str, labels: tuple[str, ...]) -> Link | None:
        links = self._find_in_scope(classic_css) or self._find(tdb_css) or self._labelled_links.get(labels, [])
        for link in links:
            title, href = _text(link), link.attrib.get("href")
            if title and href:
                return {"url": clean_url(href, base=self.url), "title": title}
        return None

    @cached_property
    def _labelled_links(self) -> dict[tuple[str, ...], list[Selector]]:
        """Other markup, same words: the link right after a span saying "Article précédent",
        for both directions in one walk of the page's spans."""
        found: dict[tuple[str, ...], list[Selector]] = {}
        # Only spans with a link after them, chosen in C: a Python walk of every span costs ~0.5 ms.
        for span in self.selector.root.xpath("//span[following-sibling::a]"):
            text = "".join(span.itertext())
            if len(text) > _MAX_LABEL:
                continue  # not a label: no need to normalise it
            label = " ".join(text.split()).lower()
            labels = next((labels for labels in (_PREVIOUS_LABELS, _NEXT_LABELS) if label in labels), None)
            link = next(span.itersiblings("a"), None) if labels else None
            if labels and link is not None:
                found.setdefault(labels, []).append(Selector(root=link, type="html"))
        return found

    def previous(self) -> Link | None:
        return self._neighbour(".td-post-next-prev .td-post-prev-post a", ".tdb_single_next_prev .tdb-post-prev a", _PREVIOUS_LABELS)

    def next(self) -> Link | None:
        return self._neighbour(".td-post-next-prev .td-post-next-post a", ".tdb_single_next_prev .tdb-post-next a", _NEXT_LABELS)

    # -- content ----------------------------------------------------------------------------------

    def body_root(self) -> Selector | None:
        return self._body_root

    @cached_property
    def _body_root(self) -> Selector | None:
        for css in _BODY_ROOTS:
            found = self._find_in_scope(css) or self._find(css)
            if found:
                return found[0]
        return self._paragraph_container()

    def _paragraph_container(self) -> Selector | None:
        """No container the theme names (a child theme with templates of its own): the element
        whose own <p> children hold the most text, outside headers, footers, navigation, asides
        and forms, if that is at least _MIN_FALLBACK_BODY characters."""
        scores: dict[Any, int] = {}
        for paragraph in self.selector.root.iter("p"):
            parent = paragraph.getparent()
            if parent is None or any(a.tag in _NOT_A_BODY for a in paragraph.iterancestors()):
                continue
            scores[parent] = scores.get(parent, 0) + len("".join(paragraph.itertext()).strip())
        if not scores:
            return None
        best, score = max(scores.items(), key=lambda kv: kv[1])
        return Selector(root=best, type="html") if score >= _MIN_FALLBACK_BODY else None

    def body_html(self) -> str:
        root = self.body_root()
        return root.get() if root is not None else ""

    def _body_tree(self) -> etree._Element:
        """The body as the pipelines take it (a <div> around a copy of the body's element): they
        clean a copy of this tree instead of parsing ``body_html`` again."""
        wrapper = etree.Element("div")
        root = self.body_root()
        if root is not None and isinstance(root.root, etree._Element):
            body = deepcopy(root.root)
            body.tail = None
            wrapper.append(body)
        return wrapper

    def summary(self) -> str | None:
        return _first(
            (
                lambda: clean_text(self._meta("og:description")),
                lambda: clean_text(self._meta("description")),
                lambda: clean_text(str(self.jsonld.value("description") or "")),
            )
        )

    def image(self) -> Image | None:
        featured = self._find(".tdb_single_featured_image") or self._find_in_scope(".td-post-featured-image")
        url = _first((lambda: self._meta("og:image"), self._jsonld_image, lambda: _lazy_src(featured.css("img"))))
        if not url or _PLACEHOLDER_IMAGE.search(url):
            return None
        caption = _text(featured.css("figcaption, .wp-caption-text, .tdb-caption-text")) if featured else ""
        return {"url": clean_url(url, base=self.url), "caption": caption or None}

    def _jsonld_image(self) -> str | None:
        image = self.jsonld.value("image")
        return image.get("url") if isinstance(image, dict) else image if isinstance(image, str) else None

    def ad_class_prefixes(self) -> list[str]:
        """Advanced Ads prints its random class prefix in the body class: 'aa-prefix-mexic-'."""
        return [c.removeprefix("aa-prefix-") for c in self.body_classes if c.startswith("aa-prefix-")]

    # -- the record ---------------------------------------------------------------------------------

    def to_item(self) -> ArticleItem:
        canonical = self.canonical_url()
        item = ArticleItem(
            url=canonical,
            site=bare_host(urlsplit(canonical).netloc),
            post_id=self.post_id(),
            title=self.title(),
            subtitle=self.subtitle(),
            author=self.author(),
            author_url=self.author_url(),
            published=self.published(),
            modified=self.modified(),
            section=self.section(),
            categories=self.categories(),
            tags=self.tags(),
            language=self.language(),
            summary=self.summary(),
            body_html=self.body_html(),
            image=self.image(),
            views=self.views(),
            comments=self.comments(),
            previous=self.previous(),
            next=self.next(),
            fetched_at=to_iso(self.fetched_at) or "",
            page_hints=PageHints(base_url=self.url, ad_class_prefixes=self.ad_class_prefixes(), site=self.site.name),
        )
        BodyTree.store(item, self._body_tree(), item.body_html)
        return item
