"""The command line as a user runs it: wrong arguments fail fast with one clear line."""

from __future__ import annotations

import pytest

from tests.conftest import run_crawl


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "replay=/no/such/folder", "-a", "urls=https://theinquirer.fr/x/"], "replay: folder '/no/such/folder' does not exist"),
        (["-a", "urls=ftp://theinquirer.fr/x/"], "urls: 'ftp://theinquirer.fr/x/' is not an http(s) URL"),
        (["-a", "colour=blue", "-a", "urls=https://theinquirer.fr/x/"], "unknown argument 'colour'"),
    ],
)
def test_wrong_argument_stops_at_once_with_one_line(args: list[str], message: str) -> None:
    result = run_crawl("newspaper", *args, timeout=60)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr
