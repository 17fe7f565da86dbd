"""The PostgreSQL state's write queue against a real PostgreSQL: a batch of writes, the same URL
written several times in it, leaves the rows that the SQLite store's one-by-one writes leave, in
one statement a kind and a round; the ledger of a run is one statement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from inquirer_crawler.fleet.sites import SiteSpec, add_sites, find_site
from inquirer_crawler.state.postgres import FleetSite, PostgresStore
from inquirer_crawler.state.sqlite import SqliteStateStore
from inquirer_crawler.state.store import ExportedRecord, RunEnd, RunInfo


def record(path: str, content_hash: str) -> ExportedRecord:
    return ExportedRecord(f"https://theinquirer.fr/{path}/", 7, "2022-01-21T20:00:00+01:00", None, content_hash, None)


# What a run may say of its URLs, in this order, between two flushes: each URL several times.
WRITES: list[tuple[str, tuple[Any, ...]]] = [
    ("discover", ("site/a", "https://theinquirer.fr/a/")),
    ("discover", ("site/b", "https://theinquirer.fr/b/")),
    ("discover", ("site/c", "https://theinquirer.fr/c/")),
    ("stage", ("site/a", record("a", "h1"))),
    ("mark", ("site/b", "https://theinquirer.fr/b/", "failed", "http_404")),
    ("discover", ("site/a", "https://theinquirer.fr/a/")),  # found again: staged stays staged
    ("stage", ("site/a", record("a", "h2"))),  # the last record wins
    ("mark", ("site/c", "https://theinquirer.fr/c/?utm=x", "skipped", "duplicate_of")),
    ("mark", ("site/c", "https://theinquirer.fr/c/", "skipped", "alias_of_canonical")),
    ("discover", ("site/b", "https://theinquirer.fr/b/")),  # found again in the same run: failed stands
    ("discover", ("site/d", "https://theinquirer.fr/d/")),
]


def apply(store: Any) -> None:
    store.begin_run(RunInfo("inquirer", "complete"))
    for kind, args in WRITES:
        getattr(store, kind)(*args)


def test_a_batch_leaves_what_one_by_one_writes_leave(fleet_dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(fleet_dsn, autocommit=True) as db:
        add_sites(db, [SiteSpec.build("https://theinquirer.fr/", "inquirer", "1h", None, ("inquirer",))])
        site = FleetSite(*find_site(db, "https://theinquirer.fr/"))  # type: ignore[misc]
    sqlite = SqliteStateStore(tmp_path / "state.sqlite")
    apply(sqlite)
    store = PostgresStore(fleet_dsn, site)
    try:
        apply(store)
        before = store.statements
        store.flush()
        # The n-th write to each URL in round n: discover ×4 | stage, mark ×2 | discover ×2, mark | stage.
        assert store.statements - before == 6
        keys = ("site/a", "site/b", "site/c", "site/d")
        assert (
            {k: store.ledger_state(k) for k in keys}
            == {k: sqlite.ledger_state(k) for k in keys}
            == {
                "site/a": "staged",
                "site/b": "failed",
                "site/c": "skipped",
                "site/d": "pending",
            }
        )
        sql = "SELECT key, url, state, reason FROM {} ORDER BY key"
        rows = store.db.execute(sql.format("fleet_urls")).fetchall()
        assert rows == sqlite.db.execute(sql.format("urls")).fetchall()
        staged = store.db.execute("SELECT record->>'content_hash' FROM fleet_urls WHERE key = 'site/a'").fetchone()
        assert staged == ("h2",)
        ledger = {f"site/{n}": ("exported", None) for n in range(1000)}
        before = store.statements
        store.end_run(RunEnd(0, "ok", {"exported": 1000}, ledger))
        assert store.statements - before == 3  # the run's end, its 1,000 ledger rows, the next due time
        assert store.db.execute("SELECT count(*) FROM fleet_run_urls").fetchone() == (1000,)
    finally:
        store.close()
        sqlite.close()


@pytest.mark.parametrize("count", [1, 499, 500, 1201])
def test_a_long_run_of_writes_is_sent_in_batches_and_loses_none(fleet_dsn: str, count: int) -> None:
    with psycopg.connect(fleet_dsn, autocommit=True) as db:
        add_sites(db, [SiteSpec.build("https://theinquirer.fr/", "inquirer", "1h", None, ("inquirer",))])
        site = FleetSite(*find_site(db, "https://theinquirer.fr/"))  # type: ignore[misc]
    store = PostgresStore(fleet_dsn, site)
    try:
        store.begin_run(RunInfo("inquirer", "complete"))
        for n in range(count):
            store.discover(f"site/{n}", f"https://theinquirer.fr/{n}/")
            store.stage(f"site/{n}", record(str(n), f"h{n}"))
        store.flush()
        assert store.db.execute("SELECT count(*) FROM fleet_urls WHERE state = 'staged'").fetchone() == (count,)
    finally:
        store.close()
