"""One run per site in fleet mode: a session-level PostgreSQL advisory lock on the site's id.

It replaces the state file's ``flock``: the server drops it the moment the holder's connection
ends, so a run killed with -9, or a worker lost with its network, never leaves a stale lock
behind. It is also how the tick knows which sites are running (``pg_locks``, schedule.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from inquirer_crawler.fleet.database import LOCK_CLASS, connect
from inquirer_crawler.state.lock import StateLocked

# Locks this process holds, by (dsn, site): the crawl command takes the lock before the engine
# starts, the state extension then borrows it (as state/lock.py does for flock).
_HELD: dict[tuple[str, int], SiteLock] = {}


def application_name(node: str | None) -> str:
    """How a run shows in pg_stat_activity, and in the error of a second run."""
    return f"inquirer-crawler {node or socket.gethostname()} pid {os.getpid()}"[:63]


class SiteLock:
    def __init__(self, dsn: str, site_id: int, site_name: str, node: str | None = None) -> None:
        self.dsn = dsn
        self.site_id = site_id
        self.site_name = site_name
        self.node = node
        self._db: Any = None
        self._borrowed = False

    def acquire(self) -> None:
        """Take the lock, or StateLocked naming the holder; FleetUnavailable when the database is down."""
        if self._db is not None:
            return  # held already, by this very lock
        if (self.dsn, self.site_id) in _HELD:
            self._borrowed = True
            return
        db = connect(self.dsn, autocommit=True, application_name=application_name(self.node))
        if not db.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.site_id)).fetchone()[0]:
            holder = db.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2",
                (LOCK_CLASS, self.site_id),
            ).fetchone()
            db.close()
            who = holder[0] if holder and holder[0] else "another process"
            raise StateLocked(f"another crawl is running with this state (site {self.site_name}: {who})")
        self._db = db
        _HELD[(self.dsn, self.site_id)] = self

    def release(self) -> None:
        if self._borrowed:
            return
        _HELD.pop((self.dsn, self.site_id), None)
        if self._db is not None:
            # Said, not left to the session's end, which the server notices a moment after the close.
            with contextlib.suppress(Exception):
                self._db.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self.site_id))
            self._db.close()
            self._db = None
