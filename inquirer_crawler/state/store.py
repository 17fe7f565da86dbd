"""The SQLite state of one spider: articles exported, the URL ledger, and the runs.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    updated TEXT NOT NULL
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
    started      TEXT NOT NULL,
    ended        TEXT,
    exit_status  INTEGER,
    reason       TEXT,
    counts       TEXT,                -- JSON: exported, new, changed, unchanged, failed, skipped, pending
    output_part  TEXT,                -- set once the output is fsync'd and about to be renamed
    output_final TEXT,
    published    INTEGER NOT NULL DEFAULT 0
);
"""

FINAL_FAILURES = ("http_404", "http_410", "not_article", "non_html")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class KnownArticle:
    key: str
    url: str
    published: str | None
    modified: str | None
    lastmod: str | None
    content_hash: str | None

    @property
    def last_change(self) -> str | None:
        """The latest date the state knows this article changed."""
        return self.lastmod or self.modified or self.published


class StateStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.run_id: int | None = None

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

    def begin_run(self, spider: str) -> int:
        cursor = self.db.execute("INSERT INTO runs (spider, started) VALUES (?, ?)", (spider, now_iso()))
        self.run_id = int(cursor.lastrowid or 0)
        return self.run_id

    def end_run(self, exit_status: int, reason: str, counts: dict[str, int]) -> None:
        self.db.execute(
            "UPDATE runs SET ended = ?, exit_status = ?, reason = ?, counts = ? WHERE id = ?",
            (now_iso(), exit_status, reason, json.dumps(counts, sort_keys=True), self.run_id),
        )

    def record_ledger(self, states: dict[str, tuple[str, str | None]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO run_urls (run_id, key, state, reason) VALUES (?, ?, ?, ?)",
                [(self.run_id, key, "pending" if state == "requested" else state, reason)
                 for key, (state, reason) in states.items()],
            )

    def last_successful_start(self) -> str | None:
        row = self.db.execute(
            "SELECT started FROM runs WHERE exit_status = 0 AND id != ? ORDER BY id DESC LIMIT 1", (self.run_id or -1,)
        ).fetchone()
        return row[0] if row else None

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

    def mark(self, key: str, url: str, state: str, reason: str | None = None) -> None:
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
            " updated = excluded.updated WHERE urls.state NOT IN ('staged')",
            (key, url, self.run_id, now_iso()),
        )

    def pending(self) -> list[tuple[str, str]]:
        """(key, URL as last requested) of what earlier runs discovered and did not finish."""
        return list(self.db.execute("SELECT key, url FROM urls WHERE state = 'pending' ORDER BY updated, key"))

    def ledger_counts(self, run_id: int | None = None) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM urls WHERE run_id = ? GROUP BY state", (run_id or self.run_id,)
        ).fetchall()
        return dict(rows)

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

    def stage(self, key: str, url: str, record: dict[str, Any]) -> None:
        """A record written to this run's (not yet published) output."""
        self.db.execute(
            "INSERT INTO urls (key, url, state, run_id, record, updated) VALUES (?, ?, 'staged', ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET state = 'staged', reason = NULL, run_id = excluded.run_id,"
            " record = excluded.record, updated = excluded.updated",
            (key, url, self.run_id, json.dumps(record), now_iso()),
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
            db.execute("UPDATE urls SET state = 'exported', record = NULL, updated = ? WHERE state = 'staged'"
                       " AND run_id = ?", (stamp, self.run_id))
            db.execute("UPDATE runs SET output_part = ?, output_final = ? WHERE id = ?", (str(part), str(final), self.run_id))
        os.replace(part, final)
        _fsync_dir(final.parent)
        self.db.execute("UPDATE runs SET published = 1 WHERE id = ?", (self.run_id,))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
