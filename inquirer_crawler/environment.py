"""Settings a crontab may give in the environment, in Scrapy's order of precedence:
the command line (``-s NAME=…``) over the environment over the settings file.

Scrapy reads no environment variable for a project's own settings, so the two that cron users
set there (``INQUIRER_STATE_PATH``, ``INQUIRER_CONTACT``) are read through ``setting``.
"""

from __future__ import annotations

import os

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

FROM_ENVIRONMENT = (
    "INQUIRER_STATE_PATH",
    "INQUIRER_CONTACT",
    # fleet mode: what a worker's Scrapyd passes to every crawl (README "Fleet")
    "INQUIRER_DATABASE_URL",
    "INQUIRER_OUTPUT",
    "INQUIRER_NODE",
)


def setting(settings: BaseSettings, name: str) -> str:
    """``name``'s value: from ``-s`` when given there, else from the environment, else the settings."""
    given = settings.getpriority(name) or 0
    from_environment = os.environ.get(name)
    if from_environment and given < SETTINGS_PRIORITIES["cmdline"]:
        return from_environment
    return str(settings.get(name) or "")
