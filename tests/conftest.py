"""Shared test helpers: the fixture folders, the hand-checked expectations, one replay crawl."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

# The suite runs in SQLite mode (fleet mode's point 5: unchanged without a database); the fleet
# tests give their crawls a database of their own.
os.environ.pop("INQUIRER_DATABASE_URL", None)
# The crawls, Scrapyd and the fleet commands the tests start are new Python processes (~120 of
# them): let them keep the project's compiled modules in __pycache__ (git ignores it) instead
# of compiling every module of inquirer_crawler again in each, as they do when the environment
# says PYTHONDONTWRITEBYTECODE.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
SCHEMA = json.loads((REPO_ROOT / "schema" / "article.schema.json").read_text("utf-8"))


@dataclass(frozen=True)
class Expectation:
    name: str
    data: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.data["fixture_url"])


def load_expectations() -> list[Expectation]:
    return [Expectation(p.stem, json.loads(p.read_text("utf-8"))) for p in sorted(EXPECTED_DIR.glob("*.json"))]


EXPECTATIONS = load_expectations()


def run_crawl(
    *args: str, cwd: Path = REPO_ROOT, timeout: int = 180, state: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl …`` as a user runs it, in a subprocess. The cron state goes to ``state``,
    or to a fresh temporary file, never to the repository's .state/."""
    if state is None:
        state = Path(tempfile.mkdtemp(prefix="inquirer-state-")) / "state.sqlite"
    return subprocess.run(
        crawl_command(*args),
        cwd=cwd,
        env=crawl_env(state),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_crawl(*args: str, state: Path | str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """``scrapy crawl …`` started in the background (to be killed, or raced by a second run), its
    cron state in ``state`` (a path, or a ``{site}`` template)."""
    return subprocess.Popen(
        crawl_command(*args), cwd=REPO_ROOT, env=crawl_env(state), stdout=subprocess.DEVNULL, stderr=stderr, text=True
    )


def crawl_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "scrapy.cmdline", "crawl", *args]


def crawl_env(state: Path | str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "INQUIRER_STATE_PATH": str(state)}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    assert not raw or raw.endswith(b"\n"), "the last line is torn"
    return [json.loads(line) for line in raw.decode("utf-8").split("\n") if line]


def published_records(folder: Path) -> list[dict[str, Any]]:
    """Every record of every finished output file under ``folder`` (a reader sees only ``*.jsonl``),
    each checked against the schema, in file order."""
    return [record for path in sorted(folder.rglob("*.jsonl")) for record in map(_validated, read_jsonl(path))]


def _validated(record: dict[str, Any]) -> dict[str, Any]:
    validate_record(record)
    return record


@cache
def _record_validator() -> Any:
    """The schema checked once (what jsonschema.validate does on every call), then reused."""
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, format_checker=jsonschema.FormatChecker())


def validate_record(record: dict[str, Any]) -> None:
    _record_validator().validate(record)


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture(scope="session")
def replay_output(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every article fixture with an expectation, through the real spider, pipelines and feed export:
    the README's offline command."""
    out = tmp_path_factory.mktemp("replay") / "out.jsonl"
    urls = ",".join(e.url for e in EXPECTATIONS)
    result = run_crawl("newspaper", "-a", "replay=fixtures", "-a", f"urls={urls}", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return read_jsonl(out)


@pytest.fixture(scope="session")
def replay_records(replay_output: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in replay_output}


def build_pipelines() -> tuple[Any, list[Any]]:
    """(crawler, pipelines) built from the project's ITEM_PIPELINES, in their order."""
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object
    from scrapy.utils.test import get_crawler

    settings = Settings()
    settings.setmodule("inquirer_crawler.settings", priority="project")
    # The extensions too: the dedupe step asks the run's state (RunState) what earlier runs exported.
    crawler = get_crawler(settings_dict={k: settings[k] for k in ("ITEM_PIPELINES", "EXTENSIONS")})
    crawler.stats.open_spider()
    ordered = sorted(settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1])
    return crawler, [load_object(path).from_crawler(crawler) for path, _ in ordered]


def run_pipelines(item: Any, pipelines: list[Any] | None = None) -> Any:
    if pipelines is None:
        pipelines = build_pipelines()[1]
    for pipeline in pipelines:
        item = pipeline.process_item(item)
    return item


# Fast and deterministic against 127.0.0.1; politeness has tests of its own.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


@dataclass
class ServedCrawl:
    result: subprocess.CompletedProcess[str]
    records: list[dict[str, Any]]
    requests: list[str]

    def summary(self) -> str:
        return next((line for line in self.result.stderr.splitlines() if "crawl summary:" in line), "")


def crawl_mirror(
    tmp_path: Path, spider: str, *args: str, host: str = "theinquirer.fr", root: Path = FIXTURES
) -> ServedCrawl:
    """Serve a mirror on 127.0.0.1, crawl it with ``-a start=`` in a subprocess, return records and requests."""
    from tests.mirror_server import MirrorServer

    out = tmp_path / "out.jsonl"
    with MirrorServer(root, host) as server:
        result = run_crawl(spider, "-a", f"start={server.url}", "-O", str(out), *FAST, *args)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[result.stderr.index("Traceback") :][:3000]
    records = read_jsonl(out) if out.exists() else []
    for record in records:
        validate_record(record)
    return ServedCrawl(result, records, requests)


# -- fleet mode: a real PostgreSQL 15, started once for the session when a test asks for it ------


_DATABASES = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Any:
    """The session's PostgreSQL server (tests/postgres_server.py); stopped and deleted at the end."""
    from tests.postgres_server import PostgresServer

    with PostgresServer() as server:
        yield server


@pytest.fixture
def fleet_dsn(postgres: Any, request: pytest.FixtureRequest) -> str:
    """A new database with the fleet's tables, for one test."""
    import re

    from inquirer_crawler.fleet.database import connect, set_up

    name = f"t{next(_DATABASES)}_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    dsn = postgres.create_database(name)
    with connect(dsn, autocommit=True) as db:
        set_up(db)
    return dsn


# -- the test workers (pytest-xdist: -n in pyproject's addopts) ------------------------------------

# Files whose tests share a module-scoped fixture that costs seconds (a crawl, a generated mirror,
# the parsed real pages): each runs whole on one worker, so that its fixture is built once. Every
# other test goes on its own to whichever worker is free.
WHOLE_FILES = frozenset(
    {"tests/test_hostile.py", "tests/test_bad_input_runs.py", "tests/test_simple_css.py", "tests/test_make_mirror.py"}
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        """xdist's scope scheduling, with a scope per test but for the files above (a scope per file).
        Scopes go out largest first (the files above), then in collection order."""

        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return file if file in WHOLE_FILES else nodeid

    return SharedFixtureScheduling(config, log)
