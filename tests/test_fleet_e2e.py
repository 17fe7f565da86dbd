"""Fleet mode end to end, against real servers the test starts: PostgreSQL, two Scrapyd workers
with their own configs, and generated tagDiv sites on distinct loopback addresses (Scrapy keys its
download slots by host). The issue's five points: every article exported exactly once, per-host
politeness across both workers, kill -9 of a crawl then a tick, kill -9 of a whole worker then a
tick (point 5, the SQLite mode unchanged, is the rest of the suite, run with no database)."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from inquirer_crawler.fleet import schedule
from tests import fleet_settings
from tests.fleet_harness import FleetSites, ScrapydWorker, fleet_command, wait_for
from tests.send_log import path_of

DELAY = fleet_settings.DOWNLOAD_DELAY
DRAIN = 150  # seconds: generous for two loaded cores; a drain takes ~10 s
# How long the kill tests' slow sites take to answer: with DELAY, a crawl fetches an article every
# ~0.45 s, so that a kill lands with some of a site's six articles fetched and some not.
SLOW = 0.4


@pytest.fixture
def db(fleet_dsn: str) -> Iterator[Any]:
    with psycopg.connect(fleet_dsn, autocommit=True) as connection:
        yield connection


def _workers(tmp_path: Path, dsn: str, sites: FleetSites, max_proc: int) -> list[ScrapydWorker]:
    """Both workers started, side by side, and answering."""
    workers = [
        ScrapydWorker(tmp_path / node, node, dsn, sites.output_template, max_proc=max_proc).launch()
        for node in ("worker-a", "worker-b")
    ]
    return [worker.wait_ready() for worker in workers]


def _runs(db: Any) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT s.name, r.id, r.job, r.node, r.pid, r.queued, r.started, r.ended, r.exit_status, r.reason"
        " FROM fleet_runs r JOIN fleet_sites s ON s.id = r.site_id ORDER BY r.id"
    )
    names = [c.name for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _all_done(db: Any, count: int) -> bool:
    """Every site's last run exited 0 and nothing is queued."""
    ok = db.execute(
        "SELECT count(*) FROM fleet_sites s WHERE (SELECT exit_status FROM fleet_runs r WHERE r.site_id = s.id"
        " ORDER BY id DESC LIMIT 1) = 0"
    ).fetchone()[0]
    return ok == count and db.execute("SELECT count(*) FROM fleet_jobs").fetchone()[0] == 0


def _article_fetches(sites: FleetSites) -> dict[str, Counter[str]]:
    return {site.name: Counter(p for p in site.server.requests if p in site.articles) for site in sites.sites}


def _assert_exactly_once(sites: FleetSites, db: Any) -> None:
    """0 lost, 0 duplicated, no torn or stray file, every ledger balanced, nothing left open."""
    urls = Counter(record["url"] for record in sites.published())
    expected = {url for site in sites.sites for url in site.article_urls}
    assert set(urls) == expected, (sorted(expected - set(urls))[:5], sorted(set(urls) - expected)[:5])
    assert max(urls.values()) == 1, [u for u, n in urls.items() if n > 1]
    assert sites.stray_files() == []
    for run_id, discovered, closed in db.execute(
        "SELECT u.run_id, count(*), count(*) FILTER (WHERE u.state IN ('exported', 'failed', 'skipped'))"
        " FROM fleet_run_urls u JOIN fleet_runs r ON r.id = u.run_id WHERE r.exit_status = 0 GROUP BY u.run_id"
    ):
        assert discovered == closed, f"run {run_id}: {discovered} discovered, {closed} ended"
    left = db.execute("SELECT key, state, run_id, url FROM fleet_urls WHERE state IN ('pending', 'staged')").fetchall()
    assert left == []


def _min_gap(times: list[float]) -> float:
    ordered = sorted(times)
    return min(b - a for a, b in itertools.pairwise(ordered))


def test_two_workers_drain_six_sites_exactly_once_and_politely(tmp_path: Path, fleet_dsn: str, db: Any) -> None:
    with FleetSites.generate(tmp_path, count=6, articles=6) as sites:
        added = fleet_command(fleet_dsn, "add", "--file", str(sites.sites_file(groups={4: "one-ip", 5: "one-ip"})))
        assert added.returncode == 0, added.stderr
        workers = _workers(tmp_path, fleet_dsn, sites, max_proc=3)
        try:
            tick = fleet_command(fleet_dsn, "tick")
            assert tick.returncode == 0 and "queued 5;" in tick.stdout and "group busy 1" in tick.stdout, tick.stdout
            # Ticks while the sites run queue nothing twice; the group's second site follows its first.
            wait_for(lambda: not schedule.tick(db).queued and _all_done(db, 6), DRAIN, "every site to run once")
        finally:
            for worker in workers:
                worker.stop()
        runs = _runs(db)
        assert [r["exit_status"] for r in runs] == [0] * 6, runs
        assert {r["node"] for r in runs} == {"worker-a", "worker-b"}  # both workers took jobs
        # Scrapyd's job id, the crawl's pid and when the tick queued it, recorded with the run.
        assert all(r["job"] and r["pid"] and r["queued"] <= r["started"] for r in runs)
        _assert_exactly_once(sites, db)
        # Each article page fetched once, robots.txt once per run.
        for name, fetches in _article_fetches(sites).items():
            assert set(fetches.values()) == {1}, (name, fetches)
        # Every site's requests spaced by the delay, when its crawl sent them (tests/send_log.py:
        # arrival times at the server add the server's own noise); what was sent is what arrived.
        sent = [entry for worker in workers for entry in worker.sent()]
        for site in sites.sites:
            assert site.server.requests.count("/robots.txt") == 1
            times = [(t, path_of(url)) for t, url in sent if url.startswith(site.server.url)]
            assert sorted(path for _, path in times) == sorted(site.server.requests), site.name
            gap = _min_gap([t for t, _ in times])
            assert gap >= 0.9 * DELAY, f"{site.name}: two requests {gap:.3f} s apart (delay {DELAY} s)"
        # The group's sites never ran at once: not by the runs' times, not by the requests' either.
        first, second = sites.sites[4], sites.sites[5]
        spans = sorted((min(t for t, _ in s.server.times), max(t for t, _ in s.server.times)) for s in (first, second))
        assert spans[0][1] < spans[1][0]
        # Records of every node are in the one output folder, a folder per site.
        assert sorted(p.name for p in sites.output.iterdir()) == sorted(s.name for s in sites.sites)
        # Nothing is due again before its interval: the next tick queues nothing.
        assert schedule.tick(db).queued == []
        status = fleet_command(fleet_dsn, "status", "--json")
        assert status.returncode == 0 and '"exported": 6' in status.stdout


def test_kill_9_of_a_crawl_then_a_tick_loses_and_duplicates_nothing(tmp_path: Path, fleet_dsn: str, db: Any) -> None:
    with FleetSites.generate(tmp_path, count=3, articles=6, delays={0: SLOW}) as sites:
        assert fleet_command(fleet_dsn, "add", "--file", str(sites.sites_file())).returncode == 0
        slow = sites.sites[0]
        workers = _workers(tmp_path, fleet_dsn, sites, max_proc=2)
        try:
            schedule.tick(db)
            wait_for(lambda: sum(p in slow.articles for p in slow.server.requests) >= 2, DRAIN, "articles fetched")
            (victim,) = [r for r in _runs(db) if r["name"] == slow.name]
            os.kill(victim["pid"], signal.SIGKILL)
            time.sleep(0.5)  # an answer the server was still writing is logged by now
            fetched_before = Counter(p for p in slow.server.requests if p in slow.articles)
            published_before = {r["url"] for r in sites.published()}
            requests_before = len(slow.server.requests)
            wait_for(lambda: slow.name in schedule.tick(db).queued, 60, "the tick to queue the killed site again")
            wait_for(lambda: _all_done(db, 3), DRAIN, "every site to finish")
        finally:
            for worker in workers:
                worker.stop()
        runs = [r for r in _runs(db) if r["name"] == slow.name]
        assert [r["exit_status"] for r in runs] == [None, 0] and runs[0]["reason"].startswith("lost")
        assert 1 <= sum(fetched_before.values()) < len(slow.articles)  # killed mid-way
        _assert_exactly_once(sites, db)
        # Fetched again: exactly what the killed run had not published, each once.
        again = Counter(p for p in slow.server.requests[requests_before:] if p in slow.articles)
        unfinished = {p for p, url in zip(slow.articles, slow.article_urls, strict=True) if url not in published_before}
        assert set(again) == unfinished and set(again.values()) == {1}
        assert slow.server.requests.count("/robots.txt") == 2  # once per run


def test_kill_9_of_a_whole_worker_then_a_tick_the_other_finishes(tmp_path: Path, fleet_dsn: str, db: Any) -> None:
    with FleetSites.generate(tmp_path, count=4, articles=6, delays=dict.fromkeys(range(4), SLOW)) as sites:
        assert fleet_command(fleet_dsn, "add", "--file", str(sites.sites_file())).returncode == 0
        lost, survivor = _workers(tmp_path, fleet_dsn, sites, max_proc=2)
        try:
            schedule.tick(db)
            wait_for(lambda: sum(1 for r in _runs(db) if r["node"] == "worker-a") == 2, DRAIN, "worker-a's two runs")
            on_lost = {r["name"] for r in _runs(db) if r["node"] == "worker-a"}
            by_site = {s.name: s for s in sites.sites}
            wait_for(
                lambda: all(sum(p in by_site[n].articles for p in by_site[n].server.requests) >= 1 for n in on_lost),
                DRAIN,
                "worker-a's crawls to be under way",
            )
            lost.kill_all()
            time.sleep(0.5)
            marks = {name: len(by_site[name].server.requests) for name in on_lost}
            published_before = {r["url"] for r in sites.published()}
            wait_for(
                lambda: set(schedule.tick(db).queued) >= on_lost or _queued_or_done(db, on_lost),
                60,
                "the tick to queue worker-a's sites again",
            )
            wait_for(lambda: _all_done(db, 4), DRAIN, "worker-b to finish everything")
        finally:
            lost.stop()
            survivor.stop()
        runs = _runs(db)
        finals = {r["name"]: r for r in runs if r["exit_status"] == 0}
        assert set(finals) == {s.name for s in sites.sites}
        assert {finals[name]["node"] for name in on_lost} == {"worker-b"}  # the other worker finished them
        assert all(r["reason"].startswith("lost") for r in runs if r["exit_status"] is None)
        _assert_exactly_once(sites, db)
        for name in on_lost:
            site = by_site[name]
            again = Counter(p for p in site.server.requests[marks[name] :] if p in site.articles)
            unfinished = {
                p for p, url in zip(site.articles, site.article_urls, strict=True) if url not in published_before
            }
            assert set(again) == unfinished and set(again.values()) == {1}, name


def _queued_or_done(db: Any, names: set[str]) -> bool:
    """The sites are queued again, running again, or done (another tick got there first)."""
    rows = db.execute(
        "SELECT s.name FROM fleet_sites s WHERE s.name = ANY(%s) AND (EXISTS (SELECT 1 FROM fleet_jobs j"
        " WHERE j.site_id = s.id) OR (SELECT count(*) FROM fleet_runs r WHERE r.site_id = s.id) > 1)",
        (list(names),),
    ).fetchall()
    return {row[0] for row in rows} == names
