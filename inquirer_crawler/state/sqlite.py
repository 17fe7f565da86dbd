"""The SQLite ``StateStore`` (store.py) of one scope: articles exported, the URL ledger, the runs.

Every article URL a run discovers gets one ledger row: ``pending`` until it ends in one known
state (``exported``, ``failed`` with a reason, ``skipped`` with a reason). A run's records are
``staged`` while they sit in its unpublished output file; the feed storage publishes the file and
the state in an order that survives SIGKILL at any moment (see ``publish`` and ``recover``).

WAL mode: a committed transaction survives the death of the process; each decision is committed
at once, so a killed run leaves its pending URLs for the next one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from inquirer_crawler.state.scope import ScopeError
from inquirer_crawler.state.store import (
    Baseline,
    ExportedRecord,
    KnownArticle,
    LedgerState,
    RunEnd,
    RunInfo,
    now_iso,
    rename_durably,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    key           TEXT PRIMARY KEY,   -- site + path of the canonical URL (SpiderKey)
    url           TEXT NOT NULL,      -- canonical URL as exported
    post_id       INTEGER,
    published     TEXT,
    modified      TEXT,
    content_hash  TEXT,               -- hash of the exported content, counters and fetch time left out
    lastmod       TEXT,               -- newest sitemap/REST modification date seen
    first_seen    TEXT NOT NULL,
    last_exported TEXT
);
CREATE TABLE IF NOT EXISTS urls (
    key     TEXT PRIMARY KEY,
    url     TEXT NOT NULL,
    state   TEXT NOT NULL CHECK (state IN ('pending', 'staged', 'exported', 'failed', 'skipped')),
    reason  TEXT,
    run_id  INTEGER,
    record  TEXT,                     -- staged: the article fields the state keeps once published
    updated TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0  -- runs in a row that failed it for a reason that may heal (v2)
);
CREATE TABLE IF NOT EXISTS run_urls (     -- each run's account of its article URLs (ledger.py)
    run_id  INTEGER NOT NULL,
    key     TEXT NOT NULL,
    state   TEXT NOT NULL,
    reason  TEXT,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS runs (
    id           INTEGER PRIMARY KEY,
    spider       TEXT NOT NULL,
    mode         TEXT,                -- RunInfo.mode: "complete", "urls", "since+sections", …; NULL before v1
    job          TEXT,                -- RunInfo.job: the Scrapyd job id (-a _job=), NULL when run by hand (v3)
    started      TEXT NOT NULL,
    ended        TEXT,
    exit_status  INTEGER,
    reason       TEXT,
    counts       TEXT,                -- JSON: exported, new, changed, unchanged, failed, skipped, pending
    output_part  TEXT,                -- set once the output is fsync'd and about to be renamed
    output_final TEXT,
    published    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sitemaps (     -- the baseline: each child sitemap's lastmod at the last complete run
    url     TEXT PRIMARY KEY,
    lastmod TEXT NOT NULL,
    run_id  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (        -- the baseline's single values (newest_modified)
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    run_id  INTEGER NOT NULL
);
"""
# PRAGMA user_version of the schema above. 0: the first format (no run mode, no baseline tables);
# 1: no failure count; 2: no job id with the run.
SCHEMA_VERSION = 3


class SqliteStateStore:
    """``scope``: the state's owner (scope.py). A file of the first format, or a new one, takes it;
    a file that belongs to another scope is refused (ScopeError), never mixed."""

    def __init__(self, path: Path, scope: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            # Before anything writes to it (WAL mode rewrites the file's header): a newer format is refused.
            if (version := self.db.execute("PRAGMA user_version").fetchone()[0]) > SCHEMA_VERSION:
                raise ScopeError(_too_new(path, version))
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            _migrate(self.db)
        except ScopeError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as error:  # not a database: refused, never reset
            self.db.close()
            raise ScopeError(_unreadable(path, error)) from None
        self.run_id: int | None = None
        if scope is not None:
            self._claim(scope)

    def _claim(self, scope: str) -> None:
        row = self.db.execute("SELECT value FROM facts WHERE name = 'scope'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO facts (name, value, run_id) VALUES ('scope', ?, 0)", (scope,))
        elif row[0] != scope:
            self.db.close()
            raise ScopeError(_not_yours(self.path, row[0], scope))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs -----------------------------------------------------------------------------------

    def begin_run(self, run: RunInfo) -> None:
        cursor = self.db.execute(
            "INSERT INTO runs (spider, mode, started, job) VALUES (?, ?, ?, ?)",
            (run.spider, run.mode, run.started, run.job),
        )
        self.run_id = int(cursor.lastrowid or 0)

    def end_run(self, end: RunEnd) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET ended = ?, exit_status = ?, reason = ?, counts = ? WHERE id = ?",
                (now_iso(), end.status, end.reason, json.dumps(dict(end.counts), sort_keys=True), self.run_id),
            )
            db.executemany(
                "INSERT OR REPLACE INTO run_urls (run_id, key, state, reason) VALUES (?, ?, ?, ?)",
                [
                    (self.run_id, key, "pending" if state == "requested" else state, reason)
                    for key, (state, reason) in end.ledger.items()
                ],
            )
            if end.baseline is not None:
                self._set_baseline(db, end.baseline)

    def _set_baseline(self, db: sqlite3.Connection, baseline: Baseline) -> None:
        """A sitemap this run did not see keeps its earlier date: an index that failed to list a
        child once must not make it look new (or old) for ever."""
        db.executemany(
            "INSERT OR REPLACE INTO sitemaps (url, lastmod, run_id) VALUES (?, ?, ?)",
            [(url, lastmod, self.run_id) for url, lastmod in baseline.sitemaps.items()],
        )
        if baseline.newest_modified is not None:
            db.execute(
                "INSERT OR REPLACE INTO facts (name, value, run_id) VALUES ('newest_modified', ?, ?)",
                (baseline.newest_modified, self.run_id),
            )

    def baseline(self) -> Baseline:
        sitemaps = dict(self.db.execute("SELECT url, lastmod FROM sitemaps").fetchall())
        row = self.db.execute("SELECT value FROM facts WHERE name = 'newest_modified'").fetchone()
        return Baseline(sitemaps=sitemaps, newest_modified=row[0] if row else None)

    def previous_counts(self, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT counts FROM runs WHERE counts IS NOT NULL AND id != ? ORDER BY id DESC LIMIT ?",
            (self.run_id or -1, limit),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- crash recovery -----------------------------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Finish what killed runs left half done. Returns what was done, for the log."""
        done = {"renamed": 0, "requeued": 0}
        for run_id, part, final in self.db.execute(
            "SELECT id, output_part, output_final FROM runs WHERE output_part IS NOT NULL AND published = 0"
        ).fetchall():
            # The run had fsync'd its file and committed its records as exported: roll forward.
            if Path(part).exists():
                os.replace(part, final)
                done["renamed"] += 1
            self.db.execute("UPDATE runs SET published = 1 WHERE id = ?", (run_id,))
        # Records staged in a file that never got published: fetch them again.
        cursor = self.db.execute(
            "UPDATE urls SET state = 'pending', record = NULL, updated = ? WHERE state = 'staged'", (now_iso(),)
        )
        done["requeued"] = cursor.rowcount
        return done

    # -- the ledger --------------------------------------------------------------------------------

    def ledger_state(self, key: str) -> str | None:
        row = self.db.execute("SELECT state FROM urls WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def mark(self, key: str, url: str, state: LedgerState, reason: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO urls (key, url, state, reason, run_id, updated) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET url = excluded.url, state = excluded.state,"
            " reason = excluded.reason, run_id = excluded.run_id, updated = excluded.updated",
            (key, url, state, reason, self.run_id, now_iso()),
        )

    def discover(self, key: str, url: str) -> None:
        """A URL this run will request: pending until it ends in a known state."""
        self.db.execute(
            "INSERT INTO urls (key, url, state, run_id, updated) VALUES (?, ?, 'pending', ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET state = 'pending', reason = NULL, run_id = excluded.run_id,"
            " updated = excluded.updated WHERE urls.state NOT IN ('staged')"
            # Found again in the same run (a listing after the resumed request failed): its outcome stands.
            " AND urls.run_id IS NOT excluded.run_id",
            (key, url, self.run_id, now_iso()),
        )

    def fail_for_now(self, key: str, url: str, reason: str, limit: int) -> bool:
        row = self.db.execute(
            "UPDATE urls SET failures = failures + 1, reason = ?, updated = ?,"
            " state = CASE WHEN failures + 1 >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE key = ? AND state = 'pending' RETURNING state",
            (reason, now_iso(), limit, key),
        ).fetchone()
        return row is not None and row[0] == "failed"  # None: not requested through the state

    def pending(self) -> list[tuple[str, str]]:
        """(key, URL as last requested) of what earlier runs discovered and did not finish."""
        return list(self.db.execute("SELECT key, url FROM urls WHERE state = 'pending' ORDER BY updated, key"))

    def left_pending(self) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM urls WHERE run_id = ? AND state = 'pending'", (self.run_id,))
        return int(row.fetchone()[0])

    # -- articles -----------------------------------------------------------------------------------

    def known(self, key: str) -> KnownArticle | None:
        row = self.db.execute(
            "SELECT key, url, published, modified, lastmod, content_hash FROM articles"
            " WHERE key = ? AND last_exported IS NOT NULL",
            (key,),
        ).fetchone()
        return KnownArticle(*row) if row else None

    def note_lastmod(self, key: str, lastmod: str) -> None:
        self.db.execute("UPDATE articles SET lastmod = ? WHERE key = ?", (lastmod, key))

    def stage(self, key: str, record: ExportedRecord) -> None:
        """A record written to this run's (not yet published) output."""
        self.db.execute(
            "INSERT INTO urls (key, url, state, run_id, record, updated) VALUES (?, ?, 'staged', ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET state = 'staged', reason = NULL, run_id = excluded.run_id,"
            " record = excluded.record, updated = excluded.updated, failures = 0",
            (key, record.url, self.run_id, json.dumps(asdict(record)), now_iso()),
        )

    def publish(self, part: Path, final: Path) -> None:
        """Called with the output fsync'd at ``part``: in one transaction the staged records become
        exported and the run notes the rename it is about to do; then the rename; then the run is
        marked published. A kill between the two steps is finished by ``recover``."""
        stamp = now_iso()
        with self.transaction() as db:
            staged = db.execute("SELECT key, record FROM urls WHERE state = 'staged' AND run_id = ?", (self.run_id,))
            for key, record_json in staged.fetchall():
                record = json.loads(record_json)
                db.execute(
                    "INSERT INTO articles (key, url, post_id, published, modified, content_hash, lastmod, first_seen,"
                    " last_exported) VALUES (:key, :url, :post_id, :published, :modified, :content_hash, :lastmod,"
                    " :stamp, :stamp) ON CONFLICT(key) DO UPDATE SET url = excluded.url, post_id = excluded.post_id,"
                    " published = excluded.published, modified = excluded.modified,"
                    " content_hash = excluded.content_hash, lastmod = COALESCE(excluded.lastmod, articles.lastmod),"
                    " last_exported = excluded.last_exported",
                    {**record, "key": key, "stamp": stamp},
                )
            db.execute(
                "UPDATE urls SET state = 'exported', record = NULL, updated = ? WHERE state = 'staged' AND run_id = ?",
                (stamp, self.run_id),
            )
            db.execute(
                "UPDATE runs SET output_part = ?, output_final = ? WHERE id = ?", (str(part), str(final), self.run_id)
            )
        rename_durably(part, final)
        self.db.execute("UPDATE runs SET published = 1 WHERE id = ?", (self.run_id,))


def check_owner(path: Path, scope: str) -> None:
    """Raise ScopeError when the state file at ``path`` belongs to another scope."""
    if not path.is_file():
        return
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    version = 0
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        row = db.execute("SELECT value FROM facts WHERE name = 'scope'").fetchone()
    except sqlite3.OperationalError:  # the first format: no owner yet
        row = None
    except sqlite3.DatabaseError as error:  # not a database at all: never reset in silence
        raise ScopeError(_unreadable(path, error)) from None
    finally:
        db.close()
    if version > SCHEMA_VERSION:
        raise ScopeError(_too_new(path, version))
    if row is not None and row[0] != scope:
        raise ScopeError(_not_yours(path, row[0], scope))


def _unreadable(path: Path, error: Exception) -> str:
    return f"state file {path} is not a readable state file ({error}): left as it is; move it away to start over"


def _too_new(path: Path, version: int) -> str:
    return (
        f"state file {path} has state format {version}, newer than this inquirer-crawler reads ({SCHEMA_VERSION}):"
        " left as it is; run the newer version, or move the file away to start over"
    )


def _not_yours(path: Path, owner: str, scope: str) -> str:
    return (
        f"state file {path} holds the state of {owner}, not of {scope}: "
        "put {site} in INQUIRER_STATE_PATH to give each its own"
    )


def adopt_first_format(legacy: Path, path: Path, scope: str) -> bool:
    """The first format kept one file per spider (``.state/newspaper.sqlite`` mixing every site).
    When this scope has no file yet and the legacy one holds articles of it, start from a copy of
    the legacy file that keeps only this scope's URLs (the legacy file stays, for the other sites
    it holds). Runs of the legacy file are kept as history (layout drift); they set no baseline."""
    if path.exists() or legacy == path or not legacy.is_file():
        return False
    source = sqlite3.connect(f"file:{legacy}?mode=ro", uri=True)
    try:
        prefix = (len(scope) + 1, f"{scope}/")
        if not source.execute("SELECT 1 FROM articles WHERE substr(key, 1, ?) = ? LIMIT 1", prefix).fetchone():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path)
        source.backup(target)
    finally:
        source.close()
    with target:
        for table in ("articles", "urls", "run_urls"):
            target.execute(f"DELETE FROM {table} WHERE substr(key, 1, ?) != ?", prefix)
    target.close()
    return True


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a state file of any earlier format to ``SCHEMA_VERSION``, in place."""
    version = db.execute("PRAGMA user_version").fetchone()[0]  # not newer: the store checked it
    db.executescript(SCHEMA)  # the tables a file of an earlier format lacks
    if version < 1 and "mode" not in {row[1] for row in db.execute("PRAGMA table_info(runs)")}:
        # Runs of the first format have no mode: NULL, never a baseline (it had none).
        db.execute("ALTER TABLE runs ADD COLUMN mode TEXT")
    if version < 2 and "failures" not in {row[1] for row in db.execute("PRAGMA table_info(urls)")}:
        db.execute("ALTER TABLE urls ADD COLUMN failures INTEGER NOT NULL DEFAULT 0")
    if version < 3 and "job" not in {row[1] for row in db.execute("PRAGMA table_info(runs)")}:
        db.execute("ALTER TABLE runs ADD COLUMN job TEXT")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
