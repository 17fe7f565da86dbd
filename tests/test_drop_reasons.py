"""Drop reasons are data: every pipeline raises ArticleDropped with ``.reason`` from a closed set, and
the readers (the spider's ledger, the state extension) read the attribute, never the message text."""

from __future__ import annotations

import typing

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from inquirer_crawler.items import DROP_REASONS, ArticleDropped, ArticleItem, DropReason, drop_reason_of
from inquirer_crawler.pages.dom import unparsable_page_dropped
from inquirer_crawler.spiders.newspaper import NewspaperSpider
from inquirer_crawler.state.extension import RunState
from inquirer_crawler.state.ledger import FAILED_REASONS, SKIPPED_REASONS
from inquirer_crawler.state.outcomes import UrlOutcomes
from tests.conftest import build_pipelines, run_pipelines
from tests.test_pipelines import KEPT, item

URL = "https://theinquirer.fr/un-article/"


def test_the_reasons_are_a_closed_typed_set_the_ledger_knows() -> None:
    assert set(typing.get_args(DropReason)) == DROP_REASONS
    # What the spider settles a drop as: a failed reason, or one of the two skips.
    assert DROP_REASONS - {"duplicate", "unchanged"} <= FAILED_REASONS
    assert {"duplicate_of", "unchanged"} <= SKIPPED_REASONS
    with pytest.raises(ValueError, match="unknown drop reason"):
        ArticleDropped("made_up", URL)  # type: ignore[arg-type]


def test_a_drop_is_a_dropitem_whose_message_still_names_reason_and_url() -> None:
    drop = ArticleDropped("parse_error", URL, "RecursionError")
    assert isinstance(drop, DropItem)
    assert (drop.reason, drop.url, str(drop)) == ("parse_error", URL, f"parse_error: {URL} (RecursionError)")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": None}, "missing_title"),
        ({"published": None}, "missing_published"),
        ({"published": "2099-01-01T00:00:00+00:00", "fetched_at": "2026-11-27T09:00:00+00:00"}, "date_in_future"),
        ({"published": "1970-01-01T00:00:00+00:00"}, "date_implausible"),
    ],
)
def test_validate_raises_the_reason_as_an_attribute(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(ArticleDropped) as raised:
        run_pipelines(item(KEPT, **fields))
    assert raised.value.reason == reason


def test_dedupe_raises_duplicate_as_an_attribute() -> None:
    _, pipelines = build_pipelines()
    run_pipelines(item(KEPT), pipelines)
    with pytest.raises(ArticleDropped) as raised:
        run_pipelines(item(KEPT), pipelines)
    assert raised.value.reason == "duplicate"


def test_an_unparsable_body_raises_parse_error_as_an_attribute() -> None:
    with pytest.raises(ArticleDropped) as raised, unparsable_page_dropped(item(KEPT), None):
        raise RecursionError
    assert raised.value.reason == "parse_error"


# A foreign DropItem whose message looks like one of ours: the text is not parsed.
IMPOSTOR = DropItem(f"unchanged: {URL}")


def test_the_state_extension_reads_the_attribute() -> None:
    extension = RunState(get_crawler())
    record = ArticleItem(url=URL, site="theinquirer.fr")
    extension.item_dropped(record, None, ArticleDropped("unchanged", URL), None)  # type: ignore[arg-type]
    extension.item_dropped(record, None, IMPOSTOR, None)  # type: ignore[arg-type]
    assert extension.facts.dropped == {"unchanged": 1, "error": 1}
    assert extension.facts.unchanged == 1


def test_the_outcome_owner_settles_drops_by_the_attribute() -> None:
    """The state extension is the one writer of a URL's outcome (state/outcomes.py): a drop is
    settled by its ``.reason``; a pipeline that raised (item_error) is a failure of this run."""
    spider = NewspaperSpider(start="https://theinquirer.fr/")
    extension = RunState(get_crawler())
    extension.outcomes = UrlOutcomes(spider.state_key, None)
    for path, exception in (
        ("/a/", ArticleDropped("missing_body", URL)),
        ("/b/", ArticleDropped("duplicate", URL)),
        ("/c/", IMPOSTOR),
        ("/d/", None),
    ):
        record = ArticleItem(url="https://theinquirer.fr" + path, site="theinquirer.fr")
        extension.outcomes.requested(record.url)
        if exception is None:
            extension.item_error(record)
        else:
            extension.item_dropped(record, None, exception, None)  # type: ignore[arg-type]
    states = extension.outcomes.ledger.states
    assert [states[spider.state_key(f"https://theinquirer.fr/{p}/")] for p in "abcd"] == [
        ("failed", "missing_body"),
        ("skipped", "duplicate_of"),
        ("failed", "error"),
        ("failed", "error"),
    ]


def test_drop_reason_of_anything_else_is_error() -> None:
    assert drop_reason_of(ValueError("missing_title: x")) == "error"
    assert drop_reason_of(None) == "error"
