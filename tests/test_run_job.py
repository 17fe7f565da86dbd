"""Scrapyd's job id (``-a _job=<id>``) is recorded with the run in the SQLite state too, as the
fleet's PostgreSQL state records it (test_fleet_state.py); a state file from before it migrates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inquirer_crawler.state.sqlite import SqliteStateStore
from inquirer_crawler.state.store import RunInfo
from tests.test_cron import ARTICLES, CronSite

JOB = "6487ec79947edab326d6db28a2d86511e8247444"


def test_the_scrapyd_job_is_recorded_with_the_run(tmp_path: Path) -> None:
    site = CronSite(tmp_path)
    first, _ = site.run("-a", f"_job={JOB}")
    assert first.returncode == 0, first.stderr[-2000:]
    second, _ = site.run()  # by hand: no job
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(site.published()) == ARTICLES
    db = sqlite3.connect(site.state)
    try:
        assert db.execute("SELECT job, exit_status FROM runs ORDER BY id").fetchall() == [(JOB, 0), (None, 0)]
    finally:
        db.close()


def test_a_state_file_from_before_the_job_column_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    store = SqliteStateStore(path)
    store.begin_run(RunInfo("newspaper", "complete"))
    store.close()
    db = sqlite3.connect(path)  # the format before this one: no job column, user_version 2
    db.execute("ALTER TABLE runs DROP COLUMN job")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = SqliteStateStore(path)
    store.begin_run(RunInfo("newspaper", "complete", job="job-2"))
    store.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT job FROM runs ORDER BY id").fetchall() == [(None,), ("job-2",)]
    finally:
        db.close()
