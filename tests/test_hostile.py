"""Hostile sites and bad input (RELIABILITY-NOTES §4): one crawl of a site that holds most of the
catalogue at once, then one test per case reading how that URL ended in the run's ledger.

Every case must end in a known state with the expected reason; the crawl must not crash, every
output line must be complete, schema-valid JSON, and the log must hold no traceback.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST, REPO_ROOT, crawl_command, crawl_env, read_jsonl, validate_record
from tests.hostile_site import (
    HOST,
    MAX_SIZE,
    article,
    bombs,
    fixed,
    hang_after_headers,
    huge_declared,
    huge_undeclared,
    listing,
    lying_length,
    slow_drip,
)
from tests.mirror_server import MirrorServer

LONG = "/a-" + "x" * 2100 + "/"
HOME_LINKS = [
    "/a-ok/",
    "/a-ok/?utm_source=twitter&fbclid=abc",
    "/a-ok/#comments",
    "/a-ok",
    "/a-404/",
    "/a-410/",
    "/a-500/",
    "/a-429-then-ok/",
    "/a-503-retry-after-long/",
    "/a-pdf/",
    "/a-png/",
    "/a-empty/",
    "/a-truncated-gzip/",
    "/a-lying-length/",
    "/a-huge-declared/",
    "/a-huge-undeclared/",
    "/a-gzip-bomb/",
    "/a-brotli-bomb/",
    "/a-slow-drip/",
    "/a-hang/",
    "/a-loop-a/",
    "/a-redirect-file/",
    "/a-latin1/",
    "/a-cp1252-declared-utf8/",
    "/a-mojibake/",
    "/a-future/",
    "/a-1970/",
    "/a-no-title/",
    "/a-no-date/",
    "/a-no-body/",
    "/a-referrer-policy/",
    "/a-disallowed/",
    "/a-nested/",
    "/a-meta-refresh/",
    "/a-cycle-1/",
    "/a-scripts/",
    "/a-unicode/",
    "https://other.example/x/",
    "javascript:alert(1)",
    "mailto:redaction@hostile.test",
    "tel:+33100000000",
    "data:text/html,<h1>x</h1>",
    "ftp://127.0.0.1/x/",
    "file:///etc/passwd",
    LONG,
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/a/",
    "/photo.jpg",
    "/tag/economie/",
]


@dataclass
class Sweep:
    result: subprocess.CompletedProcess[str]
    records: dict[str, dict[str, Any]]  # by path
    outcomes: dict[str, tuple[str, str | None]]  # ledger, by path without the trailing slash
    requests: Counter[str]
    times: list[tuple[float, str]]
    peak_rss_mb: float
    port: int

    def outcome(self, url: str) -> tuple[str, str | None]:
        """A link as written on the hostile home page -> its ledger entry (site host + path)."""
        if "://" not in url:
            url = f"127.0.0.1{url}"
        key = url.split("://", 1)[-1].split("?")[0].split("#")[0].rstrip("/")
        return self.outcomes[key]


def _pages(root: Path) -> None:
    site = root / HOST
    site.mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /a-disallowed/\n", "utf-8")
    (site / "index.html").write_text(listing(HOME_LINKS), "utf-8")

    def page(path: str, html: str | bytes) -> None:
        target = site / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(html if isinstance(html, bytes) else html.encode("utf-8"))

    page("/a-ok/", article("/a-ok/", "Un article sans histoire"))
    page("/a-disallowed/", article("/a-disallowed/", "Interdit"))
    latin = article("/a-latin1/", "Été à Montréal").replace('<meta charset="UTF-8">', "")
    page("/a-latin1/", latin.encode("latin-1", errors="replace"))
    page("/a-mojibake/", article("/a-mojibake/", "Été à Montréal".encode().decode("cp1252")))
    page("/a-future/", article("/a-future/", "Venu du futur", published="2031-05-01T10:00:00+00:00"))
    page("/a-1970/", article("/a-1970/", "Epoch", published="1970-01-01T00:00:00+00:00"))
    no_title = article("/a-no-title/", "XXTITLEXX")
    no_title = re.sub(
        r"<title>.*?</title>|<h1\b.*?</h1>|<meta property=\"og:title\"[^>]*>", "", no_title, flags=re.DOTALL
    )
    page("/a-no-title/", re.sub(r'"headline":"[^"]*",', "", no_title).replace("XXTITLEXX", ""))
    no_date = re.sub(
        r'<meta property="article:(published|modified)_time"[^>]*>', "", article("/a-no-date/", "Sans date")
    )
    no_date = re.sub(r'<script type="application/ld\+json".*?</script>', "", no_date, flags=re.DOTALL)
    no_date = re.sub(r'<meta itemprop="date(Published|Modified)"[^>]*>', "", no_date)
    page("/a-no-date/", re.sub(r"<time[^>]*>.*?</time>", "", no_date, flags=re.DOTALL))
    no_body = re.sub(
        r'(<div class="tdb-block-inner td-fix-index">)(?:(?!</div>).)*?<p>.*?(?=<div class="td_block_wrap tdb_single_tags)',
        r"\1</div></div>",
        article("/a-no-body/", "Sans corps"),
        flags=re.DOTALL,
    )
    page("/a-no-body/", no_body)
    page("/a-nested/", "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>")
    page(
        "/a-meta-refresh/",
        '<html><head><meta http-equiv="refresh" content="0;url=http://evil.example/">'
        "</head><body><p>Redirection</p></body></html>",
    )
    page("/a-cycle-1/", article("/a-cycle-1/", "Cycle un", next_="/a-cycle-2/"))
    page("/a-cycle-2/", article("/a-cycle-2/", "Cycle deux", previous="/a-cycle-1/", next_="/a-cycle-1/"))
    scripts = article("/a-scripts/", "Scripts dans le corps").replace(
        "<p>",
        '<p><script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">lien</a>'
        '<iframe src="https://evil.example/"></iframe><style>p{}</style>',
        1,
    )
    page("/a-scripts/", scripts)
    page("/a-unicode/", article("/a-unicode/", "Titre\u200b piégé\u202e\ufeff\u2028 ici"))


def _routes() -> dict[str, Any]:
    tries: Counter[str] = Counter()
    ok = article("/a-429-then-ok/", "Patience récompensée").encode()

    def too_many_then_ok(path: str) -> tuple[int, dict[str, str], bytes]:
        tries[path] += 1
        if tries[path] == 1:
            return 429, {"Retry-After": "1", "Content-Type": "text/html"}, b"slow down"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, ok

    cp1252 = article("/a-cp1252-declared-utf8/", "Œuvre citée à Noël").encode("cp1252")
    routes: dict[str, Any] = {
        "/a-404/": fixed(404, {"Content-Type": "text/html"}, b"gone"),
        "/a-410/": fixed(410, {"Content-Type": "text/html"}, b"gone for good"),
        "/a-500/": fixed(500, {"Content-Type": "text/html"}, b"oops"),
        "/a-429-then-ok/": too_many_then_ok,
        "/a-503-retry-after-long/": fixed(503, {"Retry-After": "120", "Content-Type": "text/html"}, b"later"),
        "/a-pdf/": fixed(200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 \xe4\xf6\xfc binary"),
        "/a-png/": fixed(200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
        "/a-empty/": fixed(200, {"Content-Type": "text/html"}, b""),
        "/a-loop-a/": fixed(302, {"Location": "/a-loop-b/"}),
        "/a-loop-b/": fixed(302, {"Location": "/a-loop-a/"}),
        "/a-redirect-file/": fixed(302, {"Location": "file:///etc/passwd"}),
        "/a-cp1252-declared-utf8/": fixed(200, {"Content-Type": "text/html; charset=utf-8"}, cp1252),
        "/a-referrer-policy/": fixed(
            200,
            {"Content-Type": "text/html", "Referrer-Policy": "sys.exit"},
            article("/a-referrer-policy/", "Politique de référent").encode(),
        ),
    }
    routes.update({path: fixed(*answer) for path, answer in bombs().items()})
    return routes


RAW = {
    "/a-lying-length/": lying_length,
    "/a-huge-declared/": huge_declared,
    "/a-huge-undeclared/": huge_undeclared,
    "/a-slow-drip/": slow_drip,
    "/a-hang/": hang_after_headers,
}
SETTINGS = [
    "-s",
    "DOWNLOAD_TIMEOUT=2",
    "-s",
    "RETRY_TIMES=1",
    "-s",
    "RETRY_AFTER_MAX=3",
    "-s",
    f"DOWNLOAD_MAXSIZE={MAX_SIZE}",
    "-s",
    f"DOWNLOAD_WARNSIZE={MAX_SIZE // 2}",
    "-s",
    "CONCURRENT_REQUESTS=16",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
]
# Runs the crawl as a child and reports the child's peak RSS (ru_maxrss, KiB on Linux).
MEASURE = (
    "import resource, subprocess, sys; sys.exit(subprocess.call(sys.argv[1:])) if False else None\n"
    "rc = subprocess.call(sys.argv[1:]); print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    tmp = tmp_path_factory.mktemp("hostile")
    _pages(tmp / "mirror")
    state, out = tmp / "state.sqlite", tmp / "out.jsonl"
    with MirrorServer(tmp / "mirror", HOST, routes=_routes(), raw_routes=RAW) as server:
        command = [
            sys.executable,
            "-c",
            MEASURE,
            *crawl_command("newspaper", "-a", f"start={server.url}", "-O", str(out), *FAST, *SETTINGS),
        ]
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=crawl_env(state), capture_output=True, text=True, timeout=240, check=False
        )
        requests, times, port = (
            Counter(server.requests),
            list(server.times),
            int(server.url.rsplit(":", 1)[1].strip("/")),
        )
    records = {r["url"].split(HOST, 1)[1]: r for r in read_jsonl(out)} if out.exists() else {}
    db = sqlite3.connect(state)
    outcomes = {key: (state_, reason) for key, state_, reason in db.execute("SELECT key, state, reason FROM run_urls")}
    peak = int(re.search(r"PEAK_RSS_KB (\d+)", result.stderr).group(1)) / 1024  # type: ignore[union-attr]
    return Sweep(result, records, outcomes, requests, times, peak, port)


# -- the crawl as a whole ---------------------------------------------------------------------------


def test_sweep_ends_cleanly_without_a_traceback(sweep: Sweep) -> None:
    assert sweep.result.returncode == 0, sweep.result.stderr[-3000:]
    assert "Traceback" not in sweep.result.stderr
    assert "spider_exceptions" not in sweep.result.stderr


def test_every_output_line_is_complete_schema_valid_json(
    sweep: Sweep, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for record in sweep.records.values():
        validate_record(record)
    assert set(sweep.records) == {
        "/a-ok/",
        "/a-429-then-ok/",
        "/a-latin1/",
        "/a-cp1252-declared-utf8/",
        "/a-mojibake/",
        "/a-referrer-policy/",
        "/a-cycle-1/",
        "/a-cycle-2/",
        "/a-scripts/",
        "/a-unicode/",
    }


def test_every_discovered_url_is_accounted_for_with_a_reason(sweep: Sweep) -> None:
    summary = next(line for line in sweep.result.stderr.splitlines() if "crawl summary:" in line)
    counts = re.search(r"discovered (\d+) = exported (\d+) \+ failed (\d+) \+ skipped (\d+) \+ pending (\d+)", summary)
    assert counts is not None
    discovered, exported, failed, skipped, pending = map(int, counts.groups())
    assert discovered == exported + failed + skipped + pending == len(sweep.outcomes)
    assert pending == 0
    assert all(reason for state, reason in sweep.outcomes.values() if state in ("failed", "skipped"))


def test_peak_memory_through_the_bombs_stays_under_300_mb(sweep: Sweep) -> None:
    assert sweep.peak_rss_mb < 300


# -- one case at a time ------------------------------------------------------------------------------

CASES = [
    # (catalogue row, path, state, reason)
    (17, "/a-404/", "failed", "http_404"),
    (17, "/a-410/", "failed", "http_410"),
    (20, "/a-500/", "failed", "http_500"),
    (19, "/a-503-retry-after-long/", "failed", "retry_after_too_long"),
    (24, "/a-pdf/", "failed", "non_html"),
    (24, "/a-png/", "failed", "non_html"),
    (28, "/a-empty/", "failed", "empty_body"),
    (3, "/a-truncated-gzip/", "failed", "truncated_body"),
    (2, "/a-lying-length/", "failed", "data_loss"),
    (7, "/a-huge-declared/", "failed", "too_large"),
    (8, "/a-huge-undeclared/", "failed", "too_large"),
    (9, "/a-gzip-bomb/", "failed", "decompression_bomb"),
    (10, "/a-brotli-bomb/", "failed", "decompression_bomb"),
    (21, "/a-slow-drip/", "failed", "timeout"),
    (22, "/a-hang/", "failed", "timeout"),
    (11, "/a-loop-a/", "failed", "redirect_loop"),
    (12, "/a-redirect-file/", "failed", "bad_redirect"),
    (31, "/a-future/", "failed", "date_in_future"),
    (31, "/a-1970/", "failed", "date_implausible"),
    (29, "/a-no-title/", "failed", "missing_title"),
    (29, "/a-no-date/", "failed", "missing_published"),
    (29, "/a-no-body/", "failed", "missing_body"),
    (25, "/a-disallowed/", "failed", "robots_disallowed"),
    (34, "https://other.example/x/", "failed", "offsite"),
    (35, "http://169.254.169.254/latest/meta-data/", "failed", "offsite"),
    (35, "http://10.0.0.1/a/", "failed", "offsite"),
    (37, LONG, "failed", "url_too_long"),
    (48, "/a-meta-refresh/", "failed", "not_article"),
    (32, "/photo.jpg", "skipped", "media"),
    (32, "/tag/economie/", "skipped", "not_an_article_link"),
]


@pytest.mark.parametrize(("row", "path", "state", "reason"), CASES, ids=[f"row{c[0]}-{c[1][:40]}" for c in CASES])
def test_case_ends_in_its_known_state(sweep: Sweep, row: int, path: str, state: str, reason: str) -> None:
    assert sweep.outcome(path) == (state, reason)


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "mailto:redaction@hostile.test",
        "tel:+33100000000",
        "data:text/html,<h1>x</h1>",
        "ftp://127.0.0.1/x/",
        "file:///etc/passwd",
    ],
)
def test_non_http_links_are_never_requested(sweep: Sweep, href: str) -> None:  # rows 12, 36
    assert not [p for p in sweep.requests if "passwd" in p or p.startswith("/x/")]
    assert "links/skipped/bad_scheme" in sweep.result.stderr


def test_429_with_retry_after_waits_then_succeeds(sweep: Sweep) -> None:  # row 18
    hits = [t for t, p in sweep.times if p == "/a-429-then-ok/"]
    assert len(hits) == 2 and hits[1] - hits[0] >= 0.9
    assert sweep.records["/a-429-then-ok/"]["title"] == "Patience récompensée"


def test_retry_after_above_the_cap_is_not_retried(sweep: Sweep) -> None:  # row 19
    assert sweep.requests["/a-503-retry-after-long/"] == 1


def test_5xx_is_retried_then_given_up(sweep: Sweep) -> None:  # row 20
    assert sweep.requests["/a-500/"] == 2  # RETRY_TIMES=1
    assert sweep.requests["/a-404/"] == 1 and sweep.requests["/a-410/"] == 1  # final, never retried


def test_robots_disallowed_page_is_never_fetched(sweep: Sweep) -> None:  # row 25
    assert sweep.requests["/a-disallowed/"] == 0


def test_latin1_and_cp1252_pages_read_as_french(sweep: Sweep) -> None:  # rows 4, 5
    assert sweep.records["/a-latin1/"]["title"] == "Été à Montréal"
    assert sweep.records["/a-cp1252-declared-utf8/"]["title"] == "Œuvre citée à Noël"
    for record in sweep.records.values():
        assert "\ufffd" not in json.dumps(record, ensure_ascii=False)


def test_mojibake_is_repaired(sweep: Sweep) -> None:  # row 6
    assert sweep.records["/a-mojibake/"]["title"] == "Été à Montréal"


def test_same_article_under_several_urls_is_one_record(sweep: Sweep) -> None:  # row 32
    assert list(sweep.records).count("/a-ok/") == 1
    assert sweep.outcome("/a-ok/") == ("exported", None)


def test_prev_next_cycle_exports_each_article_once(sweep: Sweep) -> None:  # row 14
    assert sweep.requests["/a-cycle-1/"] == 1 and sweep.requests["/a-cycle-2/"] == 1


def test_malicious_referrer_policy_header_is_ignored(sweep: Sweep) -> None:  # row 44
    assert "/a-referrer-policy/" in sweep.records


def test_scripts_and_event_handlers_never_reach_body_html(sweep: Sweep) -> None:  # row 38
    html = sweep.records["/a-scripts/"]["body_html"]
    for bad in ("<script", "onerror", "javascript:", "<iframe", "<style", "alert("):
        assert bad not in html


def test_invisible_and_line_separator_characters_leave_titles(sweep: Sweep) -> None:  # row 39
    assert sweep.records["/a-unicode/"]["title"] == "Titre piégé ici"


def test_deeply_nested_page_is_handled_within_the_crawl(sweep: Sweep) -> None:  # row 47
    # Parsed (1.1 MB, under the size limit): too deep to be an article, dropped with its reason.
    assert sweep.outcome("/a-nested/") in (("failed", "parse_error"), ("failed", "not_article"))


def test_meta_refresh_is_not_followed(sweep: Sweep) -> None:  # row 48
    assert "evil.example" not in " ".join(sweep.requests)
