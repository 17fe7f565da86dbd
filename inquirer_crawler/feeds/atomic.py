"""Feed storage for local files that never leaves a torn or half-written file behind.

Scrapy's FileFeedStorage writes straight to the final path. This one writes ``<name>.part``
(a name no reader takes for a finished ``.jsonl``), and on close flushes, fsyncs and renames it.
With cron state on, the rename is done by the state (``StateStore.publish``) so that "exported" in
the state and the published file agree even if the process is killed in between.
A write error (a full disk) is remembered and fails the run with a message naming the file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from w3lib.url import file_uri_to_path

from inquirer_crawler.state.extension import run_state


class _GuardedFile:
    """The part file, remembering the first write error instead of letting it pass unnoticed."""

    def __init__(self, file: IO[bytes], storage: AtomicFileFeedStorage) -> None:
        self._file = file
        self._storage = storage

    def write(self, data: bytes) -> int:
        if self._storage.error is not None:
            raise OSError(f"feed {self._storage.path} already failed: {self._storage.error}")
        try:
            return self._file.write(data)
        except OSError as error:
            self._storage.fail(error)
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class AtomicFileFeedStorage:
    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.part = self.path.with_name(self.path.name + ".part")
        self.overwrite = bool((feed_options or {}).get("overwrite", False))
        self.crawler = crawler
        self.error: OSError | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Spider) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.overwrite and self.path.exists():
            shutil.copyfile(self.path, self.part)  # -o appends: start from what is published
        else:
            self.part.unlink(missing_ok=True)
        return _GuardedFile(self.part.open("ab"), self)  # type: ignore[return-value]

    def fail(self, error: OSError) -> None:
        if self.error is None:
            self.error = error
            if self.crawler is None:
                return
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("feedexport/write_error", f"{self.path}: {error}")
            # Crawling on would only fetch pages that cannot be written: stop now, loudly.
            if self.crawler.engine is not None and self.crawler.engine.spider is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="feed_write_error"))

    def store(self, file: IO[bytes]) -> None:
        if self.error is not None:
            file.close()
            raise OSError(
                f"not publishing {self.path}: a write failed ({self.error}); partial file kept at {self.part}"
            )
        file.flush()
        os.fsync(file.fileno())
        file.close()
        state = run_state(self.crawler).store if self.crawler is not None else None
        if state is not None:
            state.publish(self.part, self.path)
        else:
            os.replace(self.part, self.path)
