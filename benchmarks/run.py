"""The project's benchmark (issue 6): one command, one table.

    python -m benchmarks.run                      # 2,000 and 20,000 articles (~40 min on 2 cores)
    python -m benchmarks.run --quick              # a smoke run: 300 / 1,000 articles (~2 min)
    python -m benchmarks.run --articles 2000 --big 0 --markdown table.md --json results.json
    python -m benchmarks.run --only 2             # one part (1 throughput, 2 extraction, 3 memory, 4 cron)
    python -m benchmarks.run --profile DIR        # py-spy profiles of both crawls instead (needs py-spy)

It is a script, not a test: nothing in the test suite depends on timing.

1. Crawl throughput. ``benchmarks.make_mirror`` writes a synthetic mirror of N articles in the
   markup of a real saved tagDiv page (default template: the guineenews.org fixture, ~175 KB a
   page) into a temporary folder; ``tests/mirror_server.MirrorServer`` serves it on 127.0.0.1.
   ``scrapy crawl newspaper -a start=http://127.0.0.1:PORT/ -a state=off -O out.jsonl`` (full
   extraction, pipelines, JSONL export) and ``benchmarks/bare_spider.py`` (same links, no
   extraction, Scrapy's default settings) run as subprocesses with the same settings (COMMON
   below), each ``--runs`` times, interleaved (the fastest run counts). Pages/s = pages served /
   Scrapy's ``elapsed_time_seconds``; CPU comes from the child's rusage, less its start-up CPU
   (spent before the first request). The project crawl runs as configured and with the two fixes
   of ``inquirer_crawler/extensions/memory.py`` switched on and off with ``-s``.
2. Extraction cost, in this process: CPU ms per page (median of ``--repeats`` runs of each page,
   then the mean over pages) of ``lxml.html.fromstring`` (the floor), of
   ``ArticlePage.from_html(...).to_item()``, freeing the page, plus every pipeline of ITEM_PIPELINES in order, and of
   ``trafilatura.extract(html, url=..., with_metadata=True)``, on the article pages of fixtures/,
   each given the file's bytes as a crawl's ``response.body``.
3. Memory: peak RSS (``/usr/bin/time -f %M``, see run_process) of the part-1 crawls of N articles
   and of a crawl of BIG articles with ``ReleaseSelectors``; RSS is also sampled from /proc every
   0.2 s against pages served. Growth per 1,000 articles is compared with what the crawl must
   remember (state_bytes_per_article).
4. Cron runs: a mirror of N articles with a WordPress sitemap (``wp-sitemap.xml`` + posts
   sitemaps with ``lastmod``), crawled with the state on, four times: a first run, a run with
   nothing new, one after K articles were published, one after M articles were corrected. The
   server counts every request.

Mirrors and outputs go to a temporary folder that is deleted at the end (``--keep`` keeps it).
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.make_mirror import DEFAULT_TEMPLATE, make_mirror
from tests.mirror_server import MirrorServer

HOST = "news.example.test"
FIXTURES = REPO_ROOT / "fixtures"
EXPECTED_DIR = REPO_ROOT / "tests" / "expected"
BARE_SPIDER = REPO_ROOT / "benchmarks" / "bare_spider.py"
# A smaller real page of the project's own site, for mirrors that would not fit on the disk.
SMALL_TEMPLATE = (
    FIXTURES / "theinquirer.fr" / "la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars" / "index.html"
)
ARTICLE_PATH = re.compile(r"^/article-\d+-")

# The same for both crawls: no delay, no AutoThrottle, 8 requests in flight (all to one host),
# robots.txt obeyed, no cookies, no telnet console, INFO logging (Scrapy's default DEBUG logs
# every request), no HTTP cache.
COMMON = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "8",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "ROBOTSTXT_OBEY": "True",
    "COOKIES_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "HTTPCACHE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}
GC_EXTENSION = "inquirer_crawler.extensions.memory.CollectGarbage"
RELEASE_MIDDLEWARE = "inquirer_crawler.extensions.memory.ReleaseSelectors"

# Targets of issue 6.
TARGET_RATIO = 0.8
TARGET_VS_LXML = 2.5
TARGET_VS_TRAFILATURA = 8.0
TARGET_RSS_MB = 200.0


def settings_args(settings: dict[str, str]) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def memory_settings(release: bool, gc_every: int) -> dict[str, str]:
    """-s values for the project's own SPIDER_MIDDLEWARES and EXTENSIONS with the two fixes of
    extensions/memory.py each switched on or off, whatever settings.py registers."""
    from inquirer_crawler import settings as project

    middlewares = {k: v for k, v in getattr(project, "SPIDER_MIDDLEWARES", {}).items() if k != RELEASE_MIDDLEWARE}
    extensions = {k: v for k, v in getattr(project, "EXTENSIONS", {}).items() if k != GC_EXTENSION}
    if release:
        middlewares[RELEASE_MIDDLEWARE] = 50
    if gc_every:
        extensions[GC_EXTENSION] = 600
    return {
        "SPIDER_MIDDLEWARES": json.dumps(middlewares),
        "EXTENSIONS": json.dumps(extensions),
        "INQUIRER_GC_EVERY": str(gc_every),
    }


def registered(path: str) -> bool:
    from inquirer_crawler import settings as project

    return path in getattr(project, "SPIDER_MIDDLEWARES", {}) or path in getattr(project, "EXTENSIONS", {})


# -- running a crawl ------------------------------------------------------------------------------


@dataclass
class CrawlRun:
    label: str
    articles: int
    returncode: int
    pages: int  # requests the server answered during the run
    elapsed: float  # Scrapy's elapsed_time_seconds (engine start to close)
    wall: float  # process start to exit
    cpu: float  # user + system seconds of the crawl process
    startup_cpu: float  # CPU seconds spent before the server saw the first request
    peak_rss_mb: float  # the crawler's peak RSS (/usr/bin/time %M, else polled VmHWM)
    items: int
    minor_faults: int = 0  # page faults served without I/O: memory handed back to the system and taken again
    background_cpu: float = 0.0  # CPU seconds used by other processes of the machine during the run
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (s, pages served, RSS MB)
    stats: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list, repr=False)
    stderr_tail: str = ""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * (self.cpu - self.startup_cpu) / self.pages if self.pages else 0.0

    def steady_rss(self) -> float:
        """Median RSS (MB) over the last quarter of the run's pages: the level, without spikes."""
        late = [rss for _, pages, rss in self.samples if pages >= 0.75 * self.pages]
        return statistics.median(late) if late else self.peak_rss_mb

    def rss_at(self, fraction: float) -> float:
        """RSS (MB) when ``fraction`` of the run's pages had been served."""
        target = fraction * self.pages
        for _, pages, rss in self.samples:
            if pages >= target:
                return rss
        return self.samples[-1][2] if self.samples else 0.0


_STAT = re.compile(r"^ '([\w/]+)': (.+?),?$", re.MULTILINE)


def _machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _proc_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _child_pid(pid: int, timeout: float = 10.0) -> int:
    """The first child of ``pid`` (the crawler started by /usr/bin/time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.005)
    return pid


def _proc_hwm_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


TIME = Path("/usr/bin/time")


def run_process(
    label: str,
    articles: int,
    cmd: list[str],
    cwd: Path,
    server: MirrorServer,
    env: dict[str, str],
    log: Path,
    profile_to: Path | None = None,
) -> CrawlRun:
    """Run one crawl. Peak RSS comes from /usr/bin/time (%M), never from this process's own wait4:
    a child started straight from here inherits, in its ru_maxrss, this process's resident size at
    fork time (the kernel carries the high-water mark across exec), which would hide a smaller peak.
    Without /usr/bin/time, the crawler's VmHWM (reset at exec) is polled instead."""
    first = len(server.requests)
    busy_before, own_before = _machine_busy_seconds(), time.process_time()
    maxrss_file = log.with_suffix(".maxrss")
    if TIME.exists():
        cmd = [str(TIME), "-f", "%M %R", "-o", str(maxrss_file), *cmd]
    with open(log, "wb") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        crawler = _child_pid(proc.pid) if TIME.exists() else proc.pid
        spy = None
        if profile_to is not None:
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(crawler),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(profile_to),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        samples: list[tuple[float, int, float]] = []
        startup = [0.0]
        hwm = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                served = len(server.requests) - first
                rss = _proc_rss_mb(crawler)
                hwm[0] = max(hwm[0], _proc_hwm_mb(crawler) or 0.0)
                if served == 0:
                    startup[0] = _proc_cpu_seconds(crawler) or startup[0]
                if rss is not None:
                    samples.append((round(time.perf_counter() - began, 2), served, round(rss, 1)))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # CPU of /usr/bin/time includes its waited-for child
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        if spy is not None:
            spy.wait(timeout=60)
    peak, faults = hwm[0], usage.ru_minflt
    with contextlib.suppress(OSError, ValueError, IndexError):
        max_kb, faults_text = maxrss_file.read_text().strip().splitlines()[-1].split()
        peak, faults = int(max_kb) / 1024, int(faults_text)
    # What else ran meanwhile (other users' tests, ...): busy CPU less the crawl and this process (the server).
    background = (
        _machine_busy_seconds() - busy_before - (usage.ru_utime + usage.ru_stime) - (time.process_time() - own_before)
    )
    text = log.read_text("utf-8", errors="replace")
    stats = dict(_STAT.findall(text.split("Dumping Scrapy stats:", 1)[-1])) if "Dumping Scrapy stats:" in text else {}
    paths = server.requests[first:]
    return CrawlRun(
        label=label,
        articles=articles,
        returncode=proc.returncode,
        pages=len(paths),
        elapsed=float(stats.get("elapsed_time_seconds", wall)),
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        startup_cpu=startup[0],
        peak_rss_mb=peak,
        minor_faults=faults,
        background_cpu=max(0.0, background),
        items=int(stats.get("item_scraped_count", 0)),
        samples=samples,
        stats={k: v for k, v in stats.items() if k.startswith(("memory/", "memusage/", "finish_reason", "item_"))},
        paths=paths,
        stderr_tail=text[-1500:] if proc.returncode else "",
    )


def project_crawl(
    label: str,
    articles: int,
    mirror_root: Path,
    work: Path,
    extra: dict[str, str] | None = None,
    profile_to: Path | None = None,
) -> CrawlRun:
    out = work / f"{label}.jsonl"
    with MirrorServer(mirror_root, HOST) as server:
        cmd = [
            sys.executable,
            "-m",
            "scrapy.cmdline",
            "crawl",
            "newspaper",
            "-a",
            f"start={server.url}",
            "-a",
            "state=off",
            "-O",
            str(out),
            *settings_args({**COMMON, **(extra or {})}),
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "INQUIRER_STATE_PATH": str(work / "unused-state.sqlite")}
        run = run_process(label, articles, cmd, REPO_ROOT, server, env, work / f"{label}.log", profile_to)
    with contextlib.suppress(OSError):
        out.unlink()
    return run


def bare_crawl(
    label: str, articles: int, mirror_root: Path, work: Path, profile_to: Path | None = None, parse: str = "scrapy"
) -> CrawlRun:
    # Run outside the project folder: no scrapy.cfg, so Scrapy's default settings + COMMON.
    cwd = work / "bare-cwd"
    cwd.mkdir(exist_ok=True)
    with MirrorServer(mirror_root, HOST) as server:
        cmd = [
            sys.executable,
            "-m",
            "scrapy.cmdline",
            "runspider",
            str(BARE_SPIDER),
            "-a",
            f"start={server.url}",
            "-a",
            f"parse={parse}",
            *settings_args(COMMON),
        ]
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        return run_process(label, articles, cmd, cwd, server, env, work / f"{label}.log", profile_to)


# -- mirrors ---------------------------------------------------------------------------------------


@dataclass
class Mirror:
    root: Path
    articles: int
    template: str
    slim: bool
    mb: float


def build_mirror(folder: Path, articles: int, prefer: tuple[Path, bool] | None = None) -> Mirror:
    """The default template if the disk holds it, else --slim, else the smaller theinquirer.fr page."""
    choices = [prefer] if prefer else [(DEFAULT_TEMPLATE, False), (DEFAULT_TEMPLATE, True), (SMALL_TEMPLATE, False)]
    last: Exception | None = None
    for template, slim in choices:
        try:
            info = make_mirror(folder, HOST, articles, template, slim=slim, clean=True)
        except OSError as error:  # make_mirror checks the free space before writing
            last = error
            continue
        name = template.parent.name[:40] if template != DEFAULT_TEMPLATE else "guineenews.org (default)"
        return Mirror(folder, articles, name, slim, info.bytes_written / 1e6)
    raise SystemExit(f"benchmark: cannot write a mirror of {articles} articles: {last}")


# -- part 2: extraction cost ------------------------------------------------------------------------


@dataclass
class PageCost:
    name: str
    kb: float
    real: bool
    lxml_ms: float
    project_ms: float
    steps_ms: dict[str, float]
    trafilatura_ms: float | None


def _build_pipelines(package: str = "inquirer_crawler") -> list[Any]:
    """The ITEM_PIPELINES of ``package``'s settings (the project's, or a copy of it at another
    revision: benchmarks/compare_revisions.py), in order, as tests/conftest.py builds them."""
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object
    from scrapy.utils.test import get_crawler

    settings = Settings()
    settings.setmodule(f"{package}.settings", priority="project")
    # The extensions too: the dedupe step asks the run's state (RunState) what earlier runs exported.
    crawler = get_crawler(settings_dict={k: settings[k] for k in ("ITEM_PIPELINES", "EXTENSIONS")})
    crawler.stats.open_spider()
    ordered = sorted(settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1])
    return [load_object(path).from_crawler(crawler) for path, _ in ordered]


def fixture_pages() -> list[tuple[str, str, bytes, bool]]:
    """(name, url, html, real) of every article fixture with a hand-checked expectation. The HTML is
    the file's bytes (all UTF-8), as a crawl hands it over in ``response.body``: all three candidates
    of part 2 get the same bytes."""
    from inquirer_crawler.response.replay import mirror_path

    pages = []
    for path in sorted(EXPECTED_DIR.glob("*.json")):
        url = json.loads(path.read_text("utf-8"))["fixture_url"]
        file = mirror_path(FIXTURES, url)
        assert file is not None and file.is_file(), url
        pages.append((path.stem, url, file.read_bytes(), not path.stem.startswith("inquirer-")))
    return pages


def extraction_costs(repeats: int) -> list[PageCost]:
    import lxml.html
    from scrapy.exceptions import DropItem

    from inquirer_crawler.pages.article import ArticlePage

    try:
        import trafilatura
    except ImportError:
        trafilatura = None
    pipelines = _build_pipelines()
    names = [type(p).__name__.removesuffix("Pipeline") for p in pipelines]
    clock = time.process_time

    def project(url: str, html: bytes) -> dict[str, float]:
        for pipeline in pipelines:
            if hasattr(pipeline, "seen"):
                pipeline.seen.clear()  # the dedupe pipeline would drop the repeated page
        times = {}
        t0 = clock()
        page = ArticlePage.from_html(html, url)
        t1 = clock()
        item = page.to_item()
        t2 = clock()
        del page  # its tree is freed inside the timing (~0.3 ms), as the floor's and trafilatura's are
        t3 = clock()
        times["parse (from_html)"], times["to_item"], times["free page"] = t1 - t0, t2 - t1, t3 - t2
        for name, pipeline in zip(names, pipelines, strict=True):
            t = clock()
            with contextlib.suppress(DropItem):
                item = pipeline.process_item(item)
            times[name] = clock() - t
        return times

    pages = fixture_pages()
    for _, url, html, _ in pages:  # warm-up: imports, caches, dateparser's first call
        lxml.html.fromstring(html)
        project(url, html)
        if trafilatura is not None:
            trafilatura.extract(html, url=url, with_metadata=True)
    lxml_t: dict[str, list[float]] = {url: [] for _, url, _, _ in pages}
    steps: dict[str, list[dict[str, float]]] = {url: [] for _, url, _, _ in pages}
    traf_t: dict[str, list[float]] = {url: [] for _, url, _, _ in pages}

    def timed_round() -> None:
        for _, url, html, _ in pages:
            t = clock()
            lxml.html.fromstring(html)
            lxml_t[url].append(clock() - t)
            steps[url].append(project(url, html))
            # In every round, like the other two: this machine's speed drifts by 1.5x over minutes,
            # and trafilatura timed in the first third only was compared with a slower rest.
            if trafilatura is not None:
                t = clock()
                trafilatura.extract(html, url=url, with_metadata=True)
                traf_t[url].append(clock() - t)

    # Rounds outside, pages inside: load from a neighbour (the other hyperthread) hits every page alike.
    # The cyclic garbage collector is off while timing, as timeit does, and runs between rounds: a
    # full collection landing inside one call made trafilatura's times swing from 45 to 90 ms a page.
    gc.disable()
    try:
        for _ in range(repeats):
            gc.collect()
            timed_round()
    finally:
        gc.enable()
    results = []
    for name, url, html, real in pages:
        step_ms = {key: 1000 * statistics.median(s[key] for s in steps[url]) for key in steps[url][0]}
        results.append(
            PageCost(
                name=name,
                kb=len(html) / 1000,
                real=real,
                lxml_ms=1000 * statistics.median(lxml_t[url]),
                project_ms=1000 * statistics.median(sum(s.values()) for s in steps[url]),
                steps_ms=step_ms,
                trafilatura_ms=1000 * statistics.median(traf_t[url]) if traf_t[url] else None,
            )
        )
    return results


# -- part 4: cron runs ---------------------------------------------------------------------------------

_MODIFIED = re.compile(r'<meta property="article:modified_time" content="([^"]+)"')
_PUBLISHED = re.compile(r'<meta property="article:published_time" content="([^"]+)"')
_BODY_OPEN = re.compile(r'<div class="(?:td-post-content|tdb-block-inner)[^"]*"[^>]*>')
SITEMAP_PAGE = 2000  # URLs per posts sitemap, as WordPress core


def write_sitemap(site: Path, origin: str) -> int:
    """wp-sitemap.xml + wp-sitemap-posts-post-N.xml for every article folder, lastmod = the page's
    modified (else published) date. URLs are on ``origin`` (the local server), so that the sitemap
    is followed before the spider has learnt the mirror's public host from a listing."""
    entries = []
    for folder in sorted(p for p in site.iterdir() if p.is_dir() and p.name.startswith("article-")):
        head = (folder / "index.html").read_text("utf-8")[:200_000]
        lastmod = (_MODIFIED.search(head) or _PUBLISHED.search(head) or [None, None])[1]
        entries.append((f"{origin}{folder.name}/", lastmod))
    chunks = [entries[i : i + SITEMAP_PAGE] for i in range(0, len(entries), SITEMAP_PAGE)]
    for old in site.glob("wp-sitemap*.xml"):
        old.unlink()
    index = "".join(
        f"<sitemap><loc>{origin}wp-sitemap-posts-post-{n}.xml</loc></sitemap>" for n in range(1, len(chunks) + 1)
    )
    (site / "wp-sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>\n',
        "utf-8",
    )
    for n, chunk in enumerate(chunks, 1):
        urls = "".join(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>\n" for loc, mod in chunk)
        (site / f"wp-sitemap-posts-post-{n}.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
            "utf-8",
        )
    return len(entries)


def correct_article(page: Path, modified: str) -> None:
    """An editor's correction: one more paragraph at the top of the body, a new modified date."""
    html = page.read_text("utf-8")
    html, count = _BODY_OPEN.subn(
        lambda m: m.group(0) + "<p>Correction : ce paragraphe a été précisé.</p>", html, count=1
    )
    assert count == 1, page
    tag = f'<meta property="article:modified_time" content="{modified}"'
    html = (
        _MODIFIED.sub(tag, html)
        if _MODIFIED.search(html)
        else _PUBLISHED.sub(lambda m: m.group(0) + ">" + tag, html, count=1)
    )
    page.write_text(html, "utf-8")


@dataclass
class CronRun:
    label: str
    returncode: int
    requests: int
    article_requests: list[str]
    expected_articles: list[str]
    discovery: list[str]
    summary: str
    seconds: float

    @property
    def minimal(self) -> bool:
        return self.returncode == 0 and sorted(self.article_requests) == sorted(self.expected_articles)


def cron_runs(work: Path, articles: int, k: int, m: int, mirror_args: tuple[Path, bool]) -> list[CronRun]:
    root = work / "cron-mirror"
    site = root / HOST
    state = work / "cron-state" / "newspaper.sqlite"
    output = work / "cron-output"
    runs: list[CronRun] = []
    template, slim = mirror_args
    make_mirror(root, HOST, articles, template, slim=slim, clean=True)
    with MirrorServer(root, HOST) as server:
        write_sitemap(site, server.url)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "INQUIRER_STATE_PATH": str(state)}

        def crawl(label: str, expected: list[str]) -> None:
            first = len(server.requests)
            began = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "scrapy.cmdline",
                    "crawl",
                    "newspaper",
                    "-a",
                    f"start={server.url}",
                    *settings_args(COMMON),
                    "-s",
                    f"INQUIRER_OUTPUT={output}/%(name)s/%(time)s.jsonl",
                ],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            paths = server.requests[first:]
            summary = next(
                (line.split("INFO: ", 1)[-1] for line in result.stderr.splitlines() if "crawl summary:" in line), ""
            )
            runs.append(
                CronRun(
                    label=label,
                    returncode=result.returncode,
                    requests=len(paths),
                    article_requests=[p for p in paths if ARTICLE_PATH.match(p)],
                    expected_articles=expected,
                    discovery=[p for p in paths if not ARTICLE_PATH.match(p)],
                    summary=summary,
                    seconds=time.perf_counter() - began,
                )
            )
            time.sleep(1.1)  # output files are named after their start second

        all_articles = sorted(f"/{p.name}/" for p in site.iterdir() if p.name.startswith("article-"))
        crawl("first run (everything)", all_articles)
        crawl("second run, nothing new", [])
        make_mirror(root, HOST, articles + k, template, slim=slim, clean=True)  # k more posts, newest first
        write_sitemap(site, server.url)
        new = sorted(f"/{p.name}/" for p in site.iterdir() if p.name.startswith("article-"))
        new = [p for p in new if p not in set(all_articles)]
        crawl(f"after {k} new articles", new)
        # Corrections spread over the archive: recent, middle, oldest.
        folders = sorted(p for p in site.iterdir() if p.name.startswith("article-"))
        picks = [folders[int(i * (len(folders) - 1) / max(m - 1, 1))] for i in range(m)] if m else []
        for folder in picks:
            correct_article(folder / "index.html", "2031-01-01T09:00:00+00:00")
        write_sitemap(site, server.url)
        crawl(f"after {m} corrected articles", [f"/{p.name}/" for p in picks])
    return runs


# -- the estimate of what a crawl must remember per article -------------------------------------------


def state_bytes_per_article() -> float:
    """Bytes per article of what a crawl must remember (not what it could drop), measured by building
    the same containers for 10,000 articles: Scrapy's duplicate filter (a 40-char hex fingerprint per
    request, in a set; ~1.1 requests per article with the listing pages), the dedupe pipeline's keys
    (canonical URL key + post-id key) and the spider's run ledger (state key -> (state, reason))."""
    import hashlib

    n = 10_000

    def deep(container: Any, items: Any) -> int:
        return sys.getsizeof(container) + sum(map(sys.getsizeof, items))

    fingerprints = {hashlib.sha1(str(i).encode()).hexdigest() for i in range(n + n // 10)}
    keys = {f"{HOST}/article-{i:05d}-colonel-barry-accuse-pour/" for i in range(n)} | {
        f"{HOST}#post-{100_000 + i}" for i in range(n)
    }
    ledger = {f"{HOST}/article-{i:05d}-colonel-barry-accuse-pour/": ("exported", None) for i in range(n)}
    total = deep(fingerprints, fingerprints) + deep(keys, keys)
    total += deep(ledger, ledger) + sum(sys.getsizeof(v) for v in ledger.values())
    return total / n


# -- the table ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    part: str
    metric: str
    measured: str
    target: str = ""
    met: bool | None = None

    def cells(self) -> list[str]:
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.part, self.metric, self.measured, self.target, met]


HEADER = ["part", "metric", "measured", "target", "met?"]


def text_table(rows: list[Row]) -> str:
    cells = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    import scrapy

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "lxml": __import__("lxml.etree").etree.__version__,
        "platform": platform.platform(),
        "loadavg at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _mb(value: float) -> str:
    return f"{value:.0f} MB"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="N: articles of the throughput and memory mirror")
    parser.add_argument("--big", type=int, default=20000, help="articles of the big memory mirror (0: skip)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (300 / 1,000 articles)")
    parser.add_argument("--only", default="1,2,3,4", help="parts to run, e.g. 1,3")
    parser.add_argument("--repeats", type=int, default=30, help="runs of each fixture page in part 2")
    parser.add_argument("--runs", type=int, default=2, help="runs of each crawl in part 1 (the fastest counts)")
    parser.add_argument("--gc-every", type=int, default=25, help="INQUIRER_GC_EVERY for the CollectGarbage runs")
    parser.add_argument("--new", type=int, default=5, help="K: articles published before the third cron run")
    parser.add_argument("--changed", type=int, default=3, help="M: articles corrected before the fourth cron run")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write the mirrors (default: the system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown here")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement as JSON here")
    parser.add_argument("--profile", type=Path, default=None, help="record py-spy profiles of both crawls into DIR")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.big, args.repeats, args.runs = 300, min(args.big, 1000), 10, 1
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Bench:
    """One benchmark run: its arguments, its scratch folder, what it measured and the table's rows."""

    args: argparse.Namespace
    work: Path
    results: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    mirror: Mirror | None = None
    # Part 1's crawls, kept for part 3: the fastest run of each variant and each variant's highest peak RSS.
    chosen: dict[str, CrawlRun] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)

    @property
    def variants(self) -> dict[str, dict[str, str]]:
        """The project crawl as configured, and with the memory fixes of extensions/memory.py switched
        on and off explicitly (whatever settings.py registers today)."""
        return {
            "project": {},
            "project-plain": memory_settings(release=False, gc_every=0),
            "project-release": memory_settings(release=True, gc_every=0),
            "project-gc": memory_settings(release=False, gc_every=self.args.gc_every),
        }

    @property
    def names(self) -> dict[str, str]:
        return {
            "project": "as configured" + (" (ReleaseSelectors registered)" if registered(RELEASE_MIDDLEWARE) else ""),
            "project-plain": "without ReleaseSelectors or CollectGarbage",
            "project-release": "with ReleaseSelectors",
            "project-gc": f"with CollectGarbage every {self.args.gc_every} instead",
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = {p.strip() for p in args.only.split(",")}
    work = Path(tempfile.mkdtemp(prefix="inquirer-bench-", dir=args.tmp))
    bench = Bench(
        args, work, {"machine": machine(), "settings": COMMON, "args": {k: str(v) for k, v in vars(args).items()}}
    )
    try:
        if parts & {"1", "3"} or args.profile:
            bench.mirror = build_mirror(work / "mirror", args.articles)
            mirror = bench.mirror
            say(
                f"mirror: {mirror.articles} articles, {mirror.mb:.0f} MB, template {mirror.template}{' (slim)' if mirror.slim else ''}"
            )
            bench.results["mirror"] = asdict(mirror) | {"root": str(mirror.root)}
        if args.profile:
            return profile(args.profile, bench.mirror, work)
        if parts & {"1", "3"}:
            crawls(bench)
        if "1" in parts:
            part1_throughput(bench)
        if "2" in parts:
            part2_extraction(bench)
        if "3" in parts:
            part3_memory(bench)
        if "4" in parts:
            part4_cron(bench)
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(bench)
    return 0


def crawls(bench: Bench) -> None:
    """Parts 1 and 3: every crawl variant of the mirror, ``--runs`` times, interleaved so that a
    neighbour's load hits all alike."""
    args, mirror = bench.args, bench.mirror
    assert mirror is not None
    variants = bench.variants
    tries: dict[str, list[CrawlRun]] = {"bare": [], "bare-parse": [], **{k: [] for k in variants}}
    for attempt in range(1, args.runs + 1):
        for label, runs_so_far in tries.items():
            say(f"part 1: {label} crawl of {args.articles:,} articles, run {attempt}/{args.runs} ...")
            if label.startswith("bare"):
                parse = "project" if label == "bare-parse" else "scrapy"
                run = bare_crawl(label, args.articles, mirror.root, bench.work, parse=parse)
            else:
                run = project_crawl(label, args.articles, mirror.root, bench.work, variants[label])
            say(
                f"  {run.pages} pages in {run.elapsed:.1f} s, {run.cpu_ms_per_page:.1f} CPU ms/page, "
                f"peak RSS {run.peak_rss_mb:.0f} MB, other processes {100 * run.background_cpu / run.wall:.0f}% of a core"
            )
            if run.returncode != 0:
                say(f"{run.label} exited {run.returncode}:\n{run.stderr_tail}")
            runs_so_far.append(run)
    # Throughput: the least disturbed (fastest) run of each; peak RSS: the highest of all runs.
    bench.chosen = {k: max(v, key=lambda r: r.pages_per_s) for k, v in tries.items()}
    bench.peaks = {k: max(r.peak_rss_mb for r in v) for k, v in tries.items()}
    bench.results["part1"] = {k: [asdict(r) | {"paths": len(r.paths)} for r in v] for k, v in tries.items()}


def part1_throughput(bench: Bench) -> None:
    chosen, names, variants = bench.chosen, bench.names, bench.variants
    bare, proj = chosen["bare"], chosen["project"]
    same = all(Counter(bare.paths) == Counter(chosen[k].paths) for k in (*variants, "bare-parse"))
    bench.results["part1_same_requests"] = same
    n = f"{bench.args.articles:,} articles"
    rows = bench.rows
    rows += [
        Row("1", f"bare spider, {n}: pages/s (CPU ms/page)", f"{bare.pages_per_s:.1f} ({bare.cpu_ms_per_page:.1f})"),
        Row("1", f"project crawl, {n}: pages/s (CPU ms/page)", f"{proj.pages_per_s:.1f} ({proj.cpu_ms_per_page:.1f})"),
        Row(
            "1",
            f"throughput ratio project ({names['project']}) / bare",
            f"{proj.pages_per_s / bare.pages_per_s:.2f}",
            f">= {TARGET_RATIO}",
            proj.pages_per_s / bare.pages_per_s >= TARGET_RATIO,
        ),
    ]
    for label in ("project-plain", "project-release", "project-gc"):
        ratio = chosen[label].pages_per_s / bare.pages_per_s
        rows.append(
            Row(
                "1",
                f"  same, {names[label]}",
                f"{ratio:.2f} ({chosen[label].pages_per_s:.1f} pages/s)",
                f">= {TARGET_RATIO}",
                ratio >= TARGET_RATIO,
            )
        )
    fair = chosen["bare-parse"]
    rows.append(
        Row(
            "1",
            "  same, against a bare spider that parses as the project does (pages/s)",
            f"{proj.pages_per_s / fair.pages_per_s:.2f} ({fair.pages_per_s:.1f} pages/s)",
        )
    )
    rows += [
        Row("1", "all crawls requested the same pages", f"{'yes' if same else 'NO'} ({bare.pages} requests each)"),
        Row(
            "1",
            "minor page faults per page: bare / as configured / plain / ReleaseSelectors / CollectGarbage",
            " / ".join(f"{chosen[k].minor_faults / chosen[k].pages:.0f}" for k in ("bare", *variants)),
        ),
        Row(
            "1",
            "other processes' CPU during the bare / project runs",
            f"{100 * bare.background_cpu / bare.wall:.0f}% / {100 * proj.background_cpu / proj.wall:.0f}% of one core",
        ),
    ]


def part2_extraction(bench: Bench) -> None:
    say(f"part 2: extraction cost on the fixture pages ({bench.args.repeats} runs each) ...")
    costs = extraction_costs(bench.args.repeats)
    bench.results["part2"] = [asdict(c) for c in costs]
    real = [c for c in costs if c.real]
    for label, subset in ((f"{len(real)} real pages", real), (f"all {len(costs)} article fixtures", costs)):
        if subset:
            bench.rows += extraction_rows(label, subset)
    say(extraction_breakdown(costs))


def extraction_rows(label: str, subset: list[PageCost]) -> list[Row]:
    lx = statistics.mean(c.lxml_ms for c in subset)
    pr = statistics.mean(c.project_ms for c in subset)
    rows = [
        Row("2", f"{label}: lxml parse (floor), CPU ms/page", f"{lx:.2f}"),
        Row("2", f"{label}: page code + pipelines, CPU ms/page", f"{pr:.2f}"),
        Row(
            "2",
            f"{label}: page code + pipelines / lxml",
            f"{pr / lx:.1f} x",
            f"<= {TARGET_VS_LXML} x",
            pr / lx <= TARGET_VS_LXML,
        ),
    ]
    if not all(c.trafilatura_ms is not None for c in subset):
        return [*rows, Row("2", "trafilatura", "not installed (pip install trafilatura==2.3.1)")]
    tr = statistics.mean(c.trafilatura_ms or 0 for c in subset)
    return [
        *rows,
        Row("2", f"{label}: trafilatura.extract(with_metadata), CPU ms/page", f"{tr:.2f}"),
        Row(
            "2",
            f"{label}: trafilatura / page code + pipelines",
            f"{tr / pr:.1f} x",
            f">= {TARGET_VS_TRAFILATURA} x",
            tr / pr >= TARGET_VS_TRAFILATURA,
        ),
    ]


def part3_memory(bench: Bench) -> None:
    args, peaks = bench.args, bench.peaks
    per_article = state_bytes_per_article()
    bench.results["part3"] = {"state_bytes_per_article": per_article, "peaks": peaks}
    for label, name in bench.names.items():
        bench.rows.append(
            Row(
                "3",
                f"peak RSS, {args.articles:,} articles, {name}",
                _mb(peaks[label]),
                f"< {TARGET_RSS_MB:.0f} MB",
                peaks[label] < TARGET_RSS_MB,
            )
        )
    bench.rows.append(Row("3", f"  bare spider, {args.articles:,} articles (for reference)", _mb(peaks["bare"])))
    if args.big and args.big > args.articles:
        big_crawl(bench, need=per_article * 1000 / 2**20)


def big_crawl(bench: Bench, need: float) -> None:
    """Part 3's growth: a crawl of ``--big`` articles against part 1's crawl of ``--articles``."""
    args, mirror, peaks = bench.args, bench.mirror, bench.peaks
    assert mirror is not None
    shutil.rmtree(mirror.root, ignore_errors=True)
    big_mirror = build_mirror(bench.work / "mirror-big", args.big)
    say(f"part 3: project crawl of {args.big:,} articles with ReleaseSelectors ({big_mirror.mb:.0f} MB mirror) ...")
    # The project's CLOSESPIDER_PAGECOUNT (20,000 pages) would stop a 20,000-article crawl early.
    big = project_crawl(
        "project-big-release",
        args.big,
        big_mirror.root,
        bench.work,
        {**memory_settings(release=True, gc_every=0), "CLOSESPIDER_PAGECOUNT": "0"},
    )
    shutil.rmtree(big_mirror.root, ignore_errors=True)
    say(f"  {big.pages} pages in {big.elapsed:.1f} s, peak RSS {big.peak_rss_mb:.0f} MB")
    if big.returncode != 0:
        say(f"{big.label} exited {big.returncode}:\n{big.stderr_tail}")
    small = bench.chosen["project-release"]
    same_template = big_mirror.template == mirror.template and big_mirror.slim == mirror.slim
    per_1000 = (big.items - small.items) / 1000 or 1
    growth = (big.peak_rss_mb - peaks["project-release"]) / per_1000
    steady = (big.steady_rss() - small.steady_rss()) / per_1000
    bench.results["part3"]["big"] = asdict(big) | {"paths": len(big.paths), "template": big_mirror.template}
    bench.rows += [
        Row(
            "3",
            f"peak RSS, {args.big:,} articles, with ReleaseSelectors",
            _mb(big.peak_rss_mb),
            f"< {TARGET_RSS_MB:.0f} MB",
            big.peak_rss_mb < TARGET_RSS_MB,
        ),
        Row(
            "3",
            "growth per 1,000 articles: peak RSS (RSS over the last quarter)"
            + ("" if same_template else " (different templates!)"),
            f"{growth:.2f} MB ({steady:.2f} MB)",
            f"~ {need:.2f} MB (dupefilter, dedupe keys, run ledger)",
            growth <= need + 0.5,
        ),
        Row(
            "3",
            f"  RSS at 25/50/75/100% of the {args.big:,}-article crawl",
            " / ".join(f"{big.rss_at(f):.0f}" for f in (0.25, 0.5, 0.75, 1.0)) + " MB",
        ),
        Row("3", f"  {args.big:,}-article crawl: pages/s, minutes", f"{big.pages_per_s:.1f}, {big.wall / 60:.1f} min"),
    ]


def part4_cron(bench: Bench) -> None:
    args, mirror = bench.args, bench.mirror
    template = (DEFAULT_TEMPLATE, False)
    if mirror is not None and mirror.template != "guineenews.org (default)":
        template = (SMALL_TEMPLATE, False)
    say(f"part 4: cron runs on a {args.articles:,}-article mirror with a sitemap ...")
    runs = cron_runs(bench.work, args.articles, args.new, args.changed, template)
    bench.results["part4"] = [asdict(r) for r in runs]
    bench.rows.append(Row("4", f"cron: {runs[0].label}: requests", f"{runs[0].requests}"))
    for run in runs[1:]:
        bench.rows.append(
            Row(
                "4",
                f"cron: {run.label}: requests (articles + discovery)",
                f"{run.requests} ({len(run.article_requests)} + {len(run.discovery)}: {' '.join(sorted(set(run.discovery)))})",
                f"{len(run.expected_articles)} articles + discovery",
                run.minimal,
            )
        )


def report(bench: Bench) -> None:
    bench.results["loadavg at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(text_table(bench.rows))
    if bench.args.markdown:
        bench.args.markdown.write_text(markdown_table(bench.rows) + "\n", "utf-8")
    if bench.args.json:
        bench.args.json.write_text(json.dumps(bench.results, indent=1, default=str) + "\n", "utf-8")


def extraction_breakdown(costs: list[PageCost]) -> str:
    """Per page: KB, lxml, project (and its steps), trafilatura, in ms."""
    steps = list(costs[0].steps_ms)
    head = ["page", "KB", "lxml", "project", *steps, "trafilatura"]
    rows = [head]
    for c in costs:
        rows.append(
            [
                c.name,
                f"{c.kb:.0f}",
                f"{c.lxml_ms:.2f}",
                f"{c.project_ms:.1f}",
                *(f"{c.steps_ms[s]:.1f}" for s in steps),
                f"{c.trafilatura_ms:.1f}" if c.trafilatura_ms is not None else "-",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    )


def profile(folder: Path, mirror: Mirror | None, work: Path) -> int:
    """py-spy (sampling at 200 Hz) on both crawls; writes collapsed stacks and a summary."""
    if shutil.which("py-spy") is None:
        raise SystemExit("benchmark: --profile needs py-spy (pip install py-spy==0.4.3)")
    assert mirror is not None
    folder.mkdir(parents=True, exist_ok=True)
    for label, run in (
        ("bare", lambda to: bare_crawl("bare", mirror.articles, mirror.root, work, to)),
        ("project", lambda to: project_crawl("project", mirror.articles, mirror.root, work, None, to)),
    ):
        raw = folder / f"{label}.collapsed.txt"
        result = run(raw)
        summary = summarise_profile(raw)
        (folder / f"{label}.summary.txt").write_text(summary, "utf-8")
        print(f"== {label}: {result.pages} pages in {result.elapsed:.1f} s\n{summary}")
    return 0


def summarise_profile(raw: Path, top: int = 40) -> str:
    """Inclusive share of samples per function (file:function) from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text("utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue  # a torn sample (--nonblocking reads the stacks without pausing the process)
        count = int(count_text)
        total += count
        frames = [re.sub(r" \(([^)]*?)(?::\d+)?\)$", r" (\1)", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples; inclusive % (self %) per function"]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{100 * count / total:5.1f}% ({100 * own[frame] / total:4.1f}%)  {frame}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
