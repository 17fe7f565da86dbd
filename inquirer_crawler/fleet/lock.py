"""One run per site in fleet mode: a session-level PostgreSQL advisory lock on the site's id.

It replaces the state file's ``flock``: the server drops it the moment the holder's connection
ends, so a run killed with -9, or a worker lost with its network, never leaves a stale lock
behind. It is also how the tick knows which sites are running (``pg_locks``, schedule.py).

The lock's session is also the one the run's state writes through (state/postgres.py): a run
opens one connection, not one for the lock and one for the state, and it cannot write once the
session that holds its lock is gone.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from inquirer_crawler.fleet.database import LOCK_CLASS, connect
from inquirer_crawler.state.lock import StateLocked

# Locks this process holds, by (dsn, site): the crawl command takes the lock before the engine
# starts, the state extension then borrows it (as state/lock.py does for flock), and its session.
_HELD: dict[tuple[str, int], SiteLock] = {}


def application_name(node: str | None) -> str:
    """How a run shows in pg_stat_activity, and in the error of a second run."""
    return f"inquirer-crawler {node or socket.gethostname()} pid {os.getpid()}"[:63]


class SiteLock:
    def __init__(self, dsn: str, site_id: int, site_name: str, node: str | None = None, connection: Any = None) -> None:
        self.dsn = dsn
        self.site_id = site_id
        self.site_name = site_name
        self.node = node
        self._db: Any = connection  # the session, open (from the site's look-up) or opened when asked
        self._held = False
        self._borrowed = False

    @property
    def held(self) -> bool:
        return self._held or self._borrowed

    def connection(self) -> Any:
        """The session the lock is taken on (the holder's, when another lock of this process holds
        the site): autocommit, ``application_name`` naming the node and the pid."""
        holder = _HELD.get((self.dsn, self.site_id))
        if holder is not None and holder is not self:
            return holder.connection()
        if self._db is None or self._db.closed:
            self._db = connect(self.dsn, autocommit=True, application_name=application_name(self.node))
        return self._db

    def acquire(self) -> None:
        """Take the lock, or StateLocked naming the holder; FleetUnavailable when the database is down."""
        if self.held:
            return
        holder = _HELD.get((self.dsn, self.site_id))
        if holder is not None and holder is not self:
            self._borrowed = True
            return
        db = self.connection()
        if not db.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.site_id)).fetchone()[0]:
            holder_name = db.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2",
                (LOCK_CLASS, self.site_id),
            ).fetchone()
            self._close()
            who = holder_name[0] if holder_name and holder_name[0] else "another process"
            raise StateLocked(f"another crawl is running with this state (site {self.site_name}: {who})")
        self._held = True
        _HELD[(self.dsn, self.site_id)] = self

    def release(self) -> None:
        """Give the lock up and close its session (a borrowed lock leaves both to its holder)."""
        if self._borrowed:
            return
        if self._held:
            _HELD.pop((self.dsn, self.site_id), None)
            if self._db is not None and not self._db.closed:
                # Said, not left to the session's end, which the server notices a moment after the close.
                with contextlib.suppress(Exception):
                    self._db.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self.site_id))
            self._held = False
        self._close()

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None


def held_lock(dsn: str, site_name: str) -> SiteLock | None:
    """The lock of this process on the site named ``site_name``, if it holds one."""
    for (held_dsn, _), lock in _HELD.items():
        if held_dsn == dsn and lock.site_name == site_name:
            return lock
    return None
