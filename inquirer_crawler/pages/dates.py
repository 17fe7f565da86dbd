"""Turning the date strings of a page into time-zone-aware instants.

Two traps, both from real Newspaper pages (SITE-NOTES §3, §7):
- the theme can write ``time[datetime]`` and microdata dates as the site's local wall-clock time
  labelled ``+00:00`` (versions before 11 always; zimeye 9.1 does it for datePublished while its
  dateModified carries the true +01:00). The rule, which holds on every real page of fixtures/:
  a date the theme wrote with ``+00:00`` while the page's other machine-readable dates state
  another offset is read as wall-clock time in that offset, the one of the stated date nearest in
  time (``in_stated_offset``); when no date states one, versions before 11 are read in the site's
  registry time zone (``reinterpret_mislabelled_utc``). Dates of SEO plugins (``article:*``,
  JSON-LD) are never moved: Yoast writes true UTC;
- visible French dates ("21 janvier 2022 à 20h", "1er février", "il y a 2 heures") need
  dateparser with the site's language and time zone; a bare "20h" needs ":00" first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
from dateparser.languages.loader import default_loader


def parse_iso(value: str | None, tz: str) -> datetime | None:
    """An ISO 8601 string (as in meta tags, JSON-LD, datetime attributes) as an aware datetime.
    A value without an offset is read in the site's time zone."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed


def reinterpret_mislabelled_utc(moment: datetime, tz: str) -> datetime:
    """Old themes print local time with a '+00:00' label: keep the wall clock, use the site's zone."""
    if moment.utcoffset() != timedelta(0):
        return moment
    return moment.replace(tzinfo=ZoneInfo(tz))


def in_stated_offset(moment: datetime, others: Iterable[datetime | None]) -> datetime:
    """``moment`` (a theme-written date) read in the offset the page's other dates state, when it
    says +00:00 and they say something else: the offset of the one nearest in wall-clock time, so
    that a date across a daylight-saving change takes the offset of its own season."""
    if moment.utcoffset() != timedelta(0):
        return moment
    stated = [other for other in others if other is not None and other.utcoffset() not in (None, timedelta(0))]
    if not stated:
        return moment
    wall = moment.replace(tzinfo=None)
    nearest = min(stated, key=lambda other: abs(other.replace(tzinfo=None) - wall))
    return moment.replace(tzinfo=nearest.tzinfo)


_BARE_HOUR = re.compile(r"\b(\d{1,2})\s*h\b(?!\s*\d)", re.IGNORECASE)
_HOUR_MINUTES = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})\b", re.IGNORECASE)
# The theme's time-ago mode with the "auparavant" suffix: "2 heures auparavant".
_AGO_SUFFIX = re.compile(r"^\s*(.+?)\s+auparavant\s*$", re.IGNORECASE)


def parse_visible(text: str | None, language: str, tz: str, now: datetime) -> datetime | None:
    """A date as printed for readers, in the page's language; relative forms count from ``now``."""
    if not text or not text.strip():
        return None
    if (named := _named_date(text, language, tz)) is not None:
        return named
    return with_dateparser(text, language, tz, now)


def with_dateparser(text: str, language: str, tz: str, now: datetime) -> datetime | None:
    """parse_visible's reading of ``text`` by dateparser alone."""
    text = _AGO_SUFFIX.sub(r"il y a \1", text)
    text = _HOUR_MINUTES.sub(r"\1:\2", text)
    text = _BARE_HOUR.sub(r"\1:00", text)
    parsed = dateparser.parse(
        text,
        languages=[language] if language else None,
        settings={
            "TIMEZONE": tz,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DAY_OF_MONTH": "first",
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "DMY",
            # dateparser reads RELATIVE_BASE as a naive local time of TIMEZONE.
            "RELATIVE_BASE": now.astimezone(ZoneInfo(tz)).replace(tzinfo=None),
        },
    )
    return parsed


# A calendar date with the month by name and nothing else: "July 8, 2025", "8 juillet 2025",
# "8. Juli 2025", "1er février 2022". The commonest visible date of a page without machine-readable
# dates, and dateparser's slowest case (~2 ms: it tries its relative and time-zone parsers first).
_NAMED_DATE = re.compile(
    r"\s*(?:(?P<day>\d{1,2})(?:(?P<ordinal>er)|\.)?\s+(?P<month>[^\W\d_]+)\.?|(?P<month2>[^\W\d_]+)\.?\s+(?P<day2>\d{1,2}),?)"
    r"\s+(?P<year>\d{4})\s*"
)
_MONTH_KEYS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


@lru_cache(maxsize=64)
def _locale_info(language: str) -> dict[str, Any]:
    try:
        return default_loader.get_locale(language).info
    except (KeyError, ValueError):
        return {}


@lru_cache(maxsize=64)
def _month_names(language: str) -> dict[str, int]:
    """Month names and abbreviations of ``language`` as dateparser's own locale data spells them
    (casefolded), each with its month; a name that two months share is left out."""
    info = _locale_info(language)
    months: dict[str, set[int]] = {}
    for number, key in enumerate(_MONTH_KEYS, start=1):
        for name in info.get(key, ()):
            months.setdefault(name.casefold(), set()).add(number)
    return {name: numbers.pop() for name, numbers in months.items() if len(numbers) == 1}


def _named_date(text: str, language: str, tz: str) -> datetime | None:
    """``text`` read as dateparser reads a day, a month by name and a year (midnight in the site's
    time zone), without dateparser; None for anything else, which dateparser then reads.
    tests/test_dates.py compares both on every month name of every language we have labels for."""
    match = _NAMED_DATE.fullmatch(text) if language else None
    if match is None or (match["ordinal"] and match["ordinal"] not in _locale_info(language).get("skip", ())):
        return None  # "1er" is French: dateparser skips "er" in the languages whose data says so
    month = _month_names(language).get((match["month"] or match["month2"]).casefold())
    if month is None:
        return None
    try:
        return datetime(int(match["year"]), month, int(match["day"] or match["day2"]), tzinfo=ZoneInfo(tz))
    except ValueError:
        return None  # 31 February: dateparser's to say


def to_iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
