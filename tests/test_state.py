"""The state store and the run verdict as units: crash recovery at the publish step, the ledger,
the lock, and when a run counts as failed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inquirer_crawler.state.lock import RunLock, StateLocked
from inquirer_crawler.state.sqlite import SqliteStateStore as StateStore
from inquirer_crawler.state.store import ExportedRecord, RunInfo
from inquirer_crawler.state.verdict import FAILED, OK, RunFacts, judge

RECORD = ExportedRecord(
    url="https://theinquirer.fr/a/",
    post_id=1,
    published="2022-01-21T20:00:00+01:00",
    modified=None,
    content_hash="h1",
    lastmod=None,
)


def staged_run(tmp_path: Path) -> tuple[StateStore, Path, Path]:
    store = StateStore(tmp_path / "s.sqlite")
    store.begin_run(RunInfo("inquirer", "complete"))
    store.discover("theinquirer.fr/a", RECORD.url)
    store.stage("theinquirer.fr/a", RECORD)
    part, final = tmp_path / "out.jsonl.part", tmp_path / "out.jsonl"
    part.write_text('{"url": "https://theinquirer.fr/a/"}\n', "utf-8")
    return store, part, final


def test_publish_marks_exported_and_renames(tmp_path: Path) -> None:
    store, part, final = staged_run(tmp_path)
    store.publish(part, final)
    assert final.exists() and not part.exists()
    assert store.known("theinquirer.fr/a") is not None
    assert store.ledger_state("theinquirer.fr/a") == "exported"


def test_kill_between_commit_and_rename_is_rolled_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, part, final = staged_run(tmp_path)

    def killed(*_: object) -> None:
        raise SystemExit("SIGKILL here")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(SystemExit):
        store.publish(part, final)
    monkeypatch.undo()
    store.close()
    reopened = StateStore(tmp_path / "s.sqlite")
    assert reopened.recover() == {"renamed": 1, "requeued": 0}
    assert final.exists() and not part.exists()
    assert reopened.known("theinquirer.fr/a") is not None


def test_kill_before_publishing_requeues_the_staged_records(tmp_path: Path) -> None:
    store, _part, _ = staged_run(tmp_path)
    store.close()  # killed while the file was still being written
    reopened = StateStore(tmp_path / "s.sqlite")
    assert reopened.recover() == {"renamed": 0, "requeued": 1}
    assert reopened.pending() == [("theinquirer.fr/a", "https://theinquirer.fr/a/")]
    assert reopened.known("theinquirer.fr/a") is None


def test_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    import subprocess
    import sys

    lock = RunLock(tmp_path / "s.sqlite")
    lock.acquire()
    try:
        code = (
            "import sys; from pathlib import Path; from inquirer_crawler.state.lock import RunLock, StateLocked\n"
            f"try:\n    RunLock(Path({str(tmp_path / 's.sqlite')!r})).acquire()\nexcept StateLocked as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert other.returncode == 3 and "another crawl is running" in other.stdout
    finally:
        lock.release()
    RunLock(tmp_path / "s.sqlite").acquire()  # free again once released
    assert StateLocked


def facts(**values: object) -> RunFacts:
    base = RunFacts(
        responses=20, successes=20, articles_parsed=10, exported=10, field_filled={"author": 10, "section": 10}
    )
    for key, value in values.items():
        setattr(base, key, value)
    return base


USUAL = [{"records": 10, "with_author": 10, "with_section": 10}] * 3


@pytest.mark.parametrize(
    ("run", "status", "why"),
    [
        (facts(), OK, "ok"),
        (facts(articles_parsed=0, exported=0), OK, "ok"),  # nothing new
        (facts(exported=8, dropped={"missing_body": 1}, responses=21, successes=20), OK, "ok"),  # some pages failed
        (facts(successes=0, exported=0, articles_parsed=0), FAILED, "the site did not answer"),
        (facts(responses=0, successes=0, articles_parsed=0, exported=0), FAILED, "the site did not answer"),
        (facts(exported=0, dropped={"duplicate": 10}), FAILED, "every article was dropped"),
        (facts(exported=3, dropped={"missing_title": 7}), FAILED, "layout drift: 7 of 10"),
        (facts(field_filled={"section": 10}), FAILED, "no page had an author"),
        (facts(write_error="out.jsonl: No space left on device"), FAILED, "the output could not be written"),
        (facts(site_refused="robots.txt answered 503"), FAILED, "robots.txt answered 503"),
    ],
)
def test_verdict(run: RunFacts, status: int, why: str) -> None:
    verdict = judge(run, USUAL)
    assert verdict.status == status and why in verdict.why


def test_a_field_never_seen_before_is_no_drift() -> None:
    assert judge(facts(field_filled={"section": 10}), []).status == OK
