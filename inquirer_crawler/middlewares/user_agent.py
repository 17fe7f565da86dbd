"""A descriptive User-Agent with a way to reach whoever runs the crawler.

``USER_AGENT`` may hold ``{contact}``; it is filled from ``INQUIRER_CONTACT``: ``-s``, else the
environment variable (handy in a crontab), else the settings file (environment.py), e.g.
``inquirer-crawler/0.1 (+mailto:ops@example.org)``.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware

from inquirer_crawler.environment import setting


def user_agent(template: str, contact: str) -> str:
    return template.replace("{contact}", contact)


class ContactUserAgentMiddleware(UserAgentMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        contact = setting(crawler.settings, "INQUIRER_CONTACT")
        middleware = cls(user_agent(crawler.settings["USER_AGENT"], contact))
        return middleware
