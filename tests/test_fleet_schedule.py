"""Fleet mode's schedule against a real PostgreSQL: set-up, sites, the tick, backfill, pause, and
the Scrapyd queue shared by several nodes. (The crawls themselves: test_fleet_runs.py.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from inquirer_crawler.fleet import schedule
from inquirer_crawler.fleet.database import LOCK_CLASS, set_up
from inquirer_crawler.fleet.queue import PostgresSpiderQueue, QueueError
from inquirer_crawler.fleet.sites import SiteSpec, SiteSpecError, add_sites, find_site, read_sites_file
from tests.conftest import REPO_ROOT

SPIDERS = ("newspaper", "inquirer")


@pytest.fixture
def db(fleet_dsn: str) -> Any:
    with psycopg.connect(fleet_dsn, autocommit=True) as connection:
        yield connection


def _sites(db: Any, *hosts: str, group: str | None = None, interval: str = "1h") -> list[int]:
    specs = [SiteSpec.build(f"http://{h}:8000/", "newspaper", interval, group, SPIDERS) for h in hosts]
    add_sites(db, specs)
    return [find_site(db, spec.name)[0] for spec in specs]  # type: ignore[index]


_OPEN_QUEUES: list[PostgresSpiderQueue] = []


@pytest.fixture(autouse=True)
def _close_queues() -> Any:
    yield
    while _OPEN_QUEUES:
        _OPEN_QUEUES.pop().close()


def _queue(dsn: str, node: str) -> PostgresSpiderQueue:
    """A node's queue, as Scrapyd builds it from its config."""
    config = SimpleNamespace(get=lambda key, default=None: {"database_url": dsn, "node_name": node}.get(key, default))
    queue = PostgresSpiderQueue(config, schedule.DEFAULT_PROJECT)
    _OPEN_QUEUES.append(queue)
    return queue


def _queued(db: Any) -> list[str]:
    return sorted(
        row[0] for row in db.execute("SELECT s.name FROM fleet_jobs j JOIN fleet_sites s ON s.id = j.site_id")
    )


def test_setup_is_idempotent_and_keeps_the_data(db: Any) -> None:
    _sites(db, "127.0.0.2")
    set_up(db)
    set_up(db)
    assert db.execute("SELECT count(*) FROM fleet_sites").fetchone()[0] == 1


def test_a_sites_file_adds_every_site_or_names_the_bad_line(tmp_path: Path, db: Any) -> None:
    good = tmp_path / "sites.txt"
    good.write_text(
        "# the fleet\nhttps://a.example/ group=ovh-1\n\nhttps://b.example/news interval=30m spider=inquirer\n"
    )
    specs = read_sites_file(good, {"spider": "newspaper", "interval": "1h"}, SPIDERS)
    assert [(s.start_url, s.spider, s.interval_s, s.group) for s in specs] == [
        ("https://a.example/", "newspaper", 3600, "ovh-1"),
        ("https://b.example/news/", "inquirer", 1800, None),
    ]
    assert add_sites(db, specs) == (2, 0)
    assert add_sites(db, specs) == (0, 2)  # again: updated, not doubled
    bad = tmp_path / "bad.txt"
    bad.write_text("https://c.example/\nhttps://d.example/ interval=soon\n")
    with pytest.raises(SiteSpecError, match=r"bad.txt:2: interval: 'soon' is not a duration"):
        read_sites_file(bad, {"spider": "newspaper", "interval": "1h"}, SPIDERS)
    with pytest.raises(SiteSpecError, match="unknown spider 'nope'"):
        SiteSpec.build("https://e.example/", "nope", "1h", None, SPIDERS)


def _tick_until_queued(db: Any, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while not (queued := schedule.tick(db).queued) and time.monotonic() < deadline:
        time.sleep(0.02)
    return queued


def test_the_tick_queues_each_due_site_once_however_often_it_runs(db: Any) -> None:
    _sites(db, "127.0.0.2", "127.0.0.3", "127.0.0.4")
    first = schedule.tick(db)
    assert sorted(first.queued) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert schedule.tick(db).queued == [] and schedule.tick(db).queued == []
    assert _queued(db) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]


def test_two_ticks_at_once_queue_nothing_twice(fleet_dsn: str, db: Any) -> None:
    _sites(db, *(f"127.0.0.{i}" for i in range(2, 22)))
    results: list[list[str]] = []

    def tick() -> None:
        with psycopg.connect(fleet_dsn, autocommit=True) as own:
            results.append(schedule.tick(own).queued)

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for queued in results for name in queued) == sorted(f"127.0.0.{i}" for i in range(2, 22))


def test_sites_of_one_group_never_queue_together(db: Any) -> None:
    a, b, _ = _sites(db, "127.0.0.2", "127.0.0.3", "127.0.0.4", group="one-server")
    report = schedule.tick(db)
    assert report.queued == ["127.0.0.2"] and set(report.waiting.values()) == {"group busy"}
    db.execute("DELETE FROM fleet_jobs")  # the run is over ...
    with psycopg.connect(db.info.dsn, autocommit=True) as runner:
        runner.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, a))  # ... no: it is running
        assert schedule.tick(db).queued == []
    # Its process is gone (the server ends the session a moment after the socket closes): the lock
    # is released and the next due time was not moved on, so the site is queued again.
    assert _tick_until_queued(db) == ["127.0.0.2"]
    with pytest.raises(schedule.ScheduleError, match="group 'one-server'"):
        schedule.backfill(db, b)


def test_paused_held_and_not_yet_due_sites_are_not_queued(db: Any) -> None:
    paused, held, later, _due = _sites(db, "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
    schedule.pause(db, paused)
    db.execute(
        "UPDATE fleet_sites SET hold_until = now() + interval '1 hour', hold_reason = 'robots.txt 503' WHERE id = %s",
        (held,),
    )
    db.execute("UPDATE fleet_sites SET next_due = now() + interval '1 hour' WHERE id = %s", (later,))
    report = schedule.tick(db)
    assert report.queued == ["127.0.0.5"] and report.waiting == {"127.0.0.3": "held"}
    db.execute("UPDATE fleet_sites SET hold_until = now() - interval '1 second' WHERE id = %s", (held,))
    schedule.pause(db, paused, paused=False)
    assert sorted(schedule.tick(db).queued) == ["127.0.0.2", "127.0.0.3"]


def test_a_run_whose_process_died_is_closed_and_its_site_queued_again(db: Any) -> None:
    (site,) = _sites(db, "127.0.0.2")
    db.execute("INSERT INTO fleet_runs (site_id, node, pid) VALUES (%s, 'w1', 1)", (site,))
    report = schedule.tick(db)
    assert report.lost_runs == 1 and report.queued == ["127.0.0.2"]
    reason = db.execute("SELECT reason FROM fleet_runs").fetchone()[0]
    assert reason.startswith("lost")


def test_a_claim_no_crawl_took_up_goes_back_to_the_queue(fleet_dsn: str, db: Any) -> None:
    _sites(db, "127.0.0.2")
    schedule.tick(db)
    assert _queue(fleet_dsn, "w1").pop() is not None
    assert _queue(fleet_dsn, "w2").pop() is None  # claimed by w1
    assert schedule.tick(db, claim_timeout=3600).reclaimed_jobs == 0
    assert schedule.tick(db, claim_timeout=0).reclaimed_jobs == 1  # w1 died before starting the crawl
    message = _queue(fleet_dsn, "w2").pop()
    assert message is not None and message["settings"] == {"INQUIRER_NODE": "w2"}


def test_nodes_popping_at_once_get_each_job_exactly_once(fleet_dsn: str, db: Any) -> None:
    _sites(db, *(f"127.0.0.{i}" for i in range(2, 42)))
    schedule.tick(db)
    popped: dict[str, list[str]] = {}

    def node(name: str) -> None:
        queue = _queue(fleet_dsn, name)
        popped[name] = []
        while queue.count():
            message = queue.pop()
            if message is not None:
                popped[name].append(message["start"])

    threads = [threading.Thread(target=node, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts = [start for jobs in popped.values() for start in jobs]
    assert sorted(starts) == sorted(f"http://127.0.0.{i}:8000/" for i in range(2, 42))


def test_the_queue_speaks_scrapyds_interface(fleet_dsn: str, db: Any) -> None:
    a, _ = _sites(db, "127.0.0.2", "127.0.0.3")
    queue = _queue(fleet_dsn, "w1")
    queue.add("newspaper", priority=0.0, _job="job-a", start="http://127.0.0.2:8000/")
    with pytest.raises(QueueError, match="already queued or running"):
        queue.add("newspaper", priority=0.0, _job="job-a2", start="http://127.0.0.2:8000/")
    queue.add("newspaper", priority=5.0, _job="job-x", urls="http://127.0.0.9/a/")  # not a fleet site
    assert queue.count() == 2
    assert [m["_job"] for m in queue.list()] == ["job-x", "job-a"]  # by priority
    first = queue.pop()
    assert first is not None and first["name"] == "newspaper" and first["urls"] == "http://127.0.0.9/a/"
    assert queue.remove(lambda message: message["_job"] == "job-a") == 1
    assert queue.count() == 0
    schedule.backfill(db, a, full=True)
    assert queue.list()[0]["full"] == "1"
    queue.clear()
    assert queue.count() == 0


def _fleet(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "INQUIRER_DATABASE_URL": dsn}
    return subprocess.run(
        [sys.executable, "-m", "scrapy.cmdline", "fleet", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_fleet_command_as_a_user_runs_it(tmp_path: Path, fleet_dsn: str) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("http://127.0.0.2:8000/ group=g\nhttp://127.0.0.3:8000/ group=g interval=30m\n")
    assert _fleet(fleet_dsn, "setup").returncode == 0  # again on a set-up database
    added = _fleet(fleet_dsn, "add", "--file", str(sites))
    assert added.returncode == 0 and "2 site(s) added" in added.stdout
    tick = _fleet(fleet_dsn, "tick")
    assert tick.returncode == 0 and "queued 1;" in tick.stdout and "group busy 1" in tick.stdout
    status = _fleet(fleet_dsn, "status", "--json")
    rows = {row["site"]: row for row in json.loads(status.stdout)}
    assert rows["127.0.0.2"]["state"] == "queued" and rows["127.0.0.3"]["state"] == "due"
    assert _fleet(fleet_dsn, "pause", "127.0.0.2").returncode == 0
    assert "paused" in _fleet(fleet_dsn, "status").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "ftp://x.example/"], "start: 'ftp://x.example/' is not an http(s) URL"),
        (["add", "https://x.example/", "--interval", "often"], "interval: 'often' is not a duration"),
        (["pause", "no.such.site"], "no site 'no.such.site' in the fleet"),
        (["launch"], "give an action: setup, add, tick"),
    ],
)
def test_a_wrong_fleet_argument_is_one_line_and_exit_2(fleet_dsn: str, args: list[str], message: str) -> None:
    result = _fleet(fleet_dsn, *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.stderr


def test_a_database_that_cannot_be_reached_is_exit_75(postgres: Any) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _fleet(f"postgresql://postgres@127.0.0.1:{port}/none", "tick")
    assert result.returncode == 75
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the fleet database cannot be reached")
