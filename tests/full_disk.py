"""A feed storage whose disk fills up after 40 KB: the full-disk case without root or a tmpfs."""

from __future__ import annotations

import errno
from typing import IO, Any

from scrapy import Spider

from inquirer_crawler.feeds.atomic import AtomicFileFeedStorage

LIMIT = 40 * 1024


class _FillingFile:
    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._written = 0

    def write(self, data: bytes) -> int:
        if self._written + len(data) > LIMIT:
            self._file.write(data[: LIMIT - self._written])  # the OS writes what fits, as a real disk does
            self._written = LIMIT
            raise OSError(errno.ENOSPC, "No space left on device")
        self._written += len(data)
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class FullDiskFeedStorage(AtomicFileFeedStorage):
    def open(self, spider: Spider) -> IO[bytes]:
        guarded = super().open(spider)
        guarded._file = _FillingFile(guarded._file)  # type: ignore[attr-defined]
        return guarded
