"""The crawl state of one site on the fleet's PostgreSQL: the ``StateStore`` protocol (store.py)
with the SQLite store's guarantees (sqlite.py), every row keyed by the site. The run's lock is the
site's advisory lock (fleet/lock.py), taken in ``begin_run`` (or borrowed from the crawl command,
which took it before the engine started) and released by ``close``.

Off the hot path: a statement costs ~0.1 ms on loopback and the spider asks ``known()`` for up
to 500 links a listing page, so the site's known articles are read once, at the first ``known()``
(and kept up to date by ``publish``), and the writes (``discover``, ``mark``, ``stage``,
``note_lastmod``) are queued and sent in batches, at most ``FLUSH_SECONDS`` apart: each kind of
write is one statement for the whole batch (its columns as arrays, ``unnest``), not one a URL.
The run's ledger goes in one statement at its end. The run writes on the session that holds its
site's lock (fleet/lock.py): one connection a run.

Kill-safety is the SQLite store's: a record is exported only by ``publish``, which sends every
queued write, then commits the staged records as exported together with the name of the output
file it is about to rename, then renames. A write still queued when the process is killed only
concerns a URL whose record was never published, which the next run finds again as the killed
run did (the listings stop at articles *exported* before, never at merely discovered ones); a
kill between the commit and the rename is rolled forward by ``recover``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inquirer_crawler.fleet.database import connect
from inquirer_crawler.fleet.lock import SiteLock, application_name, held_lock
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


@dataclass(frozen=True)
class BatchedWrite:
    """One kind of queued write: one statement for a batch of URLs, with the site as ``%(site)s``,
    the run as ``%(run)s`` and one text array per column (``%(key)s``, ...; unnest'ed together)."""

    name: str
    sql: str
    columns: tuple[str, ...]


DISCOVER = BatchedWrite(
    "discover",
    "INSERT INTO fleet_urls (site_id, key, url, state, run_id, updated)"
    " SELECT %(site)s, t.key, t.url, 'pending', %(run)s, now() FROM unnest(%(key)s::text[], %(url)s::text[]) AS t(key, url)"
    " ON CONFLICT (site_id, key) DO UPDATE SET state = 'pending', reason = NULL, run_id = excluded.run_id,"
    " updated = excluded.updated WHERE fleet_urls.state <> 'staged'"
    # Found again in the same run (a listing after the resumed request failed): its outcome stands.
    " AND fleet_urls.run_id IS DISTINCT FROM excluded.run_id",
    ("key", "url"),
)
MARK = BatchedWrite(
    "mark",
    "INSERT INTO fleet_urls (site_id, key, url, state, reason, run_id, updated)"
    " SELECT %(site)s, t.key, t.url, t.state, t.reason, %(run)s, now()"
    " FROM unnest(%(key)s::text[], %(url)s::text[], %(state)s::text[], %(reason)s::text[]) AS t(key, url, state, reason)"
    " ON CONFLICT (site_id, key) DO UPDATE SET url = excluded.url, state = excluded.state, reason = excluded.reason,"
    " run_id = excluded.run_id, updated = excluded.updated",
    ("key", "url", "state", "reason"),
)
STAGE = BatchedWrite(
    "stage",
    "INSERT INTO fleet_urls (site_id, key, url, state, run_id, record, updated)"
    " SELECT %(site)s, t.key, t.url, 'staged', %(run)s, t.record::jsonb, now()"
    " FROM unnest(%(key)s::text[], %(url)s::text[], %(record)s::text[]) AS t(key, url, record)"
    " ON CONFLICT (site_id, key) DO UPDATE SET state = 'staged', reason = NULL, run_id = excluded.run_id,"
    " record = excluded.record, updated = excluded.updated, failures = 0",
    ("key", "url", "record"),
)
LASTMOD = BatchedWrite(
    "lastmod",
    "UPDATE fleet_articles a SET lastmod = t.lastmod FROM unnest(%(key)s::text[], %(lastmod)s::text[]) AS t(key, lastmod)"
    " WHERE a.site_id = %(site)s AND a.key = t.key",
    ("key", "lastmod"),
)
WRITES = (DISCOVER, MARK, STAGE, LASTMOD)  # the order of the kinds within one round of a batch


@dataclass(frozen=True)
class QueuedWrite:
    write: BatchedWrite
    key: str
    values: tuple[str | None, ...]  # one a column of ``write``, the key first


def batch_statements(queued: list[QueuedWrite]) -> list[tuple[BatchedWrite, list[QueuedWrite]]]:
    """The queued writes as few statements as keep their effect: writes to different URLs commute
    (each touches its URL's row only), so only each URL's own writes must keep their order. The
    n-th write to a URL goes in round n; a round is one statement a kind, each URL in it once
    (an upsert cannot touch a row twice in one statement)."""
    rounds: list[dict[BatchedWrite, list[QueuedWrite]]] = []
    seen: dict[str, int] = {}
    for item in queued:
        n = seen.get(item.key, 0)
        seen[item.key] = n + 1
        if n == len(rounds):
            rounds.append({})
        rounds[n].setdefault(item.write, []).append(item)
    return [(write, batch[write]) for batch in rounds for write in WRITES if write in batch]


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


def _find(db: Any, scope: str, start_url: str | None) -> FleetSite:
    """The fleet's site of a run's scope (scope.py: the site's host)."""
    found = find_site(db, scope)
    if found is None:
        add = f" (scrapy fleet add {start_url})" if start_url else ""
        raise FleetSiteUnknown(f"start: site {scope} is not in the fleet database{add}")
    return FleetSite(*found)


def _iso(value: Any) -> str | None:
    return value.replace(microsecond=0).isoformat() if value is not None else None


class PostgresStore:
    def __init__(self, dsn: str, site: FleetSite, node: str | None = None, lock: SiteLock | None = None) -> None:
        self.site = site
        self.site_id = site.id
        self.node = node
        self.lock = lock or SiteLock(dsn, site.id, site.name, node)
        self.run_id: int | None = None
        # The lock's session (fleet/lock.py): the state is written only while its lock is held.
        self.db = self.lock.connection()
        self.statements = 0  # sent to the server, for the benchmark's statements per page
        self._queued: list[QueuedWrite] = []
        self._flushed = time.monotonic()
        self._known_articles: dict[str, KnownArticle] | None = None  # read at the first known()

    def close(self) -> None:
        if not self.db.closed:
            self.flush()
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

    def _queue(self, write: BatchedWrite, key: str, *values: str | None) -> None:
        self._queued.append(QueuedWrite(write, key, (key, *values)))
        if len(self._queued) >= BATCH or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Send the queued writes in one transaction, one statement a kind (``batch_statements``)."""
        self._flushed = time.monotonic()
        if not self._queued or self.db.closed:
            return
        queued, self._queued = self._queued, []
        with self.db.transaction():
            for write, items in batch_statements(queued):
                params: dict[str, Any] = {"site": self.site_id, "run": self.run_id}
                for n, column in enumerate(write.columns):
                    params[column] = [item.values[n] for item in items]
                self._execute(write.sql, params)

    # -- runs -----------------------------------------------------------------------------------------

    def begin_run(self, run: RunInfo) -> None:
        """Take the site's lock (StateLocked when another run holds it), then record the run with
        its node, pid and Scrapyd job (``run.job``); the job it takes up leaves the queue."""
        self.lock.acquire()
        # One statement: the job (if any) leaves the queue as its run is recorded.
        row = self._execute(
            "WITH taken AS (DELETE FROM fleet_jobs WHERE job = %(job)s RETURNING queued, claimed_at)"
            " INSERT INTO fleet_runs (site_id, job, node, pid, mode, queued, claimed)"
            " VALUES (%(site)s, %(job)s, %(node)s, %(pid)s, %(mode)s, (SELECT queued FROM taken),"
            " (SELECT claimed_at FROM taken)) RETURNING id",
            {
                "site": self.site_id,
                "job": run.job,
                "node": self.node or application_name(None).split()[1],
                "pid": os.getpid(),
                "mode": run.mode,
            },
        ).fetchone()
        self.run_id = int(row[0])

    def end_run(self, end: RunEnd) -> None:
        """The run's end and its ledger in one transaction; a run that exits 0 moves its site's
        next due time on by its interval (schedule.py queues it again then)."""
        from psycopg.types.json import Jsonb

        self.flush()
        with self.transaction():
            self._execute(
                "UPDATE fleet_runs SET ended = now(), exit_status = %s, reason = %s, counts = %s WHERE id = %s",
                (end.status, end.reason, Jsonb(dict(end.counts)), self.run_id),
            )
            if end.ledger:  # one statement for the whole ledger (its keys are unique: a mapping)
                self._execute(
                    "INSERT INTO fleet_run_urls (run_id, key, state, reason) SELECT %s, t.key, t.state, t.reason"
                    " FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(key, state, reason)"
                    " ON CONFLICT (run_id, key) DO UPDATE SET state = excluded.state, reason = excluded.reason",
                    (
                        self.run_id,
                        list(end.ledger),
                        ["pending" if state == "requested" else state for state, _ in end.ledger.values()],
                        [reason for _, reason in end.ledger.values()],
                    ),
                )
            if end.baseline is not None:
                self._set_baseline(end.baseline)
            if end.status == 0:
                self._execute(
                    "UPDATE fleet_sites s SET next_due = r.started + make_interval(secs => s.interval_s)"
                    " FROM fleet_runs r WHERE r.id = %s AND s.id = r.site_id",
                    (self.run_id,),
                )

    def _set_baseline(self, baseline: Baseline) -> None:
        """As the SQLite store's: a sitemap this run did not see keeps its earlier date."""
        if baseline.sitemaps:
            self._execute(
                "INSERT INTO fleet_sitemaps (site_id, url, lastmod, run_id) SELECT %s, t.url, t.lastmod, %s"
                " FROM unnest(%s::text[], %s::text[]) AS t(url, lastmod)"
                " ON CONFLICT (site_id, url) DO UPDATE SET lastmod = excluded.lastmod, run_id = excluded.run_id",
                (self.site_id, self.run_id, list(baseline.sitemaps), list(baseline.sitemaps.values())),
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
            self._known_articles = None  # read again, as recovered
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
        self._queue(MARK, key, url, state, reason)

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
        self._queue(DISCOVER, key, url)

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

    @property
    def _known(self) -> dict[str, KnownArticle]:
        if self._known_articles is None:
            self._known_articles = self._load_known()
        return self._known_articles

    def known(self, key: str) -> KnownArticle | None:
        return self._known.get(key)

    def note_lastmod(self, key: str, lastmod: str) -> None:
        known = self._known.get(key)
        if known is not None:
            self._known[key] = KnownArticle(
                known.key, known.url, known.published, known.modified, lastmod, known.content_hash
            )
        self._queue(LASTMOD, key, lastmod)

    def stage(self, key: str, record: ExportedRecord) -> None:
        """A record written to this run's (not yet published) output."""
        self._queue(STAGE, key, record.url, json.dumps(asdict(record)))

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
        if self._known_articles is not None:
            for row in exported:
                self._known_articles[row[0]] = KnownArticle(*row)
        rename_durably(part, final)
        self._execute("UPDATE fleet_runs SET published = true WHERE id = %s", (self.run_id,))


def fleet_lock(dsn: str, scope: str, start_url: str | None, node: str | None) -> SiteLock:
    """The site's lock, not yet taken, on the session that found the site (FleetSiteUnknown,
    FleetUnavailable when the database cannot be reached)."""
    db = connect(dsn, autocommit=True, application_name=application_name(node))
    try:
        site = _find(db, scope, start_url)
    except BaseException:
        db.close()
        raise
    return SiteLock(dsn, site.id, site.name, node, connection=db)


def open_fleet_store(dsn: str, scope: str, node: str | None) -> PostgresStore:
    """The run's state, for the state extension (its lock is taken in ``begin_run``). When this
    process holds the site's lock already (the crawl command took it), the store borrows it and
    its session: no second look-up, no second connection."""
    held = held_lock(dsn, scope)
    if held is not None:
        return PostgresStore(dsn, FleetSite(held.site_id, held.site_name), node)
    lock = fleet_lock(dsn, scope, None, node)
    return PostgresStore(dsn, FleetSite(lock.site_id, lock.site_name), node, lock)
