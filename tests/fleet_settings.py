"""The project's settings for the fleet tests' Scrapyd jobs: the real ones, with a short fixed
delay so that six sites drain in seconds and the per-host gap can be measured against it."""

from inquirer_crawler.settings import *

DOWNLOAD_DELAY = 0.4
RANDOMIZE_DOWNLOAD_DELAY = False
AUTOTHROTTLE_ENABLED = False
CONCURRENT_REQUESTS_PER_DOMAIN = 1
LOG_LEVEL = "INFO"
