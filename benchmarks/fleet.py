"""Fleet mode's benchmark (BENCHMARKS.md, "Fleet"): drain time with one and two Scrapyd workers,
duplicate fetches, time from tick to job start, and CPU and PostgreSQL statements per page against
the SQLite mode.

    python -m benchmarks.fleet [--sites 12] [--articles 30] [--max-proc 6] [--pages 200] [--cpu-runs 5]
                               [--poll-interval shipped]

Everything is local: a PostgreSQL 15 started for the run (tests/postgres_server.py), generated
tagDiv sites on 127.0.0.2 … (benchmarks/make_mirror.py), Scrapyd workers on loopback
(tests/fleet_harness.py). With the per-site delay dominating, one worker running ``max-proc``
sites at a time needs two waves for ``2 × max-proc`` sites and two workers need one: the scaling
efficiency is T1 / (2 · T2). The issue asks for it "with per-site delay dominating": on this
2-core machine both workers share the cores, so every job's start-up (~1 s of CPU: Python, Scrapy)
is paid twice as densely with two workers as with one, which a real fleet (one machine a worker)
does not do. The sites are made long enough (``--articles 30``: ~45 s of 1 s delays a site) for the
delay to dominate those start-ups; the workers run the shipped scrapyd.conf, poll interval included.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.make_mirror import make_mirror
from inquirer_crawler.fleet import schedule
from inquirer_crawler.fleet.database import set_up
from tests.conftest import REPO_ROOT
from tests.fleet_harness import FleetSites, ScrapydWorker, fleet_command, wait_for
from tests.mirror_server import MirrorServer
from tests.postgres_server import PostgresServer

SETTINGS_MODULE = "benchmarks.fleet_settings"


def _set_poll_interval(worker: ScrapydWorker, poll_interval: str) -> ScrapydWorker:
    """The worker's config with ``poll_interval`` (``shipped``: the shipped scrapyd.conf's, not
    the test harness's 0.2 s)."""
    if poll_interval == "shipped":
        shipped = configparser.ConfigParser()
        shipped.read_string(resources.files("inquirer_crawler.fleet").joinpath("scrapyd.conf").read_text("utf-8"))
        poll_interval = shipped["scrapyd"]["poll_interval"]
    path = worker.folder / "scrapyd.conf"
    config = configparser.ConfigParser()
    config.read(path)
    config["scrapyd"]["poll_interval"] = poll_interval
    with path.open("w") as handle:
        config.write(handle)
    return worker


def _drain(folder: Path, pg: PostgresServer, name: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """Register the sites, start ``workers`` Scrapyd, tick once, wait until every site ran once."""
    dsn = pg.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as db:
        set_up(db)
        with FleetSites.generate(folder, count=args.sites, articles=args.articles) as sites:
            assert fleet_command(dsn, "add", "--file", str(sites.sites_file())).returncode == 0
            nodes = [
                _set_poll_interval(
                    ScrapydWorker(
                        folder / f"w{n}",
                        f"worker-{n}",
                        dsn,
                        sites.output_template,
                        max_proc=args.max_proc,
                        settings_module=SETTINGS_MODULE,
                    ),
                    args.poll_interval,
                ).start()
                for n in range(workers)
            ]
            try:
                schedule.tick(db)
                wait_for(
                    lambda: (
                        db.execute("SELECT count(*) FROM fleet_runs WHERE exit_status = 0").fetchone()[0] == args.sites
                    ),
                    1800,
                    "the drain",
                )
            finally:
                for node in nodes:
                    node.stop()
            first, last, waits, starts = db.execute(
                "SELECT min(queued), max(ended), array_agg(extract(epoch FROM started - queued) ORDER BY id),"
                " array_agg(extract(epoch FROM started - claimed) ORDER BY id) FROM fleet_runs"
            ).fetchone()
            fetches = Counter((s.name, p) for s in sites.sites for p in s.server.requests if p in s.articles)
            records = len(sites.published())
    return {
        "workers": workers,
        "seconds": (last - first).total_seconds(),
        "records": records,
        "article_fetches": sum(fetches.values()),
        "duplicate_fetches": sum(n - 1 for n in fetches.values()),
        "tick_to_start_median": statistics.median(waits),
        "tick_to_start_max": max(waits),
        # The job's own start-up: from a node's Scrapyd taking it (a free slot) to its run begun.
        "claim_to_start_median": statistics.median(starts),
        "claim_to_start_max": max(starts),
    }


def _one_crawl(folder: Path, dsn: str | None, articles: int, tag: str) -> dict[str, float]:
    """One site of ``articles`` articles crawled without delay by ``scrapy crawl``: the crawler's CPU."""
    mirror = folder / f"cpu-{tag}"
    host = "cpu.example.test"
    make_mirror(mirror, host, articles, per_page=20, slim=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INQUIRER_", "SCRAPY_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), INQUIRER_STATE_PATH=str(folder / f"{tag}.sqlite"))
    with MirrorServer(mirror, host, address="127.0.0.2") as server:
        if dsn:
            env["INQUIRER_DATABASE_URL"] = dsn
            assert fleet_command(dsn, "add", server.url).returncode == 0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy.cmdline",
                "crawl",
                "newspaper",
                "-a",
                f"start={server.url}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=False",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                "-s",
                f"INQUIRER_OUTPUT={folder}/out-{tag}/%(time)s.jsonl",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        pages = len(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    statements = re.search(r"state: (\d+) statements sent to PostgreSQL", result.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(mirror)
    return {
        "pages": pages,
        "cpu_ms_per_page": 1000 * cpu / pages,
        "statements_per_page": int(statements.group(1)) / pages if statements else 0.0,
    }


def _cpu(folder: Path, pg: PostgresServer, args: argparse.Namespace) -> dict[str, Any]:
    """SQLite and PostgreSQL state alternately, ``--cpu-runs`` each; the median per page."""
    rounds: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgres": []}
    for n in range(args.cpu_runs):
        rounds["sqlite"].append(_one_crawl(folder, None, args.pages, f"sqlite-{n}"))
        dsn = pg.create_database(f"cpu_{n}")
        with psycopg.connect(dsn, autocommit=True) as db:
            set_up(db)
        rounds["postgres"].append(_one_crawl(folder, dsn, args.pages, f"postgres-{n}"))
    summary = {mode: {key: statistics.median(r[key] for r in runs) for key in runs[0]} for mode, runs in rounds.items()}
    summary["cpu_ratio"] = summary["postgres"]["cpu_ms_per_page"] / summary["sqlite"]["cpu_ms_per_page"]
    summary["runs"] = rounds
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=12, help="sites to drain (at least 12 for BENCHMARKS.md)")
    parser.add_argument("--articles", type=int, default=30, help="articles a site (the first run: 8)")
    parser.add_argument("--max-proc", type=int, default=6, help="Scrapyd max_proc of each worker (sites / 2)")
    parser.add_argument("--pages", type=int, default=200, help="articles of the CPU comparison's site")
    parser.add_argument("--cpu-runs", type=int, default=5, help="crawls of each mode for the CPU comparison")
    parser.add_argument(
        "--poll-interval", default="shipped", help="Scrapyd poll_interval of the workers (the first run: 0.2)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here too")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    try:
        with PostgresServer() as pg:
            one = _drain(folder / "one", pg, "drain_1", 1, args)
            two = _drain(folder / "two", pg, "drain_2", 2, args)
            cpu = _cpu(folder, pg, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures = {
        "drain_1_worker": one,
        "drain_2_workers": two,
        "scaling_efficiency": one["seconds"] / (2 * two["seconds"]),
        "cpu": cpu,
        "settings": {
            "sites": args.sites,
            "articles": args.articles,
            "max_proc": args.max_proc,
            "cpu_runs": args.cpu_runs,
            "poll_interval": args.poll_interval,
        },
    }
    print(json.dumps(figures, indent=1, default=str))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
