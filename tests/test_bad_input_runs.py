"""Bad input, round two, end to end: crawls of a small site on 127.0.0.1 that sends what real sites
send (a windows-1251 page, a page without ``</html>``, mojibake in a body, a comment beside the post,
double-escaped entities, a gzip page without ``</html>``) and a URL that fails every run, until the
state gives it up."""

from __future__ import annotations

import gzip
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST, read_jsonl, run_crawl, validate_record
from tests.hostile_site import HOST, article, fixed, listing
from tests.mirror_server import MirrorServer

CYRILLIC = "Привет мир: новости дня"
LINKS = [
    "/b-cp1251/",
    "/b-no-html-end/",
    "/b-mojibake-body/",
    "/b-comment/",
    "/b-entities/",
    "/b-gzip-no-end/",
    "/b-always-500/",
]


def _routes() -> dict[str, Any]:
    html = "text/html"
    cp1251 = article("/b-cp1251/", CYRILLIC).replace('<meta charset="UTF-8">', '<meta charset="windows-1251">')
    no_end = article("/b-no-html-end/", "Sans fin de document").replace("</body>", "").replace("</html>", "")
    mojibake = article("/b-mojibake-body/", "Corps abîmé").replace(
        "<p>", "<p>" + "Il est allé à Paris.".encode().decode("cp1252") + "</p><p>", 1
    )
    comment = article("/b-comment/", "Un commentaire à côté").replace(
        "<article id=", "<!-- tdb template --><?php echo 1; ?><article id=", 1
    )
    entities = article("/b-entities/", "News &amp;#038; Analysis")
    gzip_no_end = gzip.compress(article("/b-gzip-no-end/", "Compressé sans fin").replace("</html>", "").encode())
    return {
        "/": fixed(200, {"Content-Type": html}, listing(LINKS).encode()),
        "/robots.txt": fixed(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/b-cp1251/": fixed(
            200,
            {"Content-Type": "text/html; charset=windows-1251"},
            cp1251.encode("windows-1251", errors="xmlcharrefreplace"),
        ),
        "/b-no-html-end/": fixed(200, {"Content-Type": html}, no_end.encode()),
        "/b-mojibake-body/": fixed(200, {"Content-Type": html}, mojibake.encode()),
        "/b-comment/": fixed(200, {"Content-Type": html}, comment.encode()),
        "/b-entities/": fixed(200, {"Content-Type": html}, entities.encode()),
        "/b-gzip-no-end/": fixed(200, {"Content-Type": html, "Content-Encoding": "gzip"}, gzip_no_end),
        "/b-always-500/": fixed(500, {"Content-Type": html}, b"oops"),
    }


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    records: dict[str, dict[str, Any]]
    requests: list[str]
    ledger: dict[str, tuple[str, str | None]]  # the state's urls table, by path


def crawl(tmp: Path, state: Path, run: int) -> Run:
    out = tmp / f"out{run}.jsonl"
    with MirrorServer(tmp, HOST, routes=_routes()) as server:
        result = run_crawl(
            "newspaper",
            "-a",
            f"start={server.url}",
            "-O",
            str(out),
            *FAST,
            "-s",
            "RETRY_TIMES=0",
            "-s",
            "INQUIRER_MAX_FAILED_RUNS=2",
            state=state,
            timeout=120,
        )
        requests = list(server.requests)
    records = {r["url"].split(HOST, 1)[1]: r for r in read_jsonl(out)} if out.exists() else {}
    for record in records.values():
        validate_record(record)
    db = sqlite3.connect(state)
    ledger = {key.split("/", 1)[1]: (s, r) for key, s, r in db.execute("SELECT key, state, reason FROM urls")}
    db.close()
    return Run(result, records, requests, ledger)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    tmp = tmp_path_factory.mktemp("round-two")
    state = tmp / "state.sqlite"
    return [crawl(tmp, state, run) for run in (1, 2)]


def test_the_runs_end_without_a_traceback(runs: list[Run]) -> None:
    for run in runs:
        assert "Traceback" not in run.result.stderr, run.result.stderr[-3000:]
        assert "spider_exceptions" not in run.result.stderr


def test_every_page_real_sites_send_is_exported(runs: list[Run]) -> None:
    assert set(runs[0].records) == {
        "/b-cp1251/",
        "/b-no-html-end/",
        "/b-mojibake-body/",
        "/b-comment/",
        "/b-entities/",
        "/b-gzip-no-end/",
    }


def test_a_windows_1251_page_reads_as_cyrillic(runs: list[Run]) -> None:  # finding 1
    assert runs[0].records["/b-cp1251/"]["title"] == CYRILLIC


def test_mojibake_in_a_body_is_repaired(runs: list[Run]) -> None:  # finding 2
    record = runs[0].records["/b-mojibake-body/"]
    assert record["body"].startswith("Il est allé à Paris.")
    assert "<p>Il est allé à Paris.</p>" in record["body_html"]


def test_a_comment_beside_the_post_costs_nothing(runs: list[Run]) -> None:  # finding 4
    record = runs[0].records["/b-comment/"]
    assert record["title"] == "Un commentaire à côté" and record["section"] == "Économie"
    assert "fields/failed" not in runs[0].result.stderr


def test_double_escaped_entities_are_decoded_once(runs: list[Run]) -> None:  # finding 7
    assert runs[0].records["/b-entities/"]["title"] == "News & Analysis"


def test_a_url_that_fails_every_run_is_given_up_after_the_bound(runs: list[Run]) -> None:  # finding 3
    first, second = runs
    assert first.ledger["b-always-500"] == ("pending", "http_500")  # worth another try next run
    assert "urls/gave_up" not in first.result.stderr
    assert second.ledger["b-always-500"] == ("failed", "http_500")  # INQUIRER_MAX_FAILED_RUNS=2
    assert re.search(r"'urls/gave_up': 1\b", second.result.stderr)
    assert "gave up after 2 failed runs (http_500)" in second.result.stderr
