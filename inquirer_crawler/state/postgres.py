"""The crawl state of one site on the fleet's PostgreSQL: the ``StateStore`` protocol (store.py)
with the SQLite store's guarantees (sqlite.py), every row keyed by the site. The run's lock is the
site's advisory lock (fleet/lock.py), taken in ``begin_run`` (or borrowed from the crawl command,
which took it before the engine started) and released by ``close``.

Off the hot path: a statement costs ~0.1 ms on loopback and the spider asks ``known()`` for up
to 500 links a listing page, so the site's known articles are read once when the run starts
(and kept up to date by ``publish``), and the writes (``discover``, ``mark``, ``stage``,
``note_lastmod``) are queued and sent in batches, in their order, at most ``FLUSH_SECONDS`` apart.

Kill-safety is the SQLite store's: a record is exported only by ``publish``, which sends every
queued write, then commits the staged records as exported together with the name of the output
file it is about to rename, then renames. A write still queued when the process is killed only
concerns a URL whose record was never published, which the next run finds again as the killed
run did (the listings stop at articles *exported* before, never at merely discovered ones); a
kill between the commit and the rename is rolled forward by ``recover``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inquirer_crawler.fleet.database import connect
from inquirer_crawler.fleet.lock import SiteLock, application_name
from inquirer_crawler.fleet.sites import find_site
from inquirer_crawler.state.store import (
    Baseline,
    ExportedRecord,
    KnownArticle,
    LedgerState,
    RunEnd,
    RunInfo,
    rename_durably,
)

logger = logging.getLogger(__name__)

BATCH = 500  # queued writes sent at once, at most
FLUSH_SECONDS = 2.0  # and at least this often while a run writes

_DISCOVER = (
    "INSERT INTO fleet_urls (site_id, key, url, state, run_id, updated) VALUES (%s, %s, %s, 'pending', %s, now())"
    " ON CONFLICT (site_id, key) DO UPDATE SET state = 'pending', reason = NULL, run_id = excluded.run_id,"
    " updated = excluded.updated WHERE fleet_urls.state <> 'staged'"
)
_MARK = (
    "INSERT INTO fleet_urls (site_id, key, url, state, reason, run_id, updated) VALUES (%s, %s, %s, %s, %s, %s, now())"
    " ON CONFLICT (site_id, key) DO UPDATE SET url = excluded.url, state = excluded.state, reason = excluded.reason,"
    " run_id = excluded.run_id, updated = excluded.updated"
)
_STAGE = (
    "INSERT INTO fleet_urls (site_id, key, url, state, run_id, record, updated) VALUES (%s, %s, %s, 'staged', %s, %s, now())"
    " ON CONFLICT (site_id, key) DO UPDATE SET state = 'staged', reason = NULL, run_id = excluded.run_id,"
    " record = excluded.record, updated = excluded.updated, failures = 0"
)
_LASTMOD = "UPDATE fleet_articles SET lastmod = %s WHERE site_id = %s AND key = %s"
# The staged records of the run become articles, in one statement on the server.
_PUBLISH_ARTICLES = """
INSERT INTO fleet_articles (site_id, key, url, post_id, published, modified, content_hash, lastmod, first_seen,
                            last_exported)
SELECT u.site_id, u.key, u.record->>'url', (u.record->>'post_id')::bigint, u.record->>'published',
       u.record->>'modified', u.record->>'content_hash', u.record->>'lastmod', now(), now()
FROM fleet_urls u WHERE u.site_id = %(site)s AND u.run_id = %(run)s AND u.state = 'staged'
ON CONFLICT (site_id, key) DO UPDATE SET url = excluded.url, post_id = excluded.post_id,
    published = excluded.published, modified = excluded.modified, content_hash = excluded.content_hash,
    lastmod = COALESCE(excluded.lastmod, fleet_articles.lastmod), last_exported = excluded.last_exported
RETURNING key, url, published, modified, lastmod, content_hash
"""


class FleetSiteUnknown(ValueError):
    """The crawl's start URL is not a site of the fleet database; the message says how to add it."""


@dataclass(frozen=True)
class FleetSite:
    id: int
    name: str


def fleet_site(dsn: str, scope: str, start_url: str | None = None) -> FleetSite:
    """The fleet's site of a run's scope (scope.py: the site's host); FleetUnavailable when the
    database cannot be reached."""
    with connect(dsn, autocommit=True) as db:
        found = find_site(db, scope)
    if found is None:
        add = f" (scrapy fleet add {start_url})" if start_url else ""
        raise FleetSiteUnknown(f"start: site {scope} is not in the fleet database{add}")
    return FleetSite(*found)


def _iso(value: Any) -> str | None:
    return value.replace(microsecond=0).isoformat() if value is not None else None


class PostgresStore:
    def __init__(
        self, dsn: str, site: FleetSite, job: str | None = None, node: str | None = None, lock: SiteLock | None = None
    ) -> None:
        self.site = site
        self.site_id = site.id
        self.job = job
        self.node = node
        self.lock = lock or SiteLock(dsn, site.id, site.name, node)
        self.run_id: int | None = None
        self.db = connect(dsn, autocommit=True, application_name=application_name(node))
        self.statements = 0  # sent to the server, for the benchmark's statements per page
        self._queued: list[tuple[str, tuple[Any, ...]]] = []
        self._flushed = time.monotonic()
        self._known = self._load_known()

    def close(self) -> None:
        if not self.db.closed:
            self.flush()
            self.db.close()
            logger.info("state: %d statements sent to PostgreSQL", self.statements)
        self.lock.release()

    def _execute(self, sql: str, params: Any = None) -> Any:
        self.statements += 1
        return self.db.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.db.transaction():
            yield self.db

    # -- the write queue ------------------------------------------------------------------------------

    def _queue(self, sql: str, params: tuple[Any, ...]) -> None:
        self._queued.append((sql, params))
        if len(self._queued) >= BATCH or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Send the queued writes, in order, in one transaction (consecutive ones of a kind together)."""
        self._flushed = time.monotonic()
        if not self._queued or self.db.closed:
            return
        queued, self._queued = self._queued, []
        with self.db.transaction(), self.db.cursor() as cursor:
            start = 0
            while start < len(queued):
                end = start
                while end < len(queued) and queued[end][0] == queued[start][0]:
                    end += 1
                cursor.executemany(queued[start][0], [params for _, params in queued[start:end]])
                self.statements += end - start
                start = end

    # -- runs -----------------------------------------------------------------------------------------

    def begin_run(self, run: RunInfo) -> None:
        """Take the site's lock (StateLocked when another run holds it), then record the run with
        its node, pid and Scrapyd job; the job it takes up leaves the queue."""
        self.lock.acquire()
        with self.transaction():
            row = self._execute(
                "INSERT INTO fleet_runs (site_id, job, node, pid, mode) VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (self.site_id, self.job, self.node or application_name(None).split()[1], os.getpid(), run.mode),
            ).fetchone()
            if self.job:
                self._execute(
                    "WITH taken AS (DELETE FROM fleet_jobs WHERE job = %s RETURNING queued)"
                    " UPDATE fleet_runs SET queued = (SELECT queued FROM taken) WHERE id = %s",
                    (self.job, row[0]),
                )
        self.run_id = int(row[0])

    def end_run(self, end: RunEnd) -> None:
        """The run's end and its ledger in one transaction; a run that exits 0 moves its site's
        next due time on by its interval (schedule.py queues it again then)."""
        from psycopg.types.json import Jsonb

        self.flush()
        ledger = [
            (self.run_id, key, "pending" if state == "requested" else state, reason)
            for key, (state, reason) in end.ledger.items()
        ]
        with self.transaction(), self.db.cursor() as cursor:
            self._execute(
                "UPDATE fleet_runs SET ended = now(), exit_status = %s, reason = %s, counts = %s WHERE id = %s",
                (end.status, end.reason, Jsonb(dict(end.counts)), self.run_id),
            )
            cursor.executemany(
                "INSERT INTO fleet_run_urls (run_id, key, state, reason) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (run_id, key) DO UPDATE SET state = excluded.state, reason = excluded.reason",
                ledger,
            )
            self.statements += len(ledger)
            if end.baseline is not None:
                self._set_baseline(cursor, end.baseline)
            if end.status == 0:
                self._execute(
                    "UPDATE fleet_sites s SET next_due = r.started + make_interval(secs => s.interval_s)"
                    " FROM fleet_runs r WHERE r.id = %s AND s.id = r.site_id",
                    (self.run_id,),
                )

    def _set_baseline(self, cursor: Any, baseline: Baseline) -> None:
        """As the SQLite store's: a sitemap this run did not see keeps its earlier date."""
        cursor.executemany(
            "INSERT INTO fleet_sitemaps (site_id, url, lastmod, run_id) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (site_id, url) DO UPDATE SET lastmod = excluded.lastmod, run_id = excluded.run_id",
            [(self.site_id, url, lastmod, self.run_id) for url, lastmod in baseline.sitemaps.items()],
        )
        if baseline.newest_modified is not None:
            self._execute(
                "INSERT INTO fleet_facts (site_id, name, value, run_id) VALUES (%s, 'newest_modified', %s, %s)"
                " ON CONFLICT (site_id, name) DO UPDATE SET value = excluded.value, run_id = excluded.run_id",
                (self.site_id, baseline.newest_modified, self.run_id),
            )

    def baseline(self) -> Baseline:
        sitemaps = dict(
            self._execute("SELECT url, lastmod FROM fleet_sitemaps WHERE site_id = %s", (self.site_id,)).fetchall()
        )
        row = self._execute(
            "SELECT value FROM fleet_facts WHERE site_id = %s AND name = 'newest_modified'", (self.site_id,)
        ).fetchone()
        return Baseline(sitemaps=sitemaps, newest_modified=row[0] if row else None)

    def hold(self, seconds: float, reason: str) -> None:
        """Queue this site no more until ``seconds`` from now (a Retry-After beyond the cap, robots.txt 5xx)."""
        self._execute(
            "UPDATE fleet_sites SET hold_until = GREATEST(COALESCE(hold_until, now()), now() + make_interval(secs => %s)),"
            " hold_reason = %s WHERE id = %s",
            (seconds, reason, self.site_id),
        )

    def previous_counts(self, limit: int = 5) -> list[dict[str, Any]]:
        rows = self._execute(
            "SELECT counts FROM fleet_runs WHERE site_id = %s AND counts IS NOT NULL AND id <> %s"
            " ORDER BY id DESC LIMIT %s",
            (self.site_id, self.run_id or -1, limit),
        ).fetchall()
        return [row[0] for row in rows]

    # -- crash recovery ---------------------------------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Finish what killed runs of this site left half done (see the module docstring), under
        the site's lock (StateLocked when another run holds it)."""
        self.lock.acquire()
        done = {"renamed": 0, "requeued": 0, "lost_outputs": 0}
        for run_id, part, final in self._execute(
            "SELECT id, output_part, output_final FROM fleet_runs WHERE site_id = %s AND output_part IS NOT NULL"
            " AND NOT published",
            (self.site_id,),
        ).fetchall():
            if Path(part).exists():
                os.replace(part, final)
                done["renamed"] += 1
            elif not Path(final).exists():
                done["lost_outputs"] += self._forget_lost_output(run_id, final)
            self._execute("UPDATE fleet_runs SET published = true WHERE id = %s", (run_id,))
        done["requeued"] = self._execute(
            "UPDATE fleet_urls SET state = 'pending', record = NULL, updated = now() WHERE site_id = %s AND state = 'staged'",
            (self.site_id,),
        ).rowcount
        if done["requeued"] or done["renamed"] or done["lost_outputs"]:
            self._known = self._load_known()
        return done

    def _forget_lost_output(self, run_id: int, final: str) -> int:
        """Neither the part file nor the published one is there (another node's disk, deleted): its
        records are fetched and exported again rather than believed exported."""
        logger.error(
            "state: the output of run %d (%s) is not on this node: its records will be exported again", run_id, final
        )
        with self.transaction():
            self._execute(
                "UPDATE fleet_articles a SET last_exported = NULL FROM fleet_urls u WHERE u.site_id = %s"
                " AND u.run_id = %s AND u.state = 'exported' AND a.site_id = u.site_id AND a.key = u.key",
                (self.site_id, run_id),
            )
            return int(
                self._execute(
                    "UPDATE fleet_urls SET state = 'pending' WHERE site_id = %s AND run_id = %s AND state = 'exported'",
                    (self.site_id, run_id),
                ).rowcount
            )

    # -- the ledger ---------------------------------------------------------------------------------

    def ledger_state(self, key: str) -> str | None:
        self.flush()
        row = self._execute(
            "SELECT state FROM fleet_urls WHERE site_id = %s AND key = %s", (self.site_id, key)
        ).fetchone()
        return row[0] if row else None

    def mark(self, key: str, url: str, state: LedgerState, reason: str | None = None) -> None:
        self._queue(_MARK, (self.site_id, key, url, state, reason, self.run_id))

    def fail_for_now(self, key: str, url: str, reason: str, limit: int) -> bool:
        """As the SQLite store's: pending until ``limit`` runs in a row failed it, then failed."""
        self.flush()
        row = self._execute(
            "UPDATE fleet_urls SET failures = failures + 1, reason = %s, updated = now(),"
            " state = CASE WHEN failures + 1 >= %s THEN 'failed' ELSE 'pending' END"
            " WHERE site_id = %s AND key = %s AND state = 'pending' RETURNING state",
            (reason, limit, self.site_id, key),
        ).fetchone()
        return row is not None and row[0] == "failed"

    def discover(self, key: str, url: str) -> None:
        """A URL this run will request: pending until it ends in a known state."""
        self._queue(_DISCOVER, (self.site_id, key, url, self.run_id))

    def pending(self) -> list[tuple[str, str]]:
        """(key, URL as last requested) of what earlier runs discovered and did not finish."""
        self.flush()
        return [
            (k, u)
            for k, u in self._execute(
                "SELECT key, url FROM fleet_urls WHERE site_id = %s AND state = 'pending' ORDER BY updated, key",
                (self.site_id,),
            )
        ]

    def left_pending(self) -> int:
        self.flush()
        row = self._execute(
            "SELECT count(*) FROM fleet_urls WHERE site_id = %s AND run_id = %s AND state = 'pending'",
            (self.site_id, self.run_id),
        ).fetchone()
        return int(row[0])

    # -- articles ----------------------------------------------------------------------------------

    def _load_known(self) -> dict[str, KnownArticle]:
        rows = self._execute(
            "SELECT key, url, published, modified, lastmod, content_hash FROM fleet_articles"
            " WHERE site_id = %s AND last_exported IS NOT NULL",
            (self.site_id,),
        )
        return {row[0]: KnownArticle(*row) for row in rows}

    def known(self, key: str) -> KnownArticle | None:
        return self._known.get(key)

    def note_lastmod(self, key: str, lastmod: str) -> None:
        known = self._known.get(key)
        if known is not None:
            self._known[key] = KnownArticle(
                known.key, known.url, known.published, known.modified, lastmod, known.content_hash
            )
        self._queue(_LASTMOD, (lastmod, self.site_id, key))

    def stage(self, key: str, record: ExportedRecord) -> None:
        """A record written to this run's (not yet published) output."""
        from psycopg.types.json import Jsonb

        self._queue(_STAGE, (self.site_id, key, record.url, self.run_id, Jsonb(asdict(record))))

    def publish(self, part: Path, final: Path) -> None:
        """As the SQLite store's: commit exported + the rename about to be done, rename, mark published."""
        self.flush()
        with self.transaction():
            exported = self._execute(_PUBLISH_ARTICLES, {"site": self.site_id, "run": self.run_id}).fetchall()
            self._execute(
                "UPDATE fleet_urls SET state = 'exported', record = NULL, updated = now() WHERE site_id = %s"
                " AND run_id = %s AND state = 'staged'",
                (self.site_id, self.run_id),
            )
            self._execute(
                "UPDATE fleet_runs SET output_part = %s, output_final = %s WHERE id = %s",
                (str(part), str(final), self.run_id),
            )
        for row in exported:
            self._known[row[0]] = KnownArticle(*row)
        rename_durably(part, final)
        self._execute("UPDATE fleet_runs SET published = true WHERE id = %s", (self.run_id,))


def fleet_lock(dsn: str, scope: str, start_url: str | None, node: str | None) -> SiteLock:
    """The site's lock, not yet taken (FleetSiteUnknown, FleetUnavailable: see fleet_site)."""
    site = fleet_site(dsn, scope, start_url)
    return SiteLock(dsn, site.id, site.name, node)


def open_fleet_store(dsn: str, scope: str, job: str | None, node: str | None) -> PostgresStore:
    """The run's state, for the state extension (its lock is taken in ``begin_run``)."""
    return PostgresStore(dsn, fleet_site(dsn, scope), job, node)
