"""Scrapyd's queue of pending jobs on the fleet's PostgreSQL, shared by every node.

Set ``spiderqueue = inquirer_crawler.fleet.queue.PostgresSpiderQueue`` in each worker's
``scrapyd.conf`` (``inquirer_crawler/fleet/scrapyd.conf`` is the example). Every node's poller
pops from the same table: ``FOR UPDATE SKIP LOCKED`` hands each job to exactly one node, and a
job still waiting is in the database, not on the node that would have run it, so it survives
that node. A popped job is claimed, not deleted: the crawl deletes it when it has taken its
site's lock and begun its run (state/postgres.py), and the tick gives back a claim that no crawl
took up (schedule.py). The node's name (Scrapyd's ``node_name``) goes to the crawl as
``-s INQUIRER_NODE=…`` and is recorded with the run.

Implements ``scrapyd.interfaces.ISpiderQueue``: add, pop, list, count, remove, clear.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from zope.interface import implementer

from inquirer_crawler.fleet import schedule
from inquirer_crawler.fleet.database import FleetUnavailable, connect, database_url
from inquirer_crawler.fleet.sites import find_site

try:
    from scrapyd.interfaces import ISpiderQueue
except ImportError:  # the fleet extra is not installed: the class is still importable, for its docs
    from zope.interface import Interface as ISpiderQueue

# One statement: the next waiting job is claimed (a fleet site's: the crawl deletes it when its run
# begins) or, when it is not a fleet site's (nothing would take up a claim), taken off the queue.
_POP = """
WITH next AS (
    SELECT job, site_id FROM fleet_jobs WHERE project = %(project)s AND claimed_by IS NULL
    ORDER BY priority DESC, queued, job FOR UPDATE SKIP LOCKED LIMIT 1
), claimed AS (
    UPDATE fleet_jobs j SET claimed_by = %(node)s, claimed_at = now() FROM next
    WHERE j.job = next.job AND next.site_id IS NOT NULL RETURNING j.message
), taken AS (
    DELETE FROM fleet_jobs j USING next WHERE j.job = next.job AND next.site_id IS NULL RETURNING j.message
)
SELECT message FROM claimed UNION ALL SELECT message FROM taken
"""


class QueueError(RuntimeError):
    """A job the shared queue refuses (its site is already queued or running); Scrapyd shows it."""


@implementer(ISpiderQueue)
class PostgresSpiderQueue:
    def __init__(self, config: Any, project: str) -> None:
        dsn = config.get("database_url", "") or database_url()
        if not dsn:
            raise FleetUnavailable("PostgresSpiderQueue: set INQUIRER_DATABASE_URL or database_url in scrapyd.conf")
        self.project = project
        self.node = config.get("node_name", socket.gethostname())
        self.dsn = dsn
        self._db: Any = None

    @property
    def db(self) -> Any:
        """One autocommit connection, opened again after the database restarts."""
        if self._db is None or self._db.closed or self._db.broken:
            self._db = connect(self.dsn, autocommit=True)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def add(self, name: str, priority: float = 0.0, **spider_args: Any) -> None:
        """A job from Scrapyd's schedule.json. A fleet site (its ``start``) goes through the same
        checks as the tick's: never queued twice, never beside a running site of its group."""
        site = find_site(self.db, spider_args["start"]) if spider_args.get("start") else None
        if site is not None:
            try:
                schedule.backfill(
                    self.db,
                    site[0],
                    self.project,
                    full=spider_args.get("full") == "1",
                    job=spider_args.get("_job"),
                    priority=priority,
                )
            except schedule.ScheduleError as error:
                raise QueueError(f"{site[1]}: {error}") from None
            return
        from psycopg.types.json import Jsonb

        message = {**spider_args, "name": name}
        self.db.execute(
            "INSERT INTO fleet_jobs (job, project, priority, message) VALUES (%s, %s, %s, %s)",
            (spider_args["_job"], self.project, priority, Jsonb(message)),
        )

    def pop(self) -> dict[str, Any] | None:
        """The next job for this node, or None when another node took the last one first. One
        statement (the claim is atomic by itself): Scrapyd calls this on its reactor thread."""
        row = self.db.execute(_POP, {"node": self.node, "project": self.project}).fetchone()
        if row is None:
            return None
        message = row[0]
        settings = dict(message.get("settings") or {})
        settings["INQUIRER_NODE"] = self.node
        return {**message, "settings": settings}

    def count(self) -> int:
        return int(self._waiting("SELECT count(*)").fetchone()[0])

    def list(self) -> list[dict[str, Any]]:
        return [row[0] for row in self._waiting("SELECT message", " ORDER BY priority DESC, queued, job")]

    def remove(self, func: Callable[[dict[str, Any]], bool]) -> int:
        jobs = [message["_job"] for message in self.list() if func(message)]
        if not jobs:
            return 0
        return int(
            self.db.execute("DELETE FROM fleet_jobs WHERE job = ANY(%s) AND claimed_by IS NULL", (jobs,)).rowcount
        )

    def clear(self) -> None:
        self.db.execute("DELETE FROM fleet_jobs WHERE project = %s AND claimed_by IS NULL", (self.project,))

    def _waiting(self, select: str, order: str = "") -> Any:
        return self.db.execute(
            f"{select} FROM fleet_jobs WHERE project = %s AND claimed_by IS NULL{order}", (self.project,)
        )
