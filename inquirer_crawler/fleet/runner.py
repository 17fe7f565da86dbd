"""Scrapyd's ``runner`` on a fleet worker: ``scrapy crawl`` of the installed project, and nothing else.

Scrapyd starts each job as ``python -m RUNNER crawl SPIDER -s … -a _job=… -a start=…``, and a
2-core worker pays each job's start-up and exit in CPU before and after the crawl (BENCHMARKS.md,
"Fleet mode"). Two costs are not the crawl's and this runner leaves them out:

- Scrapyd's own runner (``scrapyd.runner``) first looks the project up in Scrapyd's egg storage,
  which imports ``pkg_resources`` and Scrapyd's configuration: ~0.17 s of CPU a job, measured. A
  fleet worker deploys no egg (the package is installed, and scrapyd.conf's ``[settings]`` names
  its settings module, which Scrapyd passes to the job as ``SCRAPY_SETTINGS_MODULE``), so this
  runner goes straight to Scrapy's command line: the same command, the same exit status.
- Once the command has returned, its work is done and durable (the output fsync'd and renamed,
  the state committed, the site's lock released). The interpreter would then tear down every
  module and object of Scrapy, Twisted and lxml one by one: ~0.2 s of CPU, measured, for nothing.
  The runner runs the exit handlers, flushes and closes the logs and standard streams, and ends
  the process with ``os._exit``; it exits the ordinary way when a thread that is not a daemon is
  still alive, which the interpreter would wait for.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading


def _status(code: object) -> int:
    """What ``sys.exit(code)`` makes the process's exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def main() -> None:
    from scrapy.cmdline import execute

    try:
        execute()
        status = 0
    except SystemExit as done:
        status = _status(done.code)
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(status)  # the interpreter waits for those threads
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
