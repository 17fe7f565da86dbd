"""The command line as a user runs it: wrong arguments fail fast with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXPECTATIONS, read_jsonl, run_crawl


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-a", "replay=/no/such/folder", "-a", "urls=https://theinquirer.fr/x/"],
            "replay: folder '/no/such/folder' does not exist",
        ),
        (["-a", "urls=ftp://theinquirer.fr/x/"], "urls: 'ftp://theinquirer.fr/x/' is not an http(s) URL"),
        (["-a", "colour=blue", "-a", "urls=https://theinquirer.fr/x/"], "unknown argument 'colour'"),
        (["-a", "_job=../../etc", "-a", "urls=https://theinquirer.fr/x/"], "_job: '../../etc' is not a job id"),
    ],
)
def test_wrong_argument_stops_at_once_with_one_line(args: list[str], message: str) -> None:
    result = run_crawl("newspaper", *args, timeout=60)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr


def test_scrapyds_job_argument_is_accepted(tmp_path: Path) -> None:
    """Scrapyd runs every job as ``scrapy crawl SPIDER -a _job=<id> …``: that must not exit 2."""
    out = tmp_path / "out.jsonl"
    result = run_crawl(
        "newspaper",
        "-a",
        "replay=fixtures",
        "-a",
        f"urls={EXPECTATIONS[0].url}",
        "-a",
        "_job=6487ec79947edab326d6db28a2d86511e8247444",
        "-O",
        str(out),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(read_jsonl(out)) == 1
