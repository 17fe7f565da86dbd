"""The cron state's interface: what a run asks of the store that keeps one site's state.

One store holds the state of one *scope* (a site crawled from one origin: its public host, a
staging or mirror host, or a replay folder; see ``scope.py``). ``sqlite.py`` implements it for one
machine; a PostgreSQL store for several machines implements the same ``StateStore`` protocol. The
spider and the pipelines never call a store: they report to ``UrlOutcomes`` (``outcomes.py``),
the one writer of a URL's outcome, and to the change discovery, which read and write through it.

The words:

- a *key* is the state's name for a URL: the site's public host and the path (``SpiderKeys``),
  the same whatever origin the page was fetched from;
- an article URL's *ledger state* is ``pending`` (discovered, not finished), ``staged`` (its
  record is in this run's unpublished output), ``exported``, ``failed`` (reason) or ``skipped``
  (reason). ``pending`` rows are what the next run fetches first;
- the *baseline* is what the last complete run learned of the site's own dates (the ``lastmod``
  each sitemap showed, the newest modification date the site showed); only a complete run
  (``RunInfo.complete``) that succeeded moves it, so a partial run never hides a change.

Every method commits what it writes before it returns (a run may be killed at any instant)
unless its docstring says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

LedgerState = Literal["pending", "staged", "exported", "failed", "skipped"]

# Failures that will not change on a retry: the URL is final, never pending again.
FINAL_FAILURES = ("http_404", "http_410", "not_article", "non_html")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class KnownArticle:
    """An article an earlier run exported (and published)."""

    key: str
    url: str
    published: str | None
    modified: str | None
    lastmod: str | None
    content_hash: str | None

    @property
    def last_change(self) -> str | None:
        """The latest date the site gave for this article (sitemap/REST, else the page's own)."""
        return self.lastmod or self.modified or self.published


@dataclass(frozen=True)
class ExportedRecord:
    """What the state keeps of a record written to the run's output."""

    url: str
    post_id: int | None
    published: str | None
    modified: str | None
    content_hash: str
    lastmod: str | None  # the change sources' date for the article, when one gave it


@dataclass(frozen=True)
class RunInfo:
    """A run as it starts: which spider, and which kind of run (``mode``)."""

    spider: str
    # "complete" for a crawl of the whole site; otherwise what made it partial, joined by "+":
    # "urls", "since", "sections", "max_articles".
    mode: str
    started: str = field(default_factory=now_iso)
    job: str | None = None  # the Scrapyd job that runs it (``-a _job=<id>``), recorded with the run

    @property
    def complete(self) -> bool:
        return self.mode == "complete"


@dataclass(frozen=True)
class Baseline:
    """What the last complete run saw of the site's own dates (never the crawler's clock)."""

    # Child sitemap URL, as the index lists it -> the ``lastmod`` the index gave it then.
    sitemaps: Mapping[str, str] = field(default_factory=dict)
    # The newest modification date the site showed (REST ``modified_gmt``, sitemap ``lastmod``,
    # a page's ``modified``), as an ISO date with its offset.
    newest_modified: str | None = None


@dataclass(frozen=True)
class RunEnd:
    status: int  # the exit status (verdict.py)
    reason: str  # "ok" or why the run failed
    counts: Mapping[str, int]  # exported, new, changed, unchanged, failed, pending, records, with_*
    ledger: Mapping[str, tuple[str, str | None]]  # key -> (ledger state, reason) of every URL of the run
    baseline: Baseline | None = None  # set only by a complete run that succeeded


class StateStore(Protocol):
    """The state of one scope, opened for one run at a time.

    One run at a time: the caller holds the scope's lock (``lock.py`` for a file; a store on a
    shared server takes its own lock in ``begin_run`` and raises ``lock.StateLocked``).
    """

    # -- the run ---------------------------------------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Finish what a killed run left half done, before ``begin_run``: a run whose publish
        transaction committed but whose rename did not happen gets the rename done (roll forward,
        ``renamed``); records ``staged`` in a file that was never published go back to ``pending``
        (``requeued``). Returns the two counts, for the log."""
        ...

    def begin_run(self, run: RunInfo) -> None:
        """Start recording ``run``; every later write belongs to it."""
        ...

    def end_run(self, end: RunEnd) -> None:
        """Record how the run ended and its ledger, in one transaction. Moves the baseline to
        ``end.baseline`` only when it is set (a complete run that succeeded); otherwise the
        baseline of the last such run stands."""
        ...

    def close(self) -> None: ...

    # -- what earlier runs know ------------------------------------------------------------------

    def known(self, key: str) -> KnownArticle | None:
        """The article as last exported *and published*; None if never (or only staged)."""
        ...

    def pending(self) -> list[tuple[str, str]]:
        """(key, URL as last requested) of every URL left ``pending``, oldest first."""
        ...

    def baseline(self) -> Baseline:
        """The baseline of the last complete run that succeeded (empty before the first)."""
        ...

    def previous_counts(self, limit: int = 5) -> list[dict[str, int]]:
        """``RunEnd.counts`` of the latest earlier runs, newest first (layout-drift history)."""
        ...

    # -- URL outcomes: written by UrlOutcomes only -----------------------------------------------

    def discover(self, key: str, url: str) -> None:
        """The run will request ``url``: ``pending`` (a ``staged`` row stays staged)."""
        ...

    def mark(self, key: str, url: str, state: LedgerState, reason: str | None = None) -> None:
        """A final outcome that later runs must respect (``failed`` with a final reason,
        ``skipped``). A failure that may heal (a timeout, a 5xx) is not marked: it stays pending."""
        ...

    def fail_for_now(self, key: str, url: str, reason: str, limit: int) -> bool:
        """A failure that may heal (a timeout, a 5xx, a body cut short): the URL stays ``pending``
        until ``limit`` runs in a row have failed it, then it is ``failed`` with ``reason`` for good.
        True when it was given up. A record staged for the URL starts the count again."""
        ...

    def note_lastmod(self, key: str, lastmod: str) -> None:
        """A change source's date for a known article that did not change its content."""
        ...

    def stage(self, key: str, record: ExportedRecord) -> None:
        """``record`` is in the run's output file, not yet published: ``staged``. Staged records
        become exported only in ``publish``; a run killed before that leaves them for ``recover``."""
        ...

    def publish(self, part: Path, final: Path) -> None:
        """The kill-safe publish, with ``part`` written and fsync'd. In this order:

        1. one transaction commits: every record this run staged becomes exported (``known``
           returns it from now on), and the run notes ``part`` -> ``final``;
        2. ``part`` is renamed to ``final`` (and the folder fsync'd);
        3. the run is marked published.

        The transaction commits *before* the rename: a kill between 1 and 2 is rolled forward by
        ``recover``; a kill before 1 leaves the staged records to be requeued. Never the reverse,
        which would publish records that the state would fetch and export again."""
        ...

    def left_pending(self) -> int:
        """How many URLs this run discovered that are still pending (the next run's work)."""
        ...


def rename_durably(part: Path, final: Path) -> None:
    """The publish step's rename, made durable: ``part`` becomes ``final`` and the folder's entry is
    fsync'd, so that a crash after ``publish`` returns cannot bring the ``.part`` back."""
    os.replace(part, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
