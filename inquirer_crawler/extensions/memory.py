"""Keep a long crawl's memory flat: collect the cyclic garbage of parsed pages every N responses.

Why this is needed: a TextResponse caches its Selector (``response._cached_selector``) and Scrapy's
Selector keeps a reference back to its response (``selector.response``). Each parsed page is
therefore a reference cycle, freed only by Python's cyclic garbage collector, and that cycle holds
the page's lxml tree (~10 x the HTML: ~2.5 MB for a 250 KB tagDiv page). The tree lives in C
memory that the collector does not see, so nothing hurries it: the cycles survive the young
generations and wait for a full (generation 2) collection, which CPython runs only when the
objects created since the last one exceed a quarter of all long-lived objects. A crawler's heap
holds hundreds of thousands of long-lived objects (Scrapy, Twisted, lxml, dateparser), so dozens
of trees pile up between two full collections: measured peak RSS 300-400 MB on a 2,000-article
crawl, where a collection every 25 responses keeps it near 150 MB (BENCHMARKS.md).

What it does: ``gc.freeze()`` once the spider is open (the start-up objects, which live as long
as the process, go to the permanent generation, so later full collections do not walk them), then
``gc.collect()`` after every ``INQUIRER_GC_EVERY`` responses (default 25; 0 turns the extension
off). A full collection then costs ~1-3 ms, i.e. ~0.1 ms per response at N=25.

Enable it in settings.py::

    EXTENSIONS = {..., "inquirer_crawler.extensions.memory.CollectGarbage": 600}
    INQUIRER_GC_EVERY = 25
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class CollectGarbage:
    def __init__(self, crawler: Crawler, every: int) -> None:
        self.crawler = crawler
        self.every = every
        self.responses = 0
        self.collections = 0
        self.seconds = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        every = crawler.settings.getint("INQUIRER_GC_EVERY", 25)
        if every <= 0:
            raise NotConfigured("INQUIRER_GC_EVERY is 0")
        return cls(crawler, every)

    def spider_opened(self, spider: Any) -> None:
        gc.collect()
        gc.freeze()

    def response_received(self, **_: Any) -> None:
        # Runs before the callback of this response: what it frees are the pages already parsed.
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
        gc.unfreeze()
