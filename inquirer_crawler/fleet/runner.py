"""Scrapyd's ``runner`` on a fleet worker: ``scrapy crawl`` of the installed project, and nothing else.

Scrapyd starts each job as ``python -m RUNNER crawl SPIDER -s … -a _job=… -a start=…``. Its own
runner (``scrapyd.runner``) first looks the project up in Scrapyd's egg storage, which imports
``pkg_resources`` and Scrapyd's configuration: measured, ~0.17 s of CPU a job before the crawl
begins, on a 2-core worker that starts one job a site run. A fleet worker deploys no egg (the
package is installed, and scrapyd.conf's ``[settings]`` names its settings module, which Scrapyd
passes to the job as ``SCRAPY_SETTINGS_MODULE``), so this runner goes straight to Scrapy's
command line: the same command, the same exit status (0, 1, 2, 75).
"""

from __future__ import annotations


def main() -> None:
    from scrapy.cmdline import execute

    execute()


if __name__ == "__main__":
    main()
