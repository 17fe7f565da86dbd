"""The offset rule of pages/dates.py: a theme-written +00:00 date is read in the offset the page's
other dates state. On the real pages it is checked by test_records (every page's published and
modified); here on the cases that define it."""

from __future__ import annotations

from datetime import datetime

import pytest

from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.dates import in_stated_offset


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.parametrize(
    ("moment", "others", "expected"),
    [
        # zimeye: datePublished +00:00, dateModified +01:00 (a post scheduled half an hour after its last edit)
        ("2020-03-23T18:15:00+00:00", ["2020-03-23T17:46:06+01:00"], "2020-03-23T18:15:00+01:00"),
        # the nearest stated date gives the offset: summer time for a summer date
        (
            "2021-07-01T10:00:00+00:00",
            ["2021-01-10T09:00:00+01:00", "2021-06-20T09:00:00+02:00"],
            "2021-07-01T10:00:00+02:00",
        ),
        # nothing states another offset (a site in UTC, or Yoast's UTC only): kept
        ("2020-11-04T16:14:08+00:00", ["2020-11-04T16:35:19+00:00"], "2020-11-04T16:14:08+00:00"),
        ("2020-11-04T16:14:08+00:00", [], "2020-11-04T16:14:08+00:00"),
        # a date that states its own offset is never moved
        ("2019-11-20T01:22:37-05:00", ["2019-11-20T06:38:32+01:00"], "2019-11-20T01:22:37-05:00"),
    ],
)
def test_a_plus_zero_date_takes_the_offset_the_other_dates_state(moment: str, others: list[str], expected: str) -> None:
    result = in_stated_offset(at(moment), [at(o) for o in others])
    assert result.isoformat() == expected


def page(head: str, meta: str) -> ArticlePage:
    html = f"""<html lang="en"><head>{head}</head><body class="single single-post postid-7">
    <article id="post-7" class="post-7 post type-post"><div class="td-post-header"><header class="td-post-title">
    <h1 class="entry-title">Title</h1></header></div>{meta}
    <div class="td-post-content"><p>Text of the post.</p></div></article></body></html>"""
    return ArticlePage.from_html(html, "https://site.example/post/")


def test_microdata_published_in_utc_label_takes_the_modified_offset() -> None:
    article = page(
        "",
        '<meta itemprop="datePublished" content="2020-03-23T18:15:00+00:00">'
        '<meta itemprop="dateModified" content="2020-03-23T17:46:06+01:00">',
    )
    assert article.published() == "2020-03-23T18:15:00+01:00"
    assert article.modified() == "2020-03-23T17:46:06+01:00"


def test_an_seo_plugin_date_is_never_moved() -> None:
    article = page(
        '<meta property="article:published_time" content="2020-03-23T17:15:00+00:00">',
        '<meta itemprop="dateModified" content="2020-03-23T17:46:06+01:00">',
    )
    assert article.published() == "2020-03-23T17:15:00+00:00"


def test_microdata_on_a_time_element_is_read() -> None:
    article = page(
        "",
        '<time itemprop="dateCreated" datetime="2019-11-20T01:22:37-05:00"></time>'
        '<time itemprop="dateModified" datetime="2019-11-20T06:38:32-05:00">11/20/19 6:38 AM</time>',
    )
    assert article.modified() == "2019-11-20T06:38:32-05:00"


def test_a_named_date_is_read_as_dateparser_reads_it() -> None:
    # The shortcut for "July 8, 2025", "8 juillet 2025", "8. Juli 2025" against dateparser itself:
    # every month name and abbreviation of dateparser's locale data for each language we have
    # labels for, in each shape, capitalised or not, on days and years of both halves of the year
    # (summer and winter offsets), in two time zones. Where the shortcut answers, it answers as
    # dateparser does; it answers most of them.
    import random
    from datetime import UTC

    from inquirer_crawler.pages.dates import _month_names, _named_date, with_dateparser
    from inquirer_crawler.sites.phrases import CROSS_PROMO_PHRASES

    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    cases = []
    for language in CROSS_PROMO_PHRASES:
        for name in _month_names(language):
            for day in (1, 8, 12, 28, 31):
                for shape in ("{d} {m} {y}", "{m} {d}, {y}", "{d}. {m} {y}", "{m}. {d} {y}", "{d}er {m} {y}"):
                    for m in (name, name.title()):
                        cases.append((language, shape.format(d=day, m=m, y=random.Random(day).choice((1999, 2025)))))
    sample = random.Random(7).sample(cases, 1500)
    answered = 0
    for index, (language, text) in enumerate(sample):
        tz = ("Europe/Paris", "America/New_York")[index % 2]
        quick = _named_date(text, language, tz)
        if quick is not None:
            answered += 1
            assert quick == with_dateparser(text, language, tz, now), (language, text)
            assert quick.utcoffset() == with_dateparser(text, language, tz, now).utcoffset(), (language, text)
    assert answered > 1000
