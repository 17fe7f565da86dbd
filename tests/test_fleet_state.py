"""The PostgreSQL state of fleet mode against a real PostgreSQL: the SQLite store's guarantees
(publish, kill at the publish step), keyed by site; the advisory lock; one site's cron runs with
``scrapy crawl`` as on one machine (Scrapyd and several sites: test_fleet_e2e.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from inquirer_crawler.fleet.sites import SiteSpec, add_sites, find_site
from inquirer_crawler.state.lock import StateLocked
from inquirer_crawler.state.postgres import FleetSite, PostgresStore, fleet_lock
from inquirer_crawler.state.store import Baseline, ExportedRecord, RunEnd, RunInfo
from tests.conftest import FAST, REPO_ROOT, published_records
from tests.mirror_server import MirrorServer
from tests.site_edits import HOST, add_article, copy_mirror
from tests.test_cron import is_discovery

ARTICLES = 12
RECORD = ExportedRecord(
    url="https://theinquirer.fr/a/",
    post_id=1,
    published="2022-01-21T20:00:00+01:00",
    modified=None,
    content_hash="h1",
    lastmod=None,
)


def _site(dsn: str, start: str, spider: str = "inquirer") -> FleetSite:
    with psycopg.connect(dsn, autocommit=True) as db:
        add_sites(db, [SiteSpec.build(start, spider, "1h", None, ("inquirer", "newspaper"))])
        return FleetSite(*find_site(db, start))  # type: ignore[misc]


_OPEN: list[PostgresStore] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Any:
    yield
    while _OPEN:
        store = _OPEN.pop()
        if not store.db.closed:
            store.close()


def _store(dsn: str, site: FleetSite) -> PostgresStore:
    store = PostgresStore(dsn, site)
    _OPEN.append(store)
    return store


def staged_run(dsn: str, tmp_path: Path) -> tuple[PostgresStore, Path, Path]:
    store = _store(dsn, _site(dsn, "https://theinquirer.fr/"))
    store.begin_run(RunInfo("inquirer", "complete"))
    store.discover("theinquirer.fr/a", RECORD.url)
    store.stage("theinquirer.fr/a", RECORD)
    part, final = tmp_path / "out.jsonl.part", tmp_path / "out.jsonl"
    part.write_text('{"url": "https://theinquirer.fr/a/"}\n', "utf-8")
    return store, part, final


def test_publish_marks_exported_and_renames(fleet_dsn: str, tmp_path: Path) -> None:
    store, part, final = staged_run(fleet_dsn, tmp_path)
    store.publish(part, final)
    assert final.exists() and not part.exists()
    assert store.known("theinquirer.fr/a") is not None
    assert store.ledger_state("theinquirer.fr/a") == "exported"
    store.close()
    reopened = _store(fleet_dsn, store.site)
    assert reopened.known("theinquirer.fr/a") is not None  # loaded once, at start


def test_kill_between_commit_and_rename_is_rolled_forward(
    fleet_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, part, final = staged_run(fleet_dsn, tmp_path)

    def killed(*_: object) -> None:
        raise SystemExit("SIGKILL here")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(SystemExit):
        store.publish(part, final)
    monkeypatch.undo()
    store.db.close()  # as a killed process: nothing more is sent, its lock gone with it
    store.lock.release()
    reopened = _store(fleet_dsn, store.site)
    assert reopened.recover() == {"renamed": 1, "requeued": 0, "lost_outputs": 0}
    assert final.exists() and not part.exists()
    assert reopened.known("theinquirer.fr/a") is not None


def test_kill_before_publishing_requeues_the_staged_records(fleet_dsn: str, tmp_path: Path) -> None:
    store, _part, _ = staged_run(fleet_dsn, tmp_path)
    store.flush()  # what the write queue had sent before the kill
    store.db.close()
    store.lock.release()
    reopened = _store(fleet_dsn, store.site)
    assert reopened.recover() == {"renamed": 0, "requeued": 1, "lost_outputs": 0}
    assert reopened.pending() == [("theinquirer.fr/a", "https://theinquirer.fr/a/")]
    assert reopened.known("theinquirer.fr/a") is None


def test_an_output_on_no_disk_this_node_sees_is_exported_again(fleet_dsn: str, tmp_path: Path) -> None:
    """Committed as exported, then the node died with the only copy of the file: not believed."""
    store, part, final = staged_run(fleet_dsn, tmp_path)
    store.publish(part, final)
    store.db.execute("UPDATE fleet_runs SET published = false")  # killed before the last step ...
    final.unlink()  # ... on a disk no other node sees
    store.close()
    reopened = _store(fleet_dsn, store.site)
    assert reopened.recover()["lost_outputs"] == 1
    assert reopened.known("theinquirer.fr/a") is None
    assert reopened.pending() == [("theinquirer.fr/a", "https://theinquirer.fr/a/")]


def test_the_state_of_one_site_is_not_another_sites(fleet_dsn: str, tmp_path: Path) -> None:
    store, part, final = staged_run(fleet_dsn, tmp_path)
    store.publish(part, final)
    other = _store(fleet_dsn, _site(fleet_dsn, "https://other.example/", "newspaper"))
    assert other.known("theinquirer.fr/a") is None and other.pending() == []


def test_the_site_lock_refuses_a_second_holder_and_dies_with_its_process(fleet_dsn: str) -> None:
    site = _site(fleet_dsn, "https://theinquirer.fr/")
    code = (
        "import sys, time; from inquirer_crawler.state.postgres import fleet_lock\n"
        f"fleet_lock({fleet_dsn!r}, 'theinquirer.fr', None, 'w9').acquire(); print('held', flush=True);"
        " time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with pytest.raises(StateLocked, match=r"site theinquirer.fr: inquirer-crawler w9 pid"):
                fleet_lock(fleet_dsn, "theinquirer.fr", None, "w1").acquire()
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
    lock = fleet_lock(fleet_dsn, "theinquirer.fr", None, "w1")
    deadline = time.monotonic() + 10
    while True:  # the server notices the dead client's closed socket at once; allow it a moment
        try:
            lock.acquire()
            break
        except StateLocked:
            assert time.monotonic() < deadline, "the killed holder's lock was never released"
            time.sleep(0.05)
    lock.release()
    assert site.name == "theinquirer.fr"


class FleetSiteRuns:
    """The mirror of theinquirer.fr as one fleet site, crawled by ``scrapy crawl`` with the database."""

    def __init__(self, tmp_path: Path, dsn: str) -> None:
        self.root = copy_mirror(tmp_path)
        self.dsn = dsn
        self.output = tmp_path / "output"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "INQUIRER_DATABASE_URL": dsn,
            "INQUIRER_STATE_PATH": str(tmp_path / "must-not-exist" / "{spider}.sqlite"),
        }

    def command(self, url: str, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "scrapy.cmdline",
            "crawl",
            "inquirer",
            "-a",
            f"start={url}",
            *FAST,
            "-s",
            f"INQUIRER_OUTPUT={self.output}/%(site)s/%(time)s.jsonl",
            *args,
        ]

    def run(self, server: MirrorServer, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(server.url, *args),
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert "Traceback" not in result.stderr, result.stderr[result.stderr.index("Traceback") :][:3000]
        return result

    def published(self) -> list[dict[str, Any]]:
        return published_records(self.output)


def test_cron_runs_of_one_site_on_the_database(tmp_path: Path, fleet_dsn: str) -> None:
    runs = FleetSiteRuns(tmp_path, fleet_dsn)
    with MirrorServer(runs.root, HOST) as server:
        site = _site(fleet_dsn, server.url)
        first = runs.run(server, "-a", "_job=job-1")
        assert first.returncode == 0, first.stderr[-2000:]
        assert len(runs.published()) == ARTICLES
        new = add_article(runs.root, 1)
        before = len(server.requests)
        second = runs.run(server)
        assert second.returncode == 0, second.stderr[-2000:]
        assert [p for p in server.requests[before:] if not is_discovery(p)] == [new]
    assert "exported 1 (new 1, changed 0)" in second.stderr
    assert not (tmp_path / "must-not-exist").exists()  # no SQLite state beside the database
    with psycopg.connect(fleet_dsn) as db:
        rows = db.execute(
            "SELECT job, exit_status, counts->>'new', pid > 0, node <> '' FROM fleet_runs"
            " WHERE site_id = %s ORDER BY id",
            (site.id,),
        ).fetchall()
        assert rows == [("job-1", 0, str(ARTICLES), True, True), (None, 0, "1", True, True)]
        assert db.execute("SELECT count(*) FROM fleet_articles WHERE last_exported IS NOT NULL").fetchone()[0] == 13
        due = db.execute("SELECT next_due - (SELECT max(started) FROM fleet_runs) FROM fleet_sites").fetchone()[0]
        assert due.total_seconds() == 3600  # moved on by the interval, from the last run that exited 0
    assert [p.parent.name for p in runs.output.rglob("*.jsonl")] == [site.name, site.name]  # %(site)s


def test_a_second_run_of_the_site_exits_75_at_once(tmp_path: Path, fleet_dsn: str) -> None:
    runs = FleetSiteRuns(tmp_path, fleet_dsn)
    # The site holds every answer of the first run until the second has been tried: the first is
    # still running then, however slowly the second starts on a loaded machine.
    tried = threading.Event()
    with MirrorServer(runs.root, HOST, on_request=lambda _: tried.wait(60)) as server:
        _site(fleet_dsn, server.url)
        first = subprocess.Popen(
            runs.command(server.url), cwd=REPO_ROOT, env=runs.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            while not server.requests:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            started = time.monotonic()
            second = runs.run(server)
            assert time.monotonic() - started < 15
        finally:
            tried.set()
            first.kill()
            first.wait()
    assert second.returncode == 75
    assert "error: another crawl is running with this state (site 127.0.0.1: inquirer-crawler" in second.stderr


def test_kill_9_then_rerun_loses_and_duplicates_nothing(tmp_path: Path, fleet_dsn: str) -> None:
    runs = FleetSiteRuns(tmp_path, fleet_dsn)
    crawls: list[subprocess.Popen[bytes]] = []
    spawned = threading.Event()

    def kill_at(count: int) -> None:  # the server sends the kill, before it answers request 12
        if count == 12 and spawned.wait(60):
            crawls[0].send_signal(signal.SIGKILL)

    with MirrorServer(runs.root, HOST, delay=0.05, on_request=kill_at) as server:
        _site(fleet_dsn, server.url)
        crawl = subprocess.Popen(
            runs.command(server.url, "-s", "CONCURRENT_REQUESTS=2"),
            cwd=REPO_ROOT,
            env=runs.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        crawls.append(crawl)
        spawned.set()
        crawl.wait(timeout=60)
        assert crawl.returncode == -signal.SIGKILL, "the crawl ended before the kill point"
        time.sleep(1.1)  # the rerun's file is named after its start second
        result = runs.run(server)
    assert result.returncode == 0, result.stderr[-2000:]
    urls = [r["url"] for r in runs.published()]
    assert len(urls) == ARTICLES and len(set(urls)) == ARTICLES


def test_no_database_to_reach_is_exit_75_and_an_unknown_site_exit_2(tmp_path: Path, fleet_dsn: str) -> None:
    runs = FleetSiteRuns(tmp_path, fleet_dsn)
    unknown = subprocess.run(
        runs.command("http://127.0.0.1:9/"),
        cwd=REPO_ROOT,
        env=runs.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines()[-1] == (
        "error: start: site 127.0.0.1 is not in the fleet database (scrapy fleet add http://127.0.0.1:9/)"
    )
    down = {**runs.env, "INQUIRER_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"}
    result = subprocess.run(
        runs.command("http://127.0.0.1:9/"),
        cwd=REPO_ROOT,
        env=down,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 75
    assert result.stderr.strip().splitlines()[-1].startswith("error: the fleet database cannot be reached")


def test_the_run_its_ledger_and_the_baseline(fleet_dsn: str, tmp_path: Path) -> None:
    store, part, final = staged_run(fleet_dsn, tmp_path)
    store.publish(part, final)
    store.end_run(
        RunEnd(
            0,
            "ok",
            {"exported": 1},
            {"theinquirer.fr/a": ("exported", None)},
            Baseline({"https://theinquirer.fr/wp-sitemap-posts-post-1.xml": "2022-01-26"}, "2022-01-26"),
        )
    )
    assert store.left_pending() == 0
    store.close()
    again = _store(fleet_dsn, store.site)
    assert again.baseline().newest_modified == "2022-01-26"
    assert again.previous_counts() == [{"exported": 1}]
    again.begin_run(RunInfo("inquirer", "since"))
    again.end_run(RunEnd(1, "the site did not answer", {"exported": 0}, {}, None))  # failed: no baseline move
    assert again.baseline().sitemaps == {"https://theinquirer.fr/wp-sitemap-posts-post-1.xml": "2022-01-26"}
    with psycopg.connect(fleet_dsn) as db:
        assert db.execute("SELECT mode, exit_status FROM fleet_runs ORDER BY id").fetchall() == [
            ("complete", 0),
            ("since", 1),
        ]
        assert db.execute("SELECT state FROM fleet_run_urls").fetchall() == [("exported",)]


def test_a_failure_that_may_heal_is_given_up_after_the_limit(fleet_dsn: str) -> None:
    store = _store(fleet_dsn, _site(fleet_dsn, "https://theinquirer.fr/"))
    store.begin_run(RunInfo("inquirer", "complete"))
    store.discover("theinquirer.fr/b", "https://theinquirer.fr/b/")
    assert [store.fail_for_now("theinquirer.fr/b", "https://theinquirer.fr/b/", "timeout", 3) for _ in range(3)] == [
        False,
        False,
        True,
    ]
    assert store.ledger_state("theinquirer.fr/b") == "failed" and store.pending() == []
