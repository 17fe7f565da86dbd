"""The fleet's Scrapyd runner (fleet/runner.py) is ``scrapy crawl`` itself: the crawl command's exit
statuses come through it, as Scrapyd records them. (The Scrapyd tests, test_fleet_e2e.py, run
every job through it: the shipped scrapyd.conf names it.)"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_the_shipped_scrapyd_config_runs_jobs_with_the_fleet_runner() -> None:
    config = configparser.ConfigParser()
    config.read_string(resources.files("inquirer_crawler.fleet").joinpath("scrapyd.conf").read_text("utf-8"))
    assert config["scrapyd"]["runner"] == "inquirer_crawler.fleet.runner"


def test_the_runner_exits_with_the_crawl_commands_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INQUIRER_", "SCRAPY_"))}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        SCRAPY_PROJECT="inquirer_crawler",
        SCRAPY_SETTINGS_MODULE="inquirer_crawler.settings",
        INQUIRER_STATE_PATH=str(tmp_path / "{site}.sqlite"),
    )

    def runner(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "inquirer_crawler.fleet.runner", "crawl", "newspaper", *args],
            cwd=tmp_path,  # as Scrapyd runs it: from its own folder, not the project's
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    wrong = runner("-a", "start=http://127.0.0.1:9/", "-a", "_job=../x")
    assert wrong.returncode == 2 and "error: _job: '../x' is not a job id" in wrong.stderr
    env["INQUIRER_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:9/none"
    down = runner("-a", "start=http://127.0.0.1:9/", "-a", "_job=job-1")
    assert down.returncode == 75
    assert down.stderr.strip().splitlines()[-1].startswith("error: the fleet database cannot be reached")
