"""Extraction: one tagDiv Newspaper article page -> ArticleItem, from an HTML string.

Three modules share the work: pages/facts.py reads the page-level facts (metas, links, JSON-LD, the
theme's version), pages/query.py answers CSS lookups inside the post, and pages/selectors.py holds
the selector chains as data. This module is the field code: each field tries its chain of sources,
most reliable first (SITE-NOTES §9). Nothing here cleans the body or normalises values; the
pipelines do that.

Each field is extracted on its own (``to_item``): an exception in one leaves that field empty, is
logged with the URL and the field's name, and is listed in ``failed_fields`` (the spider counts it
``fields/failed/<field>``). Only a missing title, body or publication date drops the record, in
the validate pipeline.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, partial
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector, SelectorList

from inquirer_crawler.discovery.urls import clean_url
from inquirer_crawler.items import ArticleItem, Image, Link, PageHints
from inquirer_crawler.pages import selectors
from inquirer_crawler.pages.dates import (
    in_stated_offset,
    parse_iso,
    parse_visible,
    reinterpret_mislabelled_utc,
    to_iso,
    utc_now,
)
from inquirer_crawler.pages.dom import BodyTree, parse_page, text_of
from inquirer_crawler.pages.facts import PageFacts
from inquirer_crawler.pages.jsonld import JsonLd
from inquirer_crawler.pages.query import PostQuery, classes
from inquirer_crawler.pages.text import clean_text, parse_count
from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host

logger = logging.getLogger(__name__)

_PREVIOUS_LABELS = (
    "article précédent",
    "previous article",
    "artículo anterior",
    "vorheriger artikel",
    "articolo precedente",
)
_NEXT_LABELS = ("article suivant", "next article", "artículo siguiente", "nächster artikel", "articolo successivo")
# A span longer than this is text, not one of those labels.
_MAX_LABEL = 80
# Theme placeholder served as og:image when a post has no image.
_PLACEHOLDER_IMAGE = re.compile(r"td_meta_replacement|no-thumb|placeholder", re.IGNORECASE)
_MAX_TITLE = 300
# Without a body container the theme names, the paragraphs' container is the body if it holds
# at least this many characters of paragraph text (see ArticlePage._paragraph_container).
_MIN_FALLBACK_BODY = 500
_NOT_A_BODY = frozenset({"header", "footer", "nav", "aside", "form"})
# The page's <p> outside all of those, chosen in C (a Python walk of every paragraph's ancestors
# is ~1.5 ms on a page of a hundred paragraphs).
_PARAGRAPHS_OUTSIDE_FURNITURE = etree.XPath(
    "//p[not(ancestor::*[" + " or ".join(f"self::{tag}" for tag in sorted(_NOT_A_BODY)) + "])]"
)
# Blocks that list other posts: their dates and categories are not the post's.
_OTHER_POSTS = re.compile(r"related|td_module|td_block|module|widget|card", re.IGNORECASE)
# The record's fields, for what an empty one is (its own default).
_RECORD_FIELDS = {f.name: f for f in dataclasses.fields(ArticleItem)}


def _empty(name: str) -> Any:
    """The value of a field that could not be extracted: the record's own default ([] or None)."""
    default = _RECORD_FIELDS[name]
    return default.default_factory() if default.default_factory is not dataclasses.MISSING else default.default


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
        return text_of(element)  # in C; the usual case, no script inside
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
    # Fields whose extraction raised, in the order they were tried (to_item, category_urls).
    failed_fields: list[str] = field(default_factory=list)

    @classmethod
    def from_html(
        cls, html: str | bytes, url: str, site: SiteConfig | None = None, fetched_at: datetime | None = None
    ) -> ArticlePage:
        return cls(
            url=url,
            selector=parse_page(html, url),
            site=site or site_for_host(urlsplit(url).netloc),
            fetched_at=fetched_at or utc_now(),
        )

    # -- the two helpers: page-level facts and the query engine ---------------------------------

    @cached_property
    def facts(self) -> PageFacts:
        return PageFacts(self.selector.root)

    @cached_property
    def query(self) -> PostQuery:
        return PostQuery(self.selector, self.facts.articles)

    @property
    def jsonld(self) -> JsonLd:
        return self.facts.jsonld

    def _meta(self, name: str) -> str | None:
        return self.facts.meta(name)

    @property
    def body_classes(self) -> list[str]:
        return self.facts.body_classes

    @cached_property
    def template(self) -> str:
        """'tdb' for Cloud Library templates, else 'classic'."""
        tdb = any(c.startswith("tdb_template") for c in self.body_classes) or bool(
            self.query.find(".tdb_single_content, .tdb_title")
        )
        return "tdb" if tdb else "classic"

    def is_article(self) -> bool:
        return bool(
            self._guarded(
                "is_article",
                lambda: (
                    self._meta("og:type") == "article"
                    or self._meta("article:published_time")
                    or "single-post" in self.body_classes
                    or any(c.startswith("postid-") for c in self.body_classes)
                    or self.selector.css(selectors.ARTICLE_HEADLINE)
                ),
                False,
            )
        )

    def _steps(
        self, chain: selectors.Chain, read: Callable[[SelectorList[Selector]], Any]
    ) -> Iterator[Callable[[], Any]]:
        """One candidate per step of the chain, for ``_first``: ``read`` of what the step finds,
        looked up only when the candidate is tried."""
        for where, css in chain:
            yield partial(self._read_step, where, css, read)

    def _read_step(self, where: selectors.Where, css: str, read: Callable[[SelectorList[Selector]], Any]) -> Any:
        return read(self.query.find(css, self.query.within(where)))

    def _guarded(self, name: str, extract: Callable[[], Any], empty: Any) -> Any:
        """``extract()``, or ``empty`` when it raises: a field the page breaks costs that field only."""
        try:
            return extract()
        except Exception as error:  # noqa: BLE001 (a page we do not control; the other fields still answer)
            self.failed_fields.append(name)
            logger.warning("field %s failed on %s: %s: %s", name, self.url, type(error).__name__, error)
            return empty

    # -- identity -------------------------------------------------------------------------

    def canonical_url(self) -> str:
        return self._canonical

    @cached_property
    def _canonical(self) -> str:
        return clean_url(
            _first(
                (
                    lambda: next(iter(self.facts.link_hrefs("canonical")), None),
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
                lambda: from_pattern(self.facts.link_hrefs("shortlink"), r"[?&]p=(\d+)"),
                lambda: from_pattern(
                    self.facts.link_hrefs("alternate", "application/json"),
                    r"/wp/v2/posts/(\d+)",
                ),
                lambda: from_pattern([a.get("id") or "" for a in self.facts.articles], r"^post-(\d+)$"),
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
            chain(
                self._steps(selectors.TITLE, lambda found: self._sane_title(_text(found))),
                (
                    lambda: self._sane_title(
                        str(self.jsonld.value("headline", {"Article", "NewsArticle", "BlogPosting"}) or "")
                    ),
                    lambda: self._sane_title(self._strip_site_name(self._meta("og:title") or "")),
                    lambda: self._sane_title(self._strip_site_name(self.selector.css("title::text").get() or "")),
                ),
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
        return _first(self._steps(selectors.SUBTITLE, _text))

    # -- people and places --------------------------------------------------------------------

    @cached_property
    def _author_link(self) -> Selector | None:
        for links in self.query.each(selectors.AUTHOR_LINK):
            for link in links:
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
                    Selector(text=self.query.first(selectors.AUTHOR_MICRODATA).get() or "<p></p>")
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
        links = self.query.first(selectors.BREADCRUMB)
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
                lambda: next(iter(self.categories()), None),
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
        return self.query.first(selectors.CATEGORIES)

    def category_urls(self) -> list[str]:
        """Links of the post's categories and breadcrumb (for the ``sections`` filter)."""

        def hrefs() -> list[str]:
            links = [link.attrib.get("href", "") for link in self._category_links()]
            return [clean_url(h, base=self.url) for h in links if h] + [href for _, href in self._crumbs]

        return list(self._guarded("category_urls", hrefs, []))

    def categories(self) -> list[str]:
        shown = [_text(link) for link in self._category_links() if _text(link)]
        if shown:
            return list(dict.fromkeys(shown))
        crumbs = self._crumbs
        return [crumbs[-1][0]] if crumbs else []

    def tags(self) -> list[str]:
        links = self.query.first(selectors.TAGS)
        shown = [_text(link) for link in links]
        if not shown:
            shown = [clean_text(v) for v in self.facts.metas.get("article:tag", [])]
        return list(dict.fromkeys(t for t in shown if t))

    # -- dates ----------------------------------------------------------------------------------

    def _date_elements(self, kind: str) -> SelectorList[Selector]:
        if kind == "published":
            return self.query.first(selectors.PUBLISHED_BLOCK) or self._own_post_date()
        return self.query.first(selectors.MODIFIED_BLOCK)

    def _own_post_date(self) -> SelectorList[Selector]:
        """A child theme's own date block ("single-post-date"), never one of a module listing
        other posts (the theme's td-post-date there, or anything inside a related or module block)."""
        return SelectorList(
            found
            for found in self.query.first(selectors.OWN_POST_DATE)
            if "td-post-date" not in classes(found.root)
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
        version = self.facts.theme_major_version
        if version is not None and version < 11:
            return reinterpret_mislabelled_utc(moment, self.site.timezone)
        return moment

    def _microdata(self, prop: str) -> str | None:
        """itemprop=<prop> of the post, on a <meta content> or a <time datetime>."""
        for found in self.query.first(selectors.MICRODATA[prop]):
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
            *(
                value
                for found in self.query.each(selectors.STATED_DATE_BLOCKS)
                for value in found.css("time::attr(datetime)").getall()
            ),
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
            chain(
                self._steps(selectors.VIEWS_NUMBER, lambda found: parse_count(found.get())),
                self._steps(selectors.VIEWS_TEXT, lambda found: parse_count(_text(found))),
            )
        )

    def comments(self) -> int | None:
        def tdb_count() -> int | None:
            spans = self.query.first(selectors.COMMENTS_SPANS)
            return parse_count(_text(spans[-1])) if spans else None

        return _first(
            (
                lambda: parse_count(_text(self.query.first(selectors.COMMENTS_TEXT))),
                tdb_count,
                lambda: parse_count(_text(self.query.first(selectors.COMMENTS_BLOCK))),
                lambda: parse_count(str(self.jsonld.value("commentCount") or "")),
            )
        )

    # -- neighbours -------------------------------------------------------------------------------

    def _neighbour(self, chain: selectors.Chain, labels: tuple[str, ...]) -> Link | None:
        links = self.query.first(chain) or self._labelled_links.get(labels, [])
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
            text = text_of(span)
            if len(text) > _MAX_LABEL:
                continue  # not a label: no need to normalise it
            label = " ".join(text.split()).lower()
            labels = next((labels for labels in (_PREVIOUS_LABELS, _NEXT_LABELS) if label in labels), None)
            link = next(span.itersiblings("a"), None) if labels else None
            if labels and link is not None:
                found.setdefault(labels, []).append(Selector(root=link, type="html"))
        return found

    def previous(self) -> Link | None:
        return self._neighbour(selectors.PREVIOUS, _PREVIOUS_LABELS)

    def next(self) -> Link | None:
        return self._neighbour(selectors.NEXT, _NEXT_LABELS)

    # -- content ----------------------------------------------------------------------------------

    def body_root(self) -> Selector | None:
        return self._body_root

    @cached_property
    def _body_root(self) -> Selector | None:
        found = self.query.first(selectors.BODY)
        return found[0] if found else self._paragraph_container()

    def _paragraph_container(self) -> Selector | None:
        """No container the theme names (a child theme with templates of its own): the element
        whose own <p> children hold the most text, outside headers, footers, navigation, asides
        and forms, if that is at least _MIN_FALLBACK_BODY characters."""
        scores: dict[Any, int] = {}
        paragraphs: list[Any] = _PARAGRAPHS_OUTSIDE_FURNITURE(self.selector.root)  # type: ignore[assignment]  # a node-set
        for paragraph in paragraphs:
            parent = paragraph.getparent()
            if parent is None:
                continue
            scores[parent] = scores.get(parent, 0) + len(text_of(paragraph).strip())
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
        featured = self.query.first(selectors.FEATURED_IMAGE)
        url = _first(
            (
                lambda: self._meta("og:image"),
                self._jsonld_image,
                lambda: _lazy_src(featured.css(selectors.FEATURED_IMG)),
            )
        )
        if not url or _PLACEHOLDER_IMAGE.search(url):
            return None
        caption = _text(featured.css(selectors.FEATURED_CAPTION)) if featured else ""
        return {"url": clean_url(url, base=self.url), "caption": caption or None}

    def _jsonld_image(self) -> str | None:
        image = self.jsonld.value("image")
        return image.get("url") if isinstance(image, dict) else image if isinstance(image, str) else None

    def ad_class_prefixes(self) -> list[str]:
        """Advanced Ads prints its random class prefix in the body class: 'aa-prefix-mexic-'."""
        return [c.removeprefix("aa-prefix-") for c in self.body_classes if c.startswith("aa-prefix-")]

    # -- the record ---------------------------------------------------------------------------------

    # (record field, page method): each extracted on its own, in this order.
    FIELDS: tuple[tuple[str, str], ...] = (
        ("post_id", "post_id"),
        ("title", "title"),
        ("subtitle", "subtitle"),
        ("author", "author"),
        ("author_url", "author_url"),
        ("published", "published"),
        ("modified", "modified"),
        ("section", "section"),
        ("categories", "categories"),
        ("tags", "tags"),
        ("language", "language"),
        ("summary", "summary"),
        ("body_html", "body_html"),
        ("image", "image"),
        ("views", "views"),
        ("comments", "comments"),
        ("previous", "previous"),
        ("next", "next"),
    )

    def to_item(self) -> ArticleItem:
        canonical = self._guarded("url", self.canonical_url, None) or clean_url(self.url, base=self.url)
        values = {name: self._guarded(name, getattr(self, method), _empty(name)) for name, method in self.FIELDS}
        item = ArticleItem(
            url=canonical,
            site=bare_host(urlsplit(canonical).netloc),
            **values,
            fetched_at=to_iso(self.fetched_at) or "",
            page_hints=PageHints(
                base_url=self.url,
                ad_class_prefixes=self._guarded("ad_class_prefixes", self.ad_class_prefixes, []),
                site=self.site.name,
            ),
        )
        body_tree = self._guarded("body_html", self._body_tree, None) if item.body_html else etree.Element("div")
        if body_tree is not None:
            BodyTree.store(item, body_tree, item.body_html)
        return item
