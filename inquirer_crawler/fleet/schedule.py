"""The tick, and the two ways a person changes the schedule: backfill now, pause.

The tick runs from cron on any node, as often as you like: it queues each site that is due and
is not already queued or running, so that running it twice, or on two nodes at once, queues
nothing twice (the ticks are serialised by an advisory lock, and ``fleet_jobs.site_id`` is unique).
What "running" means is asked of PostgreSQL itself: a run holds its site's advisory lock for as
long as its process lives, so a run killed with -9, or a worker lost with all its jobs, stops
holding it at once, and the next tick queues the site again (its next due time only moves on
when a run exits 0).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from inquirer_crawler.fleet.database import LOCK_CLASS, TICK_LOCK

DEFAULT_PROJECT = "inquirer_crawler"
# A job popped by a node whose crawl has not taken the site's lock within this many seconds is
# given back to the queue (the node died between taking the job and starting the crawl).
CLAIM_TIMEOUT = 120.0

_LOCKED_SITES = (
    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@dataclass
class TickReport:
    queued: list[str] = field(default_factory=list)  # site names queued by this tick
    waiting: dict[str, str] = field(default_factory=dict)  # due sites not queued, and why
    lost_runs: int = 0  # runs whose process died without ending them
    reclaimed_jobs: int = 0  # jobs given back to the queue from a node that never started them

    def line(self) -> str:
        why: dict[str, int] = {}
        for reason in self.waiting.values():
            why[reason] = why.get(reason, 0) + 1
        held = ", ".join(f"{k} {v}" for k, v in sorted(why.items())) or "none"
        return (
            f"tick: queued {len(self.queued)}; due but not queued: {held}; lost runs closed {self.lost_runs};"
            f" jobs reclaimed {self.reclaimed_jobs}"
        )


def locked_sites(db: Any) -> set[int]:
    """The sites whose advisory lock some live session holds: the sites running now."""
    return {int(row[0]) for row in db.execute(_LOCKED_SITES, (LOCK_CLASS,))}


def _message(job: str, spider: str, start_url: str, full: bool) -> dict[str, str]:
    """What Scrapyd's poller pops: ``name`` is the spider, the rest become ``-a key=value``."""
    message = {"name": spider, "_job": job, "start": start_url}
    if full:
        message["full"] = "1"
    return message


def _enqueue(
    db: Any,
    project: str,
    site_id: int,
    spider: str,
    start_url: str,
    priority: float = 0.0,
    full: bool = False,
    job: str | None = None,
) -> str:
    from psycopg.types.json import Jsonb

    job = job or uuid.uuid1().hex  # Scrapyd's own job ids
    db.execute(
        "INSERT INTO fleet_jobs (job, project, site_id, priority, message) VALUES (%s, %s, %s, %s, %s)",
        (job, project, site_id, priority, Jsonb(_message(job, spider, start_url, full))),
    )
    return job


def _settle_the_dead(db: Any, running: set[int], report: TickReport, claim_timeout: float) -> None:
    """Close the runs no process holds, and give back the claims no crawl took up."""
    report.lost_runs = db.execute(
        "UPDATE fleet_runs SET ended = now(), reason = 'lost: its process died without ending the run'"
        " WHERE ended IS NULL AND NOT (site_id = ANY(%s::bigint[]))",
        (list(running),),
    ).rowcount
    report.reclaimed_jobs = db.execute(
        "UPDATE fleet_jobs SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by IS NOT NULL"
        " AND claimed_at < now() - make_interval(secs => %s) AND NOT (site_id = ANY(%s::bigint[]))",
        (claim_timeout, list(running)),
    ).rowcount


def _busy_groups(db: Any, running: set[int]) -> set[str]:
    rows = db.execute(
        "SELECT DISTINCT site_group FROM fleet_sites s WHERE site_group IS NOT NULL AND"
        " (s.id = ANY(%s::bigint[]) OR EXISTS (SELECT 1 FROM fleet_jobs j WHERE j.site_id = s.id))",
        (list(running),),
    )
    return {row[0] for row in rows}


def tick(db: Any, project: str = DEFAULT_PROJECT, claim_timeout: float = CLAIM_TIMEOUT) -> TickReport:
    """Queue every due site (see the module docstring). One transaction; safe to run anywhere, any time."""
    report = TickReport()
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, TICK_LOCK))
        running = locked_sites(db)
        _settle_the_dead(db, running, report, claim_timeout)
        busy = _busy_groups(db, running)
        due = db.execute(
            "SELECT s.id, s.name, s.spider, s.start_url, s.site_group, s.hold_until > now(),"
            " EXISTS (SELECT 1 FROM fleet_jobs j WHERE j.site_id = s.id)"
            " FROM fleet_sites s WHERE NOT s.paused AND s.next_due <= now() ORDER BY s.next_due, s.id"
        ).fetchall()
        for site_id, name, spider, start_url, group, held, queued in due:
            if queued or site_id in running:
                report.waiting[name] = "queued or running"
            elif held:
                report.waiting[name] = "held"
            elif group is not None and group in busy:
                report.waiting[name] = "group busy"
            else:
                _enqueue(db, project, site_id, spider, start_url)
                report.queued.append(name)
                if group is not None:
                    busy.add(group)
    return report


class ScheduleError(RuntimeError):
    """A backfill or pause that cannot be done; the message says why."""


def backfill(
    db: Any,
    site_id: int,
    project: str = DEFAULT_PROJECT,
    full: bool = False,
    job: str | None = None,
    priority: float = 1.0,
) -> str:
    """Queue one run of the site now, ahead of the due ones (paused or not, due or not); its job id."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, TICK_LOCK))
        spider, start_url, group = db.execute(
            "SELECT spider, start_url, site_group FROM fleet_sites WHERE id = %s", (site_id,)
        ).fetchone()
        running = locked_sites(db)
        if site_id in running or db.execute("SELECT 1 FROM fleet_jobs WHERE site_id = %s", (site_id,)).fetchone():
            raise ScheduleError("the site is already queued or running")
        if group is not None and group in _busy_groups(db, running):
            raise ScheduleError(f"another site of group {group!r} is queued or running; try again after it")
        return _enqueue(db, project, site_id, spider, start_url, priority=priority, full=full, job=job)


def pause(db: Any, site_id: int, paused: bool = True) -> int:
    """Pause (or resume) a site; a pause also withdraws its job if no node has taken it yet.
    Returns the number of jobs withdrawn. A run already going finishes."""
    with db.transaction():
        db.execute("UPDATE fleet_sites SET paused = %s WHERE id = %s", (paused, site_id))
        if not paused:
            return 0
        return int(db.execute("DELETE FROM fleet_jobs WHERE site_id = %s AND claimed_by IS NULL", (site_id,)).rowcount)
