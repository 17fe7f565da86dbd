"""Cron runs against a local copy of the mirror: request budgets, changed articles, the lock,
and kill -9 at several points followed by a rerun."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FAST, published_records, run_crawl, start_crawl
from tests.mirror_server import MirrorServer, Route
from tests.site_edits import HOST, add_article, copy_mirror, correct_article, date_sitemap_index

ARTICLES = 12
DISCOVERY = {
    "/robots.txt",
    "/wp-sitemap.xml",
    "/wp-sitemap-posts-post-1.xml",
    "/",
    "/category/internationales/",
    "/category/economie/",
    "/category/societe/",
    "/category/sciences/",
}


def is_discovery(path: str) -> bool:
    return path in DISCOVERY or path.startswith("/category/")


class CronSite:
    """A mirror copy on a local server, crawled repeatedly with one state and one output folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = copy_mirror(tmp_path)
        self.state = tmp_path / "state" / "inquirer.sqlite"
        self.output = tmp_path / "output"

    def run(
        self, *args: str, delay: float = 0.0, routes: dict[str, Route] | None = None
    ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        with MirrorServer(self.root, HOST, routes=routes, delay=delay) as server:
            result = run_crawl(
                "inquirer",
                "-a",
                f"start={server.url}",
                *FAST,
                "-s",
                f"INQUIRER_OUTPUT={self.output}/%(name)s/%(time)s.jsonl",
                *args,
                state=self.state,
            )
        assert "Traceback" not in result.stderr, result.stderr[result.stderr.index("Traceback") :][:3000]
        return result, list(server.requests)

    def published(self) -> list[dict[str, object]]:
        return published_records(self.output)


@pytest.fixture
def site(tmp_path: Path) -> CronSite:
    return CronSite(tmp_path)


def test_second_run_with_nothing_new_fetches_no_article(site: CronSite) -> None:
    first, _ = site.run()
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(site.published()) == ARTICLES
    second, requests = site.run()
    assert second.returncode == 0, second.stderr[-2000:]
    assert [p for p in requests if not is_discovery(p)] == []
    assert len(requests) <= len(DISCOVERY)  # robots.txt, two sitemaps, home and four first listing pages
    assert len(site.published()) == ARTICLES  # no new file, nothing exported twice
    assert "exported 0 (new 0, changed 0)" in second.stderr


@pytest.mark.parametrize("k", [1, 3])
def test_k_new_articles_cost_exactly_k_article_requests(site: CronSite, k: int) -> None:
    site.run()
    new_paths = {add_article(site.root, n) for n in range(1, k + 1)}
    result, requests = site.run()
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p for p in requests if not is_discovery(p)) == sorted(new_paths)
    assert f"exported {k} (new {k}, changed 0)" in result.stderr
    assert len(site.published()) == ARTICLES + k


def test_m_changed_articles_are_refetched_and_exported_again(site: CronSite) -> None:
    site.run()
    changed = {
        correct_article(site.root, "la-grece-autorise-lentree-avec-un-test-dantigene-rapide-valable-24-heures"),
        correct_article(
            site.root, "burkina-faso-des-militaires-annoncent-avoir-pris-le-pouvoir-et-suspendu-la-constitution"
        ),
    }
    result, requests = site.run()
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p for p in requests if not is_discovery(p)) == sorted(changed)
    assert "exported 2 (new 0, changed 2)" in result.stderr
    latest = {r["url"].split(HOST, 1)[1]: r for r in site.published()[ARTICLES:]}
    assert set(latest) == changed
    for record in latest.values():
        assert record["modified"] == "2022-02-01T09:00:00+00:00"
        assert "Correction : ce paragraphe a été précisé." in record["body"]


def test_full_run_fetches_everything_again_and_state_off_keeps_no_state(site: CronSite) -> None:
    site.run()
    result, requests = site.run("-a", "full=1")
    assert result.returncode == 0
    assert len([p for p in requests if not is_discovery(p)]) == ARTICLES
    off, _ = site.run("-a", "state=off", "-s", f"INQUIRER_STATE_PATH={site.state}.unused")
    assert off.returncode == 0 and not Path(f"{site.state}.unused").exists()


def test_a_second_run_refuses_while_the_first_runs(site: CronSite) -> None:
    # The site holds every answer of the first run until the second has been tried: the first is
    # still running then, however slowly the second starts on a loaded machine.
    refused = threading.Event()
    with MirrorServer(site.root, HOST, on_request=lambda _: refused.wait(60)) as server:
        first = start_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            *FAST,
            "-s",
            f"INQUIRER_OUTPUT={site.output}/%(name)s/%(time)s.jsonl",
            state=site.state,
        )
        try:
            _wait_for(lambda: len(server.requests) >= 1)
            started = time.monotonic()
            second = run_crawl("inquirer", "-a", f"start={server.url}", state=site.state, timeout=60)
            assert time.monotonic() - started < 15
        finally:
            refused.set()
            first.kill()
            first.wait()
    assert second.returncode == 75
    assert "another crawl is running with this state" in second.stderr


@pytest.mark.parametrize("kill_after", [2, 9, 16])
def test_kill_9_then_rerun_loses_and_duplicates_nothing(site: CronSite, kill_after: int) -> None:
    """SIGKILL once the server has received ``kill_after`` requests (early: listings; mid: some
    articles exported in memory; late: most of the crawl done), then run again to the end. The
    server sends the kill itself, before it answers request ``kill_after``: the kill point does
    not depend on how soon the test's own thread gets the CPU."""
    crawls: list[subprocess.Popen[str]] = []
    spawned = threading.Event()

    def kill_at(count: int) -> None:
        if count == kill_after and spawned.wait(60):
            crawls[0].send_signal(signal.SIGKILL)

    with MirrorServer(site.root, HOST, delay=0.05, on_request=kill_at) as server:
        crawl = start_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            *FAST,
            "-s",
            "CONCURRENT_REQUESTS=2",
            "-s",
            f"INQUIRER_OUTPUT={site.output}/%(name)s/%(time)s.jsonl",
            state=site.state,
        )
        crawls.append(crawl)
        spawned.set()
        crawl.wait(timeout=60)
    assert crawl.returncode == -signal.SIGKILL, "the crawl ended before the kill point"
    time.sleep(1.1)  # the rerun's output file is named after its start second
    result, _ = site.run()
    assert result.returncode == 0, result.stderr[-2000:]
    urls = [r["url"] for r in site.published()]
    assert len(urls) == ARTICLES and len(set(urls)) == ARTICLES
    # A killed run's unfinished file never carries the .jsonl name a reader would trust.
    for path in site.output.rglob("*"):
        assert path.is_dir() or path.name.endswith((".jsonl", ".jsonl.part")), path


def _wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_state_file_records_articles_and_runs(site: CronSite) -> None:
    site.run()
    import sqlite3

    db = sqlite3.connect(site.state)
    assert db.execute("SELECT COUNT(*) FROM articles WHERE last_exported IS NOT NULL").fetchone()[0] == ARTICLES
    (counts,) = db.execute("SELECT counts FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert json.loads(counts)["new"] == ARTICLES
    assert db.execute("SELECT COUNT(*) FROM urls WHERE state = 'pending'").fetchone()[0] == 0


def test_markup_drift_fails_the_run_with_one_line(site: CronSite) -> None:
    """The site's theme changed: no h1, no og:title, no dates the crawler knows. Exit 1, and why."""
    for page in (site.root / HOST).glob("*/index.html"):
        html = page.read_text("utf-8")
        html = re.sub(r"<h1\b[^>]*>.*?</h1>", "", html, flags=re.DOTALL)
        html = re.sub(r'<meta property="og:title"[^>]*>|<title>.*?</title>', "", html, flags=re.DOTALL)
        html = re.sub(r'<script type="application/ld\+json".*?</script>', "", html, flags=re.DOTALL)
        page.write_text(
            html.replace("td-post-content", "new-theme-content").replace("tdb_single_content", "x"), "utf-8"
        )
    result, _ = site.run()
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "layout drift" in errors[0], result.stderr[-1500:]


def _without_sitemaps(site: CronSite) -> None:
    for name in ("wp-sitemap.xml", "wp-sitemap-posts-post-1.xml", "wp-sitemap-posts-page-1.xml"):
        (site.root / HOST / name).unlink()
    robots = site.root / HOST / "robots.txt"
    robots.write_text(re.sub(r"(?m)^Sitemap:.*\n?", "", robots.read_text("utf-8")), "utf-8")


def test_rest_api_finds_changed_articles_when_there_is_no_sitemap(site: CronSite) -> None:
    _without_sitemaps(site)
    site.run()
    slug = "la-grece-autorise-lentree-avec-un-test-dantigene-rapide-valable-24-heures"
    changed = correct_article(site.root, slug)
    posts = json.dumps([{"link": f"https://{HOST}/{slug}/", "modified_gmt": "2022-02-01T09:00:00"}]).encode()
    routes = {"/wp-json/wp/v2/posts": lambda path: (200, {"Content-Type": "application/json"}, posts)}
    result, requests = site.run(routes=routes)
    assert result.returncode == 0, result.stderr[-2000:]
    rest = [p for p in requests if p.startswith("/wp-json/")]
    assert len(rest) == 1 and "modified_after=" in rest[0]  # asked only for what changed since the last run
    assert [p for p in requests if not is_discovery(p) and not p.startswith(("/wp-json/", "/sitemap_index.xml"))] == [
        changed
    ]
    assert "exported 1 (new 0, changed 1)" in result.stderr


def test_rss_feed_finds_new_articles_when_sitemap_and_rest_api_do_not_answer(site: CronSite) -> None:
    _without_sitemaps(site)
    site.run()
    new = add_article(site.root, 1)
    listing = site.root / HOST / "category" / "economie" / "index.html"
    listing.write_text(listing.read_text("utf-8").replace(new, "/"), "utf-8")  # not on any listing: feed only
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><item><link>https://{HOST}{new}</link></item>'
        f"</channel></rss>"
    ).encode()
    routes = {"/feed/": lambda path: (200, {"Content-Type": "application/rss+xml"}, feed)}
    result, _ = site.run(routes=routes)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "exported 1 (new 1, changed 0)" in result.stderr
    assert site.published()[-1]["url"] == f"https://{HOST}{new}"


def test_a_changed_article_whose_fetch_fails_is_fetched_at_the_next_run(site: CronSite) -> None:
    # Was: a listing read first passed the article over as known and unchanged; the sitemap then
    # dated it changed and it was requested, but not made pending again: its 503 was not counted
    # among the URLs, the index's new date became the baseline, and no later run fetched it.
    date_sitemap_index(site.root, "2022-01-27T08:00:00+00:00")
    site.run()
    slug = "la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars"
    changed = correct_article(site.root, slug)
    date_sitemap_index(site.root, "2022-02-01T09:00:00+00:00")
    down = {changed: lambda path: (503, {"Content-Type": "text/html"}, b"<html><body>busy</body></html>")}
    result, requests = site.run("-s", "RETRY_TIMES=0", routes=down)
    assert changed in requests
    assert "failed 1 (http_503=1)" in result.stderr and "+ failed 1 +" in result.stderr
    result, requests = site.run()
    assert result.returncode == 0, result.stderr[-2000:]
    assert changed in requests and "exported 1 (new 0, changed 1)" in result.stderr
    assert "Correction : ce paragraphe a été précisé." in site.published()[-1]["body"]


def test_a_run_whose_rest_api_fails_keeps_the_baseline_for_the_next(site: CronSite) -> None:
    # Was: with the REST API refusing (401) and only the undated feed left, the run still moved the
    # baseline to the newest date it saw (a new article's), and the next REST query asked only for
    # changes after it: a correction dated before that was never fetched.
    _without_sitemaps(site)
    site.run()
    slug = "la-grece-autorise-lentree-avec-un-test-dantigene-rapide-valable-24-heures"
    changed = correct_article(site.root, slug)  # modified 2022-02-01 09:00
    new = add_article(site.root, 400)
    correct_article(site.root, new.strip("/"), "2022-02-13T00:00:00+00:00")  # its last edit, after the correction
    refused = {"/wp-json/wp/v2/posts": lambda path: (401, {"Content-Type": "application/json"}, b"{}")}
    result, _ = site.run(routes=refused)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "exported 1 (new 1, changed 0)" in result.stderr  # the new article, from its listing

    def rest(path: str) -> tuple[int, dict[str, str], bytes]:
        # As WordPress answers: only posts modified after ``modified_after`` (when given).
        after = parse_qs(urlsplit(path).query).get("modified_after", [""])[0]
        post = {"link": f"https://{HOST}/{slug}/", "modified_gmt": "2022-02-01T09:00:00"}
        modified = datetime.fromisoformat(post["modified_gmt"] + "+00:00")
        listed = [post] if not after or modified > datetime.fromisoformat(after) else []
        return 200, {"Content-Type": "application/json", "X-WP-TotalPages": "1"}, json.dumps(listed).encode()

    result, requests = site.run(routes={"/wp-json/wp/v2/posts": rest})
    assert result.returncode == 0, result.stderr[-2000:]
    assert changed in requests and "changed 1" in result.stderr
    assert new not in requests
