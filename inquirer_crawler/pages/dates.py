"""Turning the date strings of a page into time-zone-aware instants.

Two traps, both from real Newspaper pages (SITE-NOTES §3, §7):
- theme versions before 11 write ``time[datetime]`` and microdata dates as the site's local
  wall-clock time labelled ``+00:00``; ``reinterpret_mislabelled_utc`` moves them back;
- visible French dates ("21 janvier 2022 à 20h", "1er février", "il y a 2 heures") need
  dateparser with the site's language and time zone; a bare "20h" needs ":00" first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser


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


_BARE_HOUR = re.compile(r"\b(\d{1,2})\s*h\b(?!\s*\d)", re.IGNORECASE)
_HOUR_MINUTES = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})\b", re.IGNORECASE)
# The theme's time-ago mode with the "auparavant" suffix: "2 heures auparavant".
_AGO_SUFFIX = re.compile(r"^\s*(.+?)\s+auparavant\s*$", re.IGNORECASE)


def parse_visible(text: str | None, language: str, tz: str, now: datetime) -> datetime | None:
    """A date as printed for readers, in the page's language; relative forms count from ``now``."""
    if not text or not text.strip():
        return None
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


def to_iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
