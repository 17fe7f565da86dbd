"""The article record: one exported JSON line per ArticleItem.

Field order here is the order of the keys in every line (``EXPORT_FIELDS`` feeds
``FEED_EXPORT_FIELDS``). ``schema/article.schema.json`` is the same contract for consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal, TypedDict, get_args

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from lxml import etree


class Link(TypedDict):
    url: str
    title: str


class Image(TypedDict):
    url: str
    caption: str | None


@dataclass
class PageHints:
    """What the pipelines and the state need to know about the page an item came from: not exported,
    not part of the content hash. Each field has one writer, named here."""

    # Written by the page code (pages/article.py).
    base_url: str = ""  # the page's own URL: relative links in the body resolve against it
    site: str = ""  # the site's registry name: its time zone, phrases and junk selectors
    ad_class_prefixes: list[str] = field(default_factory=list)  # the page's own ad-class prefixes
    # The body as a tree, with the ``body_html`` string it was stored with (pages/dom.BodyTree).
    body_tree: tuple[etree._Element, str] | None = None
    # Written by the spider: the request that found the article (tracking parameters, a shortlink).
    request_url: str = ""
    request_key: str = ""
    # Written by drop_cross_promo: junk blocks taken out of the body.
    junk_removed: int = 0
    # Written by dedupe: an earlier run exported this article (so its export is a change, not new).
    known: bool = False


@dataclass
class ArticleItem:
    url: str
    site: str
    post_id: int | None = None
    title: str | None = None
    subtitle: str | None = None
    author: str | None = None
    author_url: str | None = None
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    summary: str | None = None
    body: str = ""
    body_html: str = ""
    word_count: int = 0
    image: Image | None = None
    images: list[Image] = field(default_factory=list)
    views: int | None = None
    comments: int | None = None
    previous: Link | None = None
    next: Link | None = None
    related: list[Link] = field(default_factory=list)
    fetched_at: str = ""
    # Not exported: what the pipelines need to know about the page the item came from.
    page_hints: PageHints = field(default_factory=PageHints, metadata={"export": False})


EXPORT_FIELDS: list[str] = [f.name for f in fields(ArticleItem) if f.metadata.get("export", True)]


# Why a pipeline did not export a record: a closed set, read as ``ArticleDropped.reason``.
DropReason = Literal[
    "missing_title",
    "missing_body",
    "missing_published",
    "date_in_future",
    "date_implausible",
    "parse_error",
    "schema_invalid",
    "duplicate",
    "unchanged",
]
DROP_REASONS: frozenset[str] = frozenset(get_args(DropReason))


class ArticleDropped(DropItem):
    """A record a pipeline did not export; ``.reason`` says why (the message is for the log only)."""

    def __init__(self, reason: DropReason, url: str, detail: str = "", log_level: str = "WARNING") -> None:
        if reason not in DROP_REASONS:
            raise ValueError(f"unknown drop reason {reason!r}")
        super().__init__(f"{reason}: {url}{f' ({detail})' if detail else ''}", log_level=log_level)
        self.reason: DropReason = reason
        self.url = url


def drop_reason_of(exception: BaseException | None) -> str:
    """The reason a record was not exported: ``.reason`` of a pipeline's drop, else ``error``."""
    return exception.reason if isinstance(exception, ArticleDropped) else "error"
