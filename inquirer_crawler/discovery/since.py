"""The ``-a since=YYYY-MM-DD`` rule: ``since`` is a calendar day of the site (its time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SinceRule:
    since: date | None
    timezone: str  # the site's (SiteConfig.timezone)

    def before(self, published: str | None) -> bool:
        """A record published before ``since`` (its own date, read in the site's time zone)."""
        day = self.local_day(published)
        return bool(self.since and day and day < self.since)

    def surely_before(self, listed: str | None) -> bool:
        """A listing's or sitemap's date is a hint, not the record's date (old themes print local
        time as UTC): a link is skipped only when it is more than a day older than ``since``."""
        day = self.local_day(listed)
        return bool(self.since and day and day < self.since - timedelta(days=1))

    def local_day(self, value: str | None) -> date | None:
        """The calendar day of an ISO date in the site's time zone; None when unreadable."""
        try:
            moment = datetime.fromisoformat(value) if value else None
        except ValueError:
            return None
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.timezone)).date() if moment.tzinfo else moment.date()
