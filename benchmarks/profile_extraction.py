"""Where the extraction CPU goes: the evidence behind BENCHMARKS.md part 2. Not part of the
one-command benchmark; nothing here edits the project.

    python -m benchmarks.profile_extraction             # both reports
    python -m benchmarks.profile_extraction --only xpath

- ``xpath``: every XPath evaluation the page code makes (parsel's Selector.xpath, css() included),
  grouped by query: calls and CPU ms per page.
- ``pyinstrument``: a call-tree profile of page code + pipelines (needs pyinstrument).

(Until 27 Nov 2026 a third report measured proposed changes as monkeypatches; they are all in the
code now, and BENCHMARKS.md keeps their figures.)
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

from benchmarks.run import _build_pipelines, fixture_pages


def _chain(pipelines: list[Any]) -> Callable[[str, bytes, Callable[[bytes, str], Any]], dict[str, Any]]:
    from scrapy.exceptions import DropItem

    def run(url: str, html: bytes, make_page: Callable[[bytes, str], Any]) -> dict[str, Any]:
        for pipeline in pipelines:
            if hasattr(pipeline, "seen"):
                pipeline.seen.clear()
        item = make_page(html, url).to_item()
        for pipeline in pipelines:
            try:
                item = pipeline.process_item(item)
            except DropItem:
                return {}
        record = dict(vars(item))
        record.pop("fetched_at", None)
        record.pop("page_hints", None)
        return record

    return run


def default_page(html: bytes, url: str) -> Any:
    from inquirer_crawler.pages.article import ArticlePage

    return ArticlePage.from_html(html, url)


# -- report 1: XPath evaluations ------------------------------------------------------------------


def xpath_report(repeats: int = 5) -> str:
    import parsel.selector

    pages = fixture_pages()
    original = parsel.selector.Selector.xpath
    stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    depth = [0]

    def timed(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        began = time.process_time()
        try:
            return original(self, query, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                entry = stats[query]
                entry[0] += 1
                entry[1] += time.process_time() - began

    with mock.patch.object(parsel.selector.Selector, "xpath", timed):
        for _ in range(repeats):
            for _, url, html, _ in pages:
                default_page(html, url).to_item()
    n = repeats * len(pages)
    whole = {q: v for q, v in stats.items() if q.startswith("descendant-or-self::")}
    lines = [
        (
            f"to_item: {sum(v[0] for v in stats.values()) / n:.1f} XPath evaluations per page, "
            f"{1000 * sum(v[1] for v in stats.values()) / n:.2f} ms per page "
            f"({len(stats)} distinct queries; searches of a whole tree or subtree, 'descendant-or-self::': "
            f"{sum(v[0] for v in whole.values()) / n:.1f} per page, {1000 * sum(v[1] for v in whole.values()) / n:.2f} ms)"
        ),
        "  ms/page  calls/page  query",
    ]
    for query, (calls, seconds) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:30]:
        lines.append(f"  {1000 * seconds / n:7.2f}  {calls / n:10.1f}  {query[:140]}")
    return "\n".join(lines)


# -- report 2: pyinstrument -------------------------------------------------------------------------


def pyinstrument_report(rounds: int = 10) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "pyinstrument is not installed (pip install pyinstrument==5.1.3)"
    pages = fixture_pages()
    run = _chain(_build_pipelines())
    for _, url, html, _ in pages:
        run(url, html, default_page)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(rounds):
        for _, url, html, _ in pages:
            run(url, html, default_page)
    profiler.stop()
    return profiler.output_text(unicode=False, color=False, show_all=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_extraction")
    parser.add_argument("--only", default="xpath,pyinstrument")
    args = parser.parse_args(argv)
    reports = {"xpath": lambda: xpath_report(), "pyinstrument": lambda: pyinstrument_report()}
    for name in args.only.split(","):
        print(f"== {name}\n{reports[name.strip()]()}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
