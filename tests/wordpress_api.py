"""``/wp-json/wp/v2/posts`` as strict as WordPress (5.7+) is, for a MirrorServer route.

What it checks the way WordPress does (wp-includes/rest-api.php, class-wp-rest-posts-controller.php):

- ``modified_after`` must match ``rest_parse_date``'s pattern (``YYYY-MM-DDThh:mm:ss``, optional
  fraction, optional ``Z`` or ``±hh[:mm]``), else 400 ``rest_invalid_param``: a ``+`` sent
  unencoded arrives as a space and fails. A date without an offset is the site's local time
  (this test site is on UTC);
- ``per_page`` from 1 to 100, ``page`` from 1, ``orderby`` and ``order`` from their enums, else 400;
- a ``page`` past the last one is 400 ``rest_post_invalid_page_number``;
- ``X-WP-Total`` and ``X-WP-TotalPages`` on every answer; ``_fields`` keeps only the named fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

_REST_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::\d{2})?)?$")
_ORDERBY = ("author", "date", "id", "include", "modified", "parent", "relevance", "slug", "include_slugs", "title")
JSON = {"Content-Type": "application/json; charset=UTF-8"}


@dataclass(frozen=True)
class Post:
    link: str
    modified_gmt: str  # "2022-02-01T09:00:00", UTC without an offset, as WordPress gives it


@dataclass
class WordPressPosts:
    posts: list[Post]
    queries: list[dict[str, str]] = field(default_factory=list)  # every query asked, parsed

    def __call__(self, path: str) -> tuple[int, dict[str, str], bytes]:
        raw = parse_qs(urlsplit(path).query, keep_blank_values=True)
        query = {name: values[-1] for name, values in raw.items()}
        self.queries.append(query)
        problem = _invalid(query)
        if problem:
            return _error(400, "rest_invalid_param", problem)
        selected = self._selected(query)
        per_page, page = int(query.get("per_page", "10")), int(query.get("page", "1"))
        pages = max(1, -(-len(selected) // per_page))
        if page > pages and selected:
            return _error(
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
        shown = selected[(page - 1) * per_page : page * per_page]
        fields = [f for f in query.get("_fields", "").split(",") if f]
        body = [
            {k: v for k, v in {"link": p.link, "modified_gmt": p.modified_gmt}.items() if not fields or k in fields}
            for p in shown
        ]
        headers = {**JSON, "X-WP-Total": str(len(selected)), "X-WP-TotalPages": str(pages if selected else 0)}
        return 200, headers, json.dumps(body).encode()

    def _selected(self, query: dict[str, str]) -> list[Post]:
        after = query.get("modified_after")
        posts = [p for p in self.posts if not after or _utc(p.modified_gmt) > _moment(after)]
        key = (lambda p: _utc(p.modified_gmt)) if query.get("orderby") == "modified" else (lambda p: p.link)
        return sorted(posts, key=key, reverse=query.get("order", "desc") == "desc")


def _invalid(query: dict[str, str]) -> str | None:
    if "modified_after" in query and not _REST_DATE.match(query["modified_after"]):
        return "Invalid parameter(s): modified_after"
    for name, low, high in (("per_page", 1, 100), ("page", 1, None)):
        value = query.get(name, str(low))
        if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
            return f"Invalid parameter(s): {name}"
    if query.get("orderby", "date") not in _ORDERBY or query.get("order", "desc") not in ("asc", "desc"):
        return "Invalid parameter(s): orderby"
    return None


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("z", "Z").replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, JSON, json.dumps({"code": code, "message": message, "data": {"status": status}}).encode()
