"""Is a change faster? The page code + pipelines of a git revision against the working tree, in one
process, page by page. Not part of the one-command benchmark; nothing here edits the project.

    python -m benchmarks.compare_revisions HEAD            # the working tree's change against HEAD
    python -m benchmarks.compare_revisions 4200ed0 --rounds 60 --all-fixtures

This machine's speed drifts by 1.5-2x over minutes (BENCHMARKS.md), so two runs of part 2 minutes
apart cannot tell a 2 % change from the drift. Here both versions run on the same page one after
the other, in alternating order, and each page's ratio is the median of the per-pair ratios. The
revision's ``inquirer_crawler`` is extracted with ``git archive`` into a temporary folder under
another package name, so both import side by side. Each page is timed as part 2 times it: bytes in,
parse, record, the page freed, every pipeline of ITEM_PIPELINES; the records must be equal.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.run import REPO_ROOT, _build_pipelines, fixture_pages

OLD_PACKAGE = "inquirer_crawler_at_revision"

Run = Callable[[str, bytes], tuple[float, dict[str, Any]]]


def extract_revision(revision: str, into: Path) -> None:
    """``inquirer_crawler`` as it was at ``revision``, importable as OLD_PACKAGE from ``into``, with
    the record schema beside it, where the validating pipeline reads it."""
    archive = subprocess.run(
        ["git", "archive", revision, "inquirer_crawler", "schema"], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    package = into / OLD_PACKAGE
    (into / "inquirer_crawler").rename(package)
    for source in package.rglob("*.py"):
        source.write_text(re.sub(r"\binquirer_crawler\b", OLD_PACKAGE, source.read_text("utf-8")), "utf-8")


def timed_chain(package: str) -> Run:
    """One page through ``package``'s page code and pipelines: (CPU seconds, the record)."""
    from scrapy.exceptions import DropItem

    pipelines = _build_pipelines(package)
    page_class = importlib.import_module(f"{package}.pages.article").ArticlePage

    def run(url: str, html: bytes) -> tuple[float, dict[str, Any]]:
        for pipeline in pipelines:
            if hasattr(pipeline, "seen"):
                pipeline.seen.clear()
        began = time.process_time()
        page = page_class.from_html(html, url)
        item = page.to_item()
        del page
        for pipeline in pipelines:
            try:
                item = pipeline.process_item(item)
            except DropItem:
                break
        spent = time.process_time() - began
        record = dict(vars(item))
        record.pop("fetched_at", None)
        record.pop("page_hints", None)
        return spent, record

    return run


def compare(
    old: Run, new: Run, pages: list[tuple[str, str, bytes, bool]], rounds: int
) -> list[tuple[str, float, float, float]]:
    """(page, old ms, new ms, median of new/old per pair) for each page."""
    for name, url, html, _ in pages:
        if old(url, html)[1] != new(url, html)[1]:
            raise SystemExit(f"compare_revisions: the two versions give different records for {name}")
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, *_ in pages}
    gc.collect()
    gc.disable()  # as in part 2: a full collection inside one call would swamp a 2 % change
    try:
        for round_number in range(rounds):
            for name, url, html, _ in pages:
                first, second = (old, new) if round_number % 2 else (new, old)
                first_time, second_time = first(url, html)[0], second(url, html)[0]
                old_time, new_time = (first_time, second_time) if round_number % 2 else (second_time, first_time)
                times[name][0].append(old_time)
                times[name][1].append(new_time)
            if round_number % 10 == 9:
                gc.collect()
    finally:
        gc.enable()
    return [
        (
            name,
            1000 * statistics.median(olds),
            1000 * statistics.median(news),
            statistics.median(n / o for o, n in zip(olds, news, strict=True)),
        )
        for name, (olds, news) in times.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_revisions")
    parser.add_argument("revision", help="a git revision: its page code and pipelines against the working tree's")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument(
        "--all-fixtures", action="store_true", help="the 18 article fixtures, not only the 6 real pages"
    )
    args = parser.parse_args(argv)
    pages = [page for page in fixture_pages() if args.all_fixtures or page[3]]
    with tempfile.TemporaryDirectory(prefix="compare-revisions-") as folder:
        extract_revision(args.revision, Path(folder))
        sys.path.insert(0, folder)
        rows = compare(timed_chain(OLD_PACKAGE), timed_chain("inquirer_crawler"), pages, args.rounds)
    print(f"{'page':32s}  {args.revision[:12]:>12s} ms  working tree ms  new/old")
    for name, old_ms, new_ms, ratio in rows:
        print(f"{name:32s}  {old_ms:15.3f}  {new_ms:15.3f}  {ratio:7.3f}")
    print(
        f"{'mean':32s}  {statistics.mean(r[1] for r in rows):15.3f}  {statistics.mean(r[2] for r in rows):15.3f}"
        f"  {statistics.mean(r[3] for r in rows):7.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
