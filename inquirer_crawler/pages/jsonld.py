"""The page's JSON-LD (Yoast / RankMath graphs, tagDiv's BreadcrumbList), flattened to nodes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ARTICLE_TYPES = {"Article", "NewsArticle", "BlogPosting", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle"}


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _flatten(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _flatten(item)]
    if isinstance(data, dict):
        return [data, *_flatten(data["@graph"])] if "@graph" in data else [data]
    return []


def _position(item: dict[str, Any]) -> int:
    """A list item's position; one that is no number ("un", 1.5, a list) sorts first, in page order."""
    try:
        return int(item.get("position") or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


@dataclass(frozen=True)
class JsonLd:
    nodes: tuple[dict[str, Any], ...]

    @classmethod
    def from_scripts(cls, scripts: Iterable[Any]) -> JsonLd:
        """From the page's <script> elements, in page order."""
        nodes: list[dict[str, Any]] = []
        for script in scripts:
            if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
                continue
            try:
                nodes.extend(_flatten(json.loads(script.text)))
            except (ValueError, RecursionError):
                continue  # broken JSON-LD is common; the other sources still answer
        return cls(tuple(nodes))

    def first(self, types: set[str]) -> dict[str, Any] | None:
        return next((node for node in self.nodes if _types(node) & types), None)

    def article(self) -> dict[str, Any] | None:
        return self.first(ARTICLE_TYPES)

    def webpage(self) -> dict[str, Any] | None:
        return self.first({"WebPage", "ItemPage"})

    def by_id(self, node_id: str) -> dict[str, Any] | None:
        return next((node for node in self.nodes if node.get("@id") == node_id), None)

    def value(self, key: str, types: set[str] | None = None) -> Any:
        """The first value of ``key`` in the article node, then the web page node."""
        for node in (self.article(), self.webpage()) if types is None else (self.first(types),):
            if node and node.get(key) not in (None, "", []):
                return node[key]
        return None

    def breadcrumb_names(self) -> list[str]:
        crumbs = self.first({"BreadcrumbList"})
        items = crumbs.get("itemListElement", []) if crumbs else []
        if not isinstance(items, list):
            return []
        ordered = sorted((i for i in items if isinstance(i, dict)), key=_position)
        names = []
        for item in ordered:
            target = item.get("item")
            name = item.get("name") or (target.get("name") if isinstance(target, dict) else None)
            if isinstance(name, str):
                names.append(name)
        return names
