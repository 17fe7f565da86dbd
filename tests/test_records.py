"""Every article fixture, replayed through the real crawl, against its hand-checked record.

One test per field per fixture, so a broken selector fails by name
(``test_field[guineenews-views]``). The expected values in tests/expected/ were read off the
pages by a person; see each file's "source".
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import EXPECTATIONS, Expectation, instant, validate_record

DATE_FIELDS = {"published", "modified"}
LINK_FIELDS = {"previous", "next", "image"}  # compared by their URL
TEXT_FIELDS = {"title", "subtitle", "author", "section", "summary"}

# Tests the code cannot pass yet, "test_name[id]" -> reason. Each is xfail(strict=True): it fails
# loudly the day it passes, and must then leave this table. Temporary, never a way to hide a bug.
PENDING: dict[str, str] = {}


def case(test: str, *values: Any, id: str) -> Any:
    reason = PENDING.get(f"{test}[{id}]")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*values, id=id, marks=marks)


def page_cases(test: str, expectations: list[Expectation] = EXPECTATIONS) -> list[Any]:
    return [case(test, e, id=e.name) for e in expectations]


def squash(value: str) -> str:
    """The comparison rule of tests/expected/README.md: NBSP and whitespace runs are one space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", value).strip()


def field_cases() -> list[Any]:
    return [case("test_field", e, name, id=f"{e.name}-{name}") for e in EXPECTATIONS for name in e.data["fields"]]


def record_of(records: dict[str, dict[str, Any]], expectation: Expectation) -> dict[str, Any]:
    url = expectation.data["fields"].get("url", expectation.url)
    assert url in records, f"no record for {url}; got {sorted(records)}"
    return records[url]


@pytest.mark.parametrize(("expectation", "name"), field_cases())
def test_field(replay_records: dict[str, dict[str, Any]], expectation: Expectation, name: str) -> None:
    record = record_of(replay_records, expectation)
    expected = expectation.data["fields"][name]
    actual = record[name]
    if expected is None:
        assert actual is None
    elif name in DATE_FIELDS:
        assert actual is not None and instant(actual) == instant(expected), actual
    elif name in LINK_FIELDS:
        assert actual is not None and actual["url"] == expected
    elif name in TEXT_FIELDS:
        assert actual is not None and squash(actual) == squash(expected)
    elif name in ("categories", "tags"):
        assert [squash(v) for v in actual] == [squash(v) for v in expected]
    else:
        assert actual == expected


@pytest.mark.parametrize("expectation", page_cases("test_record_is_valid_against_the_schema"))
def test_record_is_valid_against_the_schema(
    replay_records: dict[str, dict[str, Any]], expectation: Expectation
) -> None:
    validate_record(record_of(replay_records, expectation))


@pytest.mark.parametrize("expectation", page_cases("test_body_starts_and_ends_with_the_article_text"))
def test_body_starts_and_ends_with_the_article_text(
    replay_records: dict[str, dict[str, Any]], expectation: Expectation
) -> None:
    paragraphs = record_of(replay_records, expectation)["body"].split("\n\n")
    assert squash(paragraphs[0]) == squash(expectation.data["body_first"])
    assert squash(paragraphs[-1]) == squash(expectation.data["body_last"])


@pytest.mark.parametrize(
    "expectation",
    page_cases("test_body_is_exactly_the_article_paragraphs", [e for e in EXPECTATIONS if "body_paragraphs" in e.data]),
)
def test_body_is_exactly_the_article_paragraphs(
    replay_records: dict[str, dict[str, Any]], expectation: Expectation
) -> None:
    paragraphs = record_of(replay_records, expectation)["body"].split("\n\n")
    assert [squash(p) for p in paragraphs] == [squash(p) for p in expectation.data["body_paragraphs"]]


@pytest.mark.parametrize("expectation", page_cases("test_nothing_near_the_body_leaks_into_it"))
def test_nothing_near_the_body_leaks_into_it(
    replay_records: dict[str, dict[str, Any]], expectation: Expectation
) -> None:
    record = record_of(replay_records, expectation)
    # Captions are allowed in body_html (figure/figcaption), never in the body text.
    html_without_figures = re.sub(r"<figure>.*?</figure>", "", record["body_html"], flags=re.DOTALL)
    for text in expectation.data["body_excludes"]:
        assert squash(text) not in squash(record["body"]), text
        assert squash(text) not in squash(html_without_figures), text


@pytest.mark.parametrize(
    "expectation", page_cases("test_related_holds_the_promoted_links", [e for e in EXPECTATIONS if "related" in e.data])
)
def test_related_holds_the_promoted_links(replay_records: dict[str, dict[str, Any]], expectation: Expectation) -> None:
    related = record_of(replay_records, expectation)["related"]
    assert [(r["url"], squash(r["title"])) for r in related] == [
        (r["url"], squash(r["title"])) for r in expectation.data["related"]
    ]


@pytest.mark.parametrize(
    "expectation", page_cases("test_body_images_with_captions", [e for e in EXPECTATIONS if "images" in e.data])
)
def test_body_images_with_captions(replay_records: dict[str, dict[str, Any]], expectation: Expectation) -> None:
    images = record_of(replay_records, expectation)["images"]
    assert [(i["url"], squash(i["caption"] or "")) for i in images] == [
        (i["url"], squash(i["caption"] or "")) for i in expectation.data["images"]
    ]


def test_every_expectation_was_exported_once(replay_output: list[dict[str, Any]]) -> None:
    urls = [record["url"] for record in replay_output]
    assert sorted(urls) == sorted(e.data["fields"].get("url", e.url) for e in EXPECTATIONS)


def test_output_is_utf8_without_escapes(
    replay_output: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw = next(tmp_path_factory.getbasetemp().glob("replay*/out.jsonl")).read_bytes()
    assert "é".encode() in raw and b"\\u00e9" not in raw
    assert raw.endswith(b"\n") and raw.count(b"\n") == len(replay_output)
