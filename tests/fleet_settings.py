"""The project's settings for the fleet tests' Scrapyd jobs: the real ones, with a short fixed
delay so that six sites drain in seconds and the per-host gap can be measured against it, and
the download handler that logs when each request is sent (tests/send_log.py) to the file its
worker names in TESTS_SEND_LOG."""

import os

from inquirer_crawler.settings import *

DOWNLOAD_DELAY = 0.2
RANDOMIZE_DOWNLOAD_DELAY = False
AUTOTHROTTLE_ENABLED = False
CONCURRENT_REQUESTS_PER_DOMAIN = 1
LOG_LEVEL = "INFO"
DOWNLOAD_HANDLERS = {"http": "tests.send_log.LoggedHTTPDownloadHandler"}
TESTS_SEND_LOG = os.environ.get("TESTS_SEND_LOG")  # set by ScrapydWorker
