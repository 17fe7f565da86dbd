"""The project's settings for the fleet benchmark's Scrapyd jobs: the real ones, with the 1 s
per-site delay fixed (no AutoThrottle start delay, no randomisation) so that the drain time is
the delay's and the one- and two-worker runs are comparable."""

from inquirer_crawler.settings import *

DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = False
AUTOTHROTTLE_ENABLED = False
