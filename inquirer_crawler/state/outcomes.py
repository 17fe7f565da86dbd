"""The one writer of an article URL's outcome.

The spider, the change discovery and the pipelines' signals report here; ``UrlOutcomes`` writes the
run's ledger (``RunLedger``, every URL of this run in one known state) and, for what later runs
must respect, the state (``StateStore``): a URL to request becomes ``pending``, a record written
to the output is ``staged``, a final failure or a skip is marked. A failure that may heal (a
timeout, a 5xx) is not marked, so the URL stays pending for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from inquirer_crawler.pages.changes import w3c_period
from inquirer_crawler.state.ledger import FAILED_REASONS, RunLedger
from inquirer_crawler.state.store import Baseline, ExportedRecord, StateStore

# Drop reasons of the dedupe pipeline, as the ledger names them: not failures.
SKIPPED_DROPS = {"duplicate": "duplicate_of", "unchanged": "unchanged"}


class UrlOutcomes:
    def __init__(
        self,
        keys: Callable[[str], str],
        store: StateStore | None,
        max_failed_runs: int = 3,
        on_gave_up: Callable[[str, str], None] | None = None,
    ) -> None:
        self.key = keys  # URL -> the state's key (SpiderKeys.key)
        self.store = store
        self.max_failed_runs = max_failed_runs  # INQUIRER_MAX_FAILED_RUNS
        self.on_gave_up = on_gave_up  # (url, reason) of a URL given up after max_failed_runs runs
        self.ledger = RunLedger()
        self.urls: dict[str, str] = {}  # key -> the URL requested under it
        self.lastmods: dict[str, str] = {}  # key -> the date a change source gave, for the export

    def requested(self, url: str) -> None:
        """The run will request this article URL. Once a run: a link to an article this run has
        already settled (exported under its canonical key, an alias marked) must not make it
        pending again, where the Scrapy dupefilter then drops the request and nothing settles it."""
        key = self.key(url)
        # Passed over as known unchanged by a listing read first, then dated as changed by the sitemap:
        # pending again, so that a failure of its fetch leaves it pending for the next run.
        if self.ledger.discover(key) or self.ledger.reopen(key):
            self.urls[key] = url
            if self.store is not None:
                self.store.discover(key, url)

    def not_requested(self, url: str, state: str, reason: str) -> None:
        """An article link the run will not request (refused by the URL policy, known unchanged):
        counted once in this run's ledger; nothing for later runs to know."""
        key = self.key(url)
        if self.ledger.discover(key):
            self.ledger.settle(key, state, reason)

    def settle(self, url: str, state: str, reason: str, persist: bool = True) -> None:
        """A requested URL's outcome; ``persist`` when later runs must respect it. A failure that is
        not persisted leaves the URL pending for the next run, ``max_failed_runs`` runs in a row at
        most: then it is failed for good (nothing stays pending forever)."""
        self._settle(self.key(url), url, state, reason, persist)

    def _settle(self, key: str, url: str, state: str, reason: str, persist: bool) -> None:
        first = self.ledger.states.get(key, ("requested", None))[0] == "requested"
        self.ledger.settle(key, state, reason)
        if self.store is None:
            return
        if persist:
            self.store.mark(key, url, "failed" if state == "failed" else "skipped", reason)
        elif state == "failed" and first:
            given_up = self.store.fail_for_now(key, url, reason, self.max_failed_runs)
            if given_up and self.on_gave_up is not None:
                self.on_gave_up(url, reason)

    def unanswered(self) -> list[str]:
        """The URLs requested and never answered in a run that finished (a redirect filtered off the
        site, a request some middleware dropped without an error): failed for this run as
        ``unanswered``, pending for the next, ``max_failed_runs`` runs in a row at most."""
        urls = []
        for key in self.ledger.pending_keys():
            url = self.urls[key]
            self._settle(key, url, "failed", "unanswered", persist=False)
            urls.append(url)
        return urls

    def dated(self, url: str, lastmod: str) -> None:
        """A change source's modification date for the article: kept with its record."""
        self.lastmods[self.key(url)] = lastmod

    def unchanged_date(self, url: str, lastmod: str) -> None:
        """A known, unchanged article with a new change-source date: remembered, not fetched."""
        if self.store is not None:
            self.store.note_lastmod(self.key(url), lastmod)

    def exported(self, request_url: str, record: ExportedRecord) -> None:
        """The record is in the output (staged until the output is published). The request that
        found it may have had another URL (tracking, shortlink): that one is an alias."""
        key, request_key = self.key(record.url), self.key(request_url)
        self.ledger.settle(request_key, "exported")
        if self.store is None:
            return
        self.store.stage(key, record)
        if request_key != key:
            self.store.mark(request_key, request_url, "skipped", "alias_of_canonical")

    def dropped(self, request_url: str, reason: str) -> None:
        """A pipeline dropped the record: skipped (duplicate, unchanged) or failed (why)."""
        if reason in SKIPPED_DROPS:
            state, ledger_reason = "skipped", SKIPPED_DROPS[reason]
        else:
            state, ledger_reason = "failed", reason if reason in FAILED_REASONS else "error"
        self.ledger.settle(self.key(request_url), state, ledger_reason)
        if self.store is not None:
            self.store.mark(self.key(request_url), request_url, state, reason)  # type: ignore[arg-type]


@dataclass
class SiteDates:
    """What this run saw of the site's dates, for the baseline a complete run leaves."""

    sitemaps: dict[str, str] = field(default_factory=dict)  # child sitemap as listed -> lastmod, read whole
    newest: tuple[datetime, str] | None = None
    failed: str | None = None  # a change source that failed part-way: the baseline must not move

    def saw(self, lastmod: str | None) -> None:
        period = w3c_period(lastmod) if lastmod else None
        if period is not None and (self.newest is None or period.start > self.newest[0]):
            self.newest = (period.start, period.start.astimezone(UTC).isoformat())

    def baseline(self) -> Baseline | None:
        if self.failed:
            return None
        return Baseline(sitemaps=dict(self.sitemaps), newest_modified=self.newest[1] if self.newest else None)
