"""Cron state you can trust (issue 15): one state per site and origin, change detection by the
site's own dates, outputs a user can count on, debugging that leaves no trace, reproducible replay.
Each test names the finding it covers; each failed on the code before (c19bc45)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inquirer_crawler.pages.changes import w3c_period
from inquirer_crawler.state.lock import RunLock
from inquirer_crawler.state.scope import StateScope
from inquirer_crawler.state.sqlite import SCHEMA_VERSION, SqliteStateStore, adopt_first_format
from tests.conftest import FAST, REPO_ROOT, crawl_env, read_jsonl, run_crawl, start_crawl
from tests.mirror_server import MirrorServer
from tests.site_edits import HOST, add_article, copy_mirror, correct_article, date_sitemap_index
from tests.wordpress_api import Post, WordPressPosts

ARTICLES = 12
GRECE = "la-grece-autorise-lentree-avec-un-test-dantigene-rapide-valable-24-heures"
OLD_STATE = Path(__file__).parent / "state_files" / "inquirer-c19bc45.sqlite"


class Site:
    """A mirror copy served on 127.0.0.x, crawled with ``{site}`` in the state path (the default)."""

    def __init__(self, tmp_path: Path, address: str = "127.0.0.1") -> None:
        self.root = copy_mirror(tmp_path / address)
        self.states = tmp_path / "states"
        self.address = address
        self.outputs = tmp_path / f"out-{address}"
        self.runs = 0

    def crawl(
        self, *args: str, routes: dict | None = None, spider: str = "inquirer"
    ) -> tuple[subprocess.CompletedProcess[str], list[str], list[dict]]:  # type: ignore[type-arg]
        self.runs += 1
        out = self.outputs / f"run{self.runs}.jsonl"
        with MirrorServer(self.root, HOST, routes=routes, address=self.address) as server:
            result = run_crawl(
                spider, "-a", f"start={server.url}", *FAST, "-O", str(out), *args, state=self.states / "{site}.sqlite"
            )
            requests = list(server.requests)
        assert "Traceback" not in result.stderr, result.stderr[result.stderr.index("Traceback") :][:3000]
        return result, requests, read_jsonl(out) if out.exists() else []


def _wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def articles(requests: list[str]) -> list[str]:
    return sorted(p for p in requests if p.count("/") == 2 and not p.startswith(("/category/", "/wp-", "/feed")))


def summary(result: subprocess.CompletedProcess[str]) -> str:
    return next((line for line in result.stderr.splitlines() if "crawl summary:" in line), "")


# -- finding 1: one state per site and origin -------------------------------------------------------


def test_a_replay_never_changes_what_a_later_crawl_exports(tmp_path: Path) -> None:
    site = Site(tmp_path)
    states = tmp_path / "states" / "{site}.sqlite"
    replayed = run_crawl("inquirer", "-a", f"replay={site.root}", "-O", str(tmp_path / "replay.jsonl"), state=states)
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    assert len(read_jsonl(tmp_path / "replay.jsonl")) == ARTICLES
    result, requests, records = site.crawl()
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(records) == ARTICLES and len(articles(requests)) == ARTICLES
    names = sorted(p.name for p in (tmp_path / "states").glob("*.sqlite"))
    assert names[0] == "127.0.0.1.sqlite" and names[1].startswith("replay-mirror-"), names


def test_a_replay_takes_its_own_lock_and_stays_incremental(tmp_path: Path) -> None:
    site = Site(tmp_path)
    states = tmp_path / "states" / "{site}.sqlite"
    live = RunLock(StateScope("theinquirer.fr").path(str(states)))
    live.acquire()  # a live cron run holds the site's lock
    try:
        first = run_crawl("inquirer", "-a", f"replay={site.root}", "-O", str(tmp_path / "1.jsonl"), state=states)
        again = run_crawl("inquirer", "-a", f"replay={site.root}", "-O", str(tmp_path / "2.jsonl"), state=states)
    finally:
        live.release()
    assert first.returncode == 0 and again.returncode == 0, again.stderr[-2000:]
    assert len(read_jsonl(tmp_path / "1.jsonl")) == ARTICLES
    assert read_jsonl(tmp_path / "2.jsonl") == []  # the replay's own state: nothing new the second time


def test_a_mirror_restarted_on_another_port_keeps_its_state(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.crawl()
    new = add_article(site.root, 1)
    _result, requests, records = site.crawl()  # a new server, a new port
    assert articles(requests) == [new]
    assert [r["url"] for r in records] == [f"https://{HOST}{new}"]


def test_a_state_file_of_another_site_is_refused_with_one_line(tmp_path: Path) -> None:
    site = Site(tmp_path)
    single = tmp_path / "one.sqlite"  # a path without {site}: one file, one site
    with MirrorServer(site.root, HOST) as server:
        first = run_crawl("inquirer", "-a", f"start={server.url}", *FAST, "-O", str(tmp_path / "a.jsonl"), state=single)
    replay = run_crawl("inquirer", "-a", f"replay={site.root}", "-O", str(tmp_path / "b.jsonl"), state=single)
    assert first.returncode == 0
    assert replay.returncode == 2
    assert replay.stderr.strip().splitlines()[-1].startswith("error: state file")
    assert "put {site} in INQUIRER_STATE_PATH" in replay.stderr


# -- finding 6: several sites from one crontab ----------------------------------------------------


def test_two_sites_crawl_side_by_side_and_the_same_site_twice_still_refuses(tmp_path: Path) -> None:
    states = tmp_path / "states" / "{site}.sqlite"
    one, two = copy_mirror(tmp_path / "one"), copy_mirror(tmp_path / "two")
    # Both sites hold every answer until the same site has been tried a second time: both runs
    # are under way at once then, however slowly each process starts on a loaded machine.
    tried = threading.Event()

    def hold(_: int) -> None:
        tried.wait(60)

    with (
        MirrorServer(one, HOST, on_request=hold) as a,
        MirrorServer(two, HOST, address="127.0.0.2", on_request=hold) as b,
    ):
        runs = [
            start_crawl(
                "newspaper",
                "-a",
                f"start={server.url}",
                *FAST,
                "-O",
                str(tmp_path / f"{n}.jsonl"),
                state=states,
                stderr=subprocess.PIPE,
            )
            for n, server in enumerate((a, b))
        ]
        try:
            _wait_for(lambda: a.requests and b.requests)  # both hold their lock
            twice = run_crawl("newspaper", "-a", f"start={a.url}", *FAST, state=states)
        finally:
            tried.set()
        errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [error[-1500:] for error in errors]
    assert [len(read_jsonl(tmp_path / f"{n}.jsonl")) for n in (0, 1)] == [ARTICLES, ARTICLES]
    assert twice.returncode == 75, twice.stderr[-1500:]


# -- finding 2: change detection by the site's dates only ------------------------------------------


def test_a_change_the_site_dates_before_our_last_run_is_found_through_the_sitemap(tmp_path: Path) -> None:
    """Every date of this site is in 2022, years before our runs: only its own dates count."""
    site = Site(tmp_path)
    date_sitemap_index(site.root, "2022-01-27T09:00:00+00:00")
    site.crawl()
    unchanged, requests, _ = site.crawl()
    assert "/wp-sitemap-posts-post-1.xml" not in requests  # dated as last time: skipped
    assert "sitemaps/skipped/unchanged" in unchanged.stderr
    changed = correct_article(site.root, GRECE, new_modified="2022-02-01T09:00:00+00:00")
    date_sitemap_index(site.root, "2022-02-01T09:00:00+00:00")
    result, requests, records = site.crawl()
    assert articles(requests) == [changed]
    assert [r["modified"] for r in records] == ["2022-02-01T09:00:00+00:00"]
    assert "exported 1 (new 0, changed 1)" in summary(result)


# -- finding 7: every W3C datetime form ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2022", "2022-01-01T00:00:00+00:00", "2023-01-01T00:00:00+00:00"),
        ("2022-01", "2022-01-01T00:00:00+00:00", "2022-02-01T00:00:00+00:00"),
        ("2022-12", "2022-12-01T00:00:00+00:00", "2023-01-01T00:00:00+00:00"),
        ("2022-01-31", "2022-01-31T00:00:00+00:00", "2022-02-01T00:00:00+00:00"),
        ("2022-01-31T10:20+01:00", "2022-01-31T10:20:00+01:00", "2022-01-31T10:20:00+01:00"),
        ("2022-01-31T10:20:30Z", "2022-01-31T10:20:30+00:00", "2022-01-31T10:20:30+00:00"),
        ("2022-01-31T10:20:30.45-05:00", "2022-01-31T10:20:30.450000-05:00", "2022-01-31T10:20:30.450000-05:00"),
    ],
)
def test_every_w3c_datetime_form_parses(value: str, start: str, end: str) -> None:
    period = w3c_period(value)
    assert period is not None
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("value", ["yesterday", "2022-13", "31/01/2022", ""])
def test_an_unreadable_date_is_none(value: str) -> None:
    assert w3c_period(value) is None


def test_sitemap_dates_of_every_form_never_stop_the_source(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.crawl()
    sitemap = site.root / HOST / "wp-sitemap-posts-post-1.xml"
    # The first five entries, known at 2022-01-17T10:48, 01-18T07:30, 01-18T09:40, 01-19T08:02, 01-20T11:10:
    # a year and a month reach past what is known (changed); a day that ended before it does not;
    # an unreadable date is a change; the same instant to the minute with "Z" is not.
    forms = iter(["2022", "2022-01", "2022-01-17", "hier", "2022-01-20T11:10Z"])
    text = re.sub(
        r"<lastmod>[^<]*</lastmod>",
        lambda m: f"<lastmod>{next(forms, None) or m.group(0)[9:-10]}</lastmod>",
        sitemap.read_text("utf-8"),
    )
    sitemap.write_text(text, "utf-8")
    date_sitemap_index(site.root, "not a date")
    result, requests, _ = site.crawl()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "/wp-sitemap-posts-post-1.xml" in requests  # an unreadable index date: read as changed
    assert "unreadable lastmod 'hier'" in result.stderr
    assert len(articles(requests)) == 3


# -- finding 3: the REST API, as strict as WordPress ----------------------------------------------


def _without_sitemaps(root: Path) -> None:
    for name in ("wp-sitemap.xml", "wp-sitemap-posts-post-1.xml", "wp-sitemap-posts-page-1.xml"):
        (root / HOST / name).unlink()
    robots = root / HOST / "robots.txt"
    robots.write_text(
        "\n".join(line for line in robots.read_text("utf-8").splitlines() if not line.startswith("Sitemap:"))
    )


def test_the_strict_wordpress_server_refuses_what_wordpress_refuses() -> None:
    api = WordPressPosts([Post(f"https://{HOST}/p{n}/", f"2022-01-{n + 1:02d}T00:00:00") for n in range(30)])
    assert api("/wp-json/wp/v2/posts?modified_after=2022-01-05T00:00:00 00:00")[0] == 400  # an unencoded "+"
    assert api("/wp-json/wp/v2/posts?modified_after=yesterday")[0] == 400
    assert api("/wp-json/wp/v2/posts?per_page=101")[0] == 400
    assert api("/wp-json/wp/v2/posts?per_page=10&page=4")[0] == 400  # past the last page
    status, headers, body = api(
        "/wp-json/wp/v2/posts?per_page=10&page=3&modified_after=2022-01-05T00%3A00%3A00%2B00%3A00"
    )
    assert (status, headers["X-WP-Total"], headers["X-WP-TotalPages"], len(json.loads(body))) == (200, "25", "3", 5)


def test_a_change_dated_before_our_last_run_is_found_through_rest_when_there_is_no_sitemap(tmp_path: Path) -> None:
    site = Site(tmp_path)
    _without_sitemaps(site.root)
    site.crawl()
    changed = correct_article(site.root, GRECE)
    api = WordPressPosts([Post(f"https://{HOST}/{GRECE}/", "2022-02-01T09:00:00")])
    result, requests, _records = site.crawl(routes={"/wp-json/wp/v2/posts": api})
    assert result.returncode == 0, result.stderr[-2000:]
    (query,) = api.queries
    # The newest date the site showed at the last complete run minus 48 hours: the newest article
    # ("la Fed ouvre la voie") was modified 2022-01-27T08:15:00+00:00 (its page and the sitemap say so).
    assert query["modified_after"] == "2022-01-25T08:15:00+00:00"
    assert (query["orderby"], query["per_page"]) == ("modified", "100")
    assert articles(requests) == [changed]
    assert "exported 1 (new 0, changed 1)" in summary(result)
    assert "/feed/" not in requests  # the API answered: no fallback


def test_more_than_100_changed_posts_are_all_found(tmp_path: Path) -> None:
    site = Site(tmp_path)
    _without_sitemaps(site.root)
    new = [add_article(site.root, n) for n in range(1, 131)]
    first, _, records = site.crawl()
    assert first.returncode == 0 and len(records) == ARTICLES + 130, summary(first)
    posts = [Post(f"https://{HOST}{path}", "2022-01-20T00:00:00") for path in new]
    for n, path in enumerate(new[:120]):
        correct_article(site.root, path.strip("/"), new_modified=f"2022-06-01T{n // 60:02d}:{n % 60:02d}:00+00:00")
        posts[n] = Post(f"https://{HOST}{path}", f"2022-06-01T{n // 60:02d}:{n % 60:02d}:00")
    api = WordPressPosts(posts)
    result, requests, records = site.crawl(routes={"/wp-json/wp/v2/posts": api})
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(q["page"] for q in api.queries) == ["1", "2"]  # X-WP-TotalPages followed, never past it
    assert articles(requests) == sorted(new[:120])
    assert "exported 120 (new 0, changed 120)" in summary(result)


# -- finding 4: outputs a user can count on ---------------------------------------------------------


def test_urls_of_known_articles_are_exported_and_an_empty_run_writes_an_empty_file(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.crawl()
    nothing_new, _, _ = site.crawl()
    assert nothing_new.returncode == 0
    assert (site.outputs / "run2.jsonl").read_bytes() == b""  # -O FILE is always written
    with MirrorServer(site.root, HOST) as server:
        out = tmp_path / "one.jsonl"
        result = run_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            "-a",
            f"urls={server.url}{GRECE}/",
            *FAST,
            "-O",
            str(out),
            state=site.states / "{site}.sqlite",
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [r["url"] for r in read_jsonl(out)] == [f"https://{HOST}/{GRECE}/"]


# -- finding 5: only a complete crawl sets the baseline -------------------------------------------


def test_a_partial_run_records_its_mode_and_never_moves_the_baseline(tmp_path: Path) -> None:
    site = Site(tmp_path)
    date_sitemap_index(site.root, "2022-01-27T09:00:00+00:00")
    site.crawl("-a", "since=2022-01-26")
    _full, requests, _ = site.crawl()
    # The since= run set no baseline: the complete run still reads the post sitemap.
    assert "/wp-sitemap-posts-post-1.xml" in requests
    site.crawl("-a", "max_articles=1")
    db = sqlite3.connect(site.states / "127.0.0.1.sqlite")
    assert [m for (m,) in db.execute("SELECT mode FROM runs ORDER BY id")] == ["since", "complete", "max_articles"]
    assert db.execute("SELECT DISTINCT run_id FROM sitemaps").fetchall() == [(2,)]


# -- finding 8: debugging leaves no trace -----------------------------------------------------------


def test_scrapy_parse_writes_no_state_and_needs_no_start(tmp_path: Path) -> None:
    site = Site(tmp_path)
    env = crawl_env(site.states / "{site}.sqlite")
    with MirrorServer(site.root, HOST) as server:
        runs = [
            subprocess.run(
                [sys.executable, "-m", "scrapy.cmdline", "parse", *command, f"{server.url}{GRECE}/"],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            for command in (
                ["--spider=newspaper"],  # no other argument: the URL names the site
                ["--spider=inquirer", "-c", "parse_article", "-a", f"start={server.url}"],
            )
        ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert "Traceback" not in run.stderr
        assert "La Grèce autorise" in run.stdout  # the item was parsed
    assert not site.states.exists() or not list(site.states.iterdir())


# -- finding 9: reproducible replay ------------------------------------------------------------------


def test_replaying_a_folder_twice_gives_identical_bytes(tmp_path: Path) -> None:
    root = copy_mirror(tmp_path)
    saved = datetime(2022, 1, 28, 6, 0, tzinfo=UTC)
    for file in (root / HOST).rglob("*"):
        os.utime(file, (saved.timestamp(), saved.timestamp()))  # as wget --mirror dates what it saves
    outputs = []
    for n in range(2):
        out = tmp_path / f"{n}.jsonl"
        result = run_crawl(
            "inquirer", "-a", f"replay={root}", "-O", str(out), state=tmp_path / f"s{n}" / "{site}.sqlite"
        )
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]
    # The replay's clock is the saved files' time: relative dates resolve from it (pages/dates.py).
    assert {json.loads(line)["fetched_at"] for line in outputs[0].splitlines()} == {"2022-01-28T06:00:00+00:00"}


# -- migration ---------------------------------------------------------------------------------------


def test_a_state_file_of_the_first_format_migrates_and_keeps_what_it_knew(tmp_path: Path) -> None:
    """tests/state_files/inquirer-c19bc45.sqlite was written by the code of c19bc45 (make_first_format.py)."""
    site = Site(tmp_path)
    state = tmp_path / "old.sqlite"
    shutil.copyfile(OLD_STATE, state)
    with MirrorServer(site.root, HOST) as server:
        result = run_crawl("inquirer", "-a", f"start={server.url}", *FAST, "-O", str(tmp_path / "o.jsonl"), state=state)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    assert articles(requests) == []  # the 12 articles it exported are still known
    db = sqlite3.connect(state)
    assert [m for (m,) in db.execute("SELECT mode FROM runs ORDER BY id")] == [None, None, "complete"]
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_the_first_formats_per_spider_file_is_split_by_site(tmp_path: Path) -> None:
    legacy = tmp_path / "newspaper.sqlite"
    shutil.copyfile(OLD_STATE, legacy)
    with sqlite3.connect(legacy) as db:
        db.execute(
            "INSERT INTO articles (key, url, first_seen, last_exported) VALUES ('other.org/x', 'https://other.org/x/', 'a', 'a')"
        )
    target = tmp_path / "theinquirer.fr.sqlite"
    assert adopt_first_format(legacy, target, "theinquirer.fr")
    store = SqliteStateStore(target, "theinquirer.fr")
    assert store.known("other.org/x") is None
    assert store.known(f"theinquirer.fr/{GRECE}") is not None
    assert not adopt_first_format(legacy, tmp_path / "other.sqlite", "nobody.example")


# -- settings precedence -----------------------------------------------------------------------------


def test_the_command_line_beats_the_environment(tmp_path: Path) -> None:
    site = Site(tmp_path)
    chosen = tmp_path / "chosen" / "{site}.sqlite"
    with MirrorServer(site.root, HOST) as server:
        result = run_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            *FAST,
            "-O",
            str(tmp_path / "o.jsonl"),
            "-s",
            f"INQUIRER_STATE_PATH={chosen}",
            state=tmp_path / "env" / "{site}.sqlite",
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "chosen" / "127.0.0.1.sqlite").exists()
    assert not (tmp_path / "env").exists()
