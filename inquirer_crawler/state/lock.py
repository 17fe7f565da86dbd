"""One run at a time per state file: an exclusive ``flock`` on ``<state>.lock``.

The kernel drops the lock when the process dies, even by SIGKILL, so a killed run never leaves
a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class StateLocked(RuntimeError):
    """Another run holds the lock."""


# Locks this process holds, by path: flock on a second descriptor of the same file would
# conflict with our own first one, so the crawl command's lock is shared with the extension.
_HELD: dict[Path, RunLock] = {}


class RunLock:
    def __init__(self, state_path: Path) -> None:
        self.path = (state_path.with_name(state_path.name + ".lock")).resolve()
        self._file: IO[str] | None = None
        self._borrowed = False

    def acquire(self) -> None:
        if self.path in _HELD:
            self._borrowed = True
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StateLocked(f"another crawl is running with this state ({holder}; lock {self.path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._file = handle
        _HELD[self.path] = self

    def release(self) -> None:
        if self._borrowed:
            return
        _HELD.pop(self.path, None)
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
