"""The article record: one exported JSON line per ArticleItem.

Field order here is the order of the keys in every line (``EXPORT_FIELDS`` feeds
``FEED_EXPORT_FIELDS``). ``schema/article.schema.json`` is the same contract for consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypedDict


class Link(TypedDict):
    url: str
    title: str


class Image(TypedDict):
    url: str
    caption: str | None


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
    page_hints: dict[str, Any] = field(default_factory=dict, metadata={"export": False})


EXPORT_FIELDS: list[str] = [f.name for f in fields(ArticleItem) if f.metadata.get("export", True)]
