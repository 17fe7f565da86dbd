"""Keep a long crawl's memory flat: free each parsed page as soon as its callback is done.

Why this is needed: a TextResponse caches its Selector (``response._cached_selector``) and Scrapy's
Selector keeps a reference back to its response (``selector.response``). Each parsed page is
therefore a reference cycle, freed only by Python's cyclic garbage collector, and that cycle holds
the page's lxml tree (several times the HTML: ~2 MB for a 175 KB tagDiv page). The tree lives in C
memory that the collector does not count, so nothing hurries it: the cycles survive the young
generations and wait for a full (generation 2) collection, which CPython runs only when the
objects created since the last one exceed a quarter of all long-lived objects. A crawler's heap
holds hundreds of thousands of long-lived objects (Scrapy, Twisted, lxml, dateparser), so dozens
of trees pile up between two full collections (BENCHMARKS.md, part 3: 227 MB peak on a
2,000-article crawl without either class below, 94 MB with ReleaseSelectors, 132 MB with CollectGarbage).

The spider now parses each page itself (``html.parse_page``: no response, so no cycle) and the
tree goes with the last reference to it. What follows stays as a safety net for any component that
asks for ``response.selector``, and for the record of how it was measured.

Two ways out, use one (BENCHMARKS.md measures both):

- ``ReleaseSelectors`` (spider middleware, preferred): when a callback has yielded its last
  request or item, it drops ``response._cached_selector``; the cycle is broken and reference
  counting frees the tree at once. Costs nothing per page. A callback that raises, or a
  component that keeps a response, leaves the cycle to the collector as before.
- ``CollectGarbage`` (extension): ``gc.collect()`` every ``INQUIRER_GC_EVERY`` responses (default
  25; 0 turns it off), after ``gc.freeze()`` of the start-up objects. Measured: ~9-12 ms per full
  collection on this crawler's heap, i.e. ~0.5 ms per response at N=25 (~2 % of the crawl's CPU).

Enable in settings.py::

    SPIDER_MIDDLEWARES = {"inquirer_crawler.extensions.memory.ReleaseSelectors": 50}
    # or
    EXTENSIONS = {..., "inquirer_crawler.extensions.memory.CollectGarbage": 600}
    INQUIRER_GC_EVERY = 25
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

logger = logging.getLogger(__name__)


def release_selector(response: Response | None) -> None:
    """Break the response <-> Selector cycle; ``response.selector`` parses again if ever asked."""
    if response is not None and getattr(response, "_cached_selector", None) is not None:
        response._cached_selector = None  # type: ignore[attr-defined]


class ReleaseSelectors:
    """Spider middleware: the response's Selector is dropped once its callback's output is exhausted.
    Put it outermost (a low order, e.g. 50) so that every other middleware has finished with it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        yield from result
        release_selector(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            yield output
        release_selector(response)


class FreezeStartupObjects:
    """Extension: the objects alive when the spider opens (Scrapy, Twisted, lxml, dateparser: most
    of the heap) are moved out of the garbage collector's sight with ``gc.freeze()``. The automatic
    full collections then scan only what the crawl itself created: measured on a 2,000-article
    crawl, 15 full collections cost 0.52 s of CPU before, a tenth of that after (BENCHMARKS.md)."""

    def __init__(self, crawler: Crawler) -> None:
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        gc.collect()
        gc.freeze()

    def spider_closed(self, spider: Any) -> None:
        gc.unfreeze()


class CollectGarbage(FreezeStartupObjects):
    """Extension: start-up objects frozen as FreezeStartupObjects does, then a full garbage
    collection every INQUIRER_GC_EVERY responses."""

    def __init__(self, crawler: Crawler, every: int) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self.every = every
        self.responses = 0
        self.collections = 0
        self.seconds = 0.0
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        every = crawler.settings.getint("INQUIRER_GC_EVERY", 25)
        if every <= 0:
            raise NotConfigured("INQUIRER_GC_EVERY is 0")
        return cls(crawler, every)

    def response_received(self, **_: Any) -> None:
        # Runs before this response's callback: what it frees are the pages already parsed.
        self.responses += 1
        if self.responses % self.every == 0:
            began = time.process_time()
            gc.collect()
            self.seconds += time.process_time() - began
            self.collections += 1

    def spider_closed(self, spider: Any) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("memory/gc_collections", self.collections)
            self.crawler.stats.set_value("memory/gc_cpu_ms", round(self.seconds * 1000, 1))
        super().spider_closed(spider)
