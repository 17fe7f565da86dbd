"""A job's way from the queue to its run, against a real PostgreSQL: the tick queues it, a node's
queue claims it, the crawl's state takes it up; the run keeps when it was queued and claimed
(``claimed -> started`` is the job's own start-up on the node, BENCHMARKS.md "Fleet mode")."""

from __future__ import annotations

from types import SimpleNamespace

import psycopg

from inquirer_crawler.fleet import schedule
from inquirer_crawler.fleet.queue import PostgresSpiderQueue
from inquirer_crawler.fleet.sites import SiteSpec, add_sites, find_site
from inquirer_crawler.state.postgres import FleetSite, PostgresStore
from inquirer_crawler.state.store import RunInfo


def test_the_run_records_when_its_job_was_queued_and_claimed(fleet_dsn: str) -> None:
    with psycopg.connect(fleet_dsn, autocommit=True) as db:
        add_sites(db, [SiteSpec.build("http://127.0.0.2:8000/", "newspaper", "1h", None, ("newspaper",))])
        site = FleetSite(*find_site(db, "127.0.0.2"))  # type: ignore[misc]
        assert schedule.tick(db).queued == [site.name]
        config = SimpleNamespace(get=lambda key, default=None: {"database_url": fleet_dsn, "node_name": "w1"}.get(key))
        queue = PostgresSpiderQueue(config, schedule.DEFAULT_PROJECT)
        try:
            message = queue.pop()
        finally:
            queue.close()
        assert message is not None and message["settings"] == {"INQUIRER_NODE": "w1"}
        store = PostgresStore(fleet_dsn, site, "w1")
        try:
            store.begin_run(RunInfo("newspaper", "complete", job=message["_job"]))
        finally:
            store.close()
        assert db.execute("SELECT count(*) FROM fleet_jobs").fetchone() == (0,)  # taken up
        job, node, in_order = db.execute(
            "SELECT job, node, queued <= claimed AND claimed <= started FROM fleet_runs"
        ).fetchone()
        assert (job, node, in_order) == (message["_job"], "w1", True)
