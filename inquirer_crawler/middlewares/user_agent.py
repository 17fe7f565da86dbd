"""A descriptive User-Agent with a way to reach whoever runs the crawler.

``USER_AGENT`` may hold ``{contact}``; it is filled from the ``INQUIRER_CONTACT`` setting, or the
``INQUIRER_CONTACT`` environment variable (handy in a crontab), e.g.
``inquirer-crawler/0.1 (+mailto:ops@example.org)``.
"""

from __future__ import annotations

import os
from typing import Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware


def user_agent(template: str, contact: str) -> str:
    return template.replace("{contact}", contact)


class ContactUserAgentMiddleware(UserAgentMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        contact = os.environ.get("INQUIRER_CONTACT") or crawler.settings.get("INQUIRER_CONTACT", "")
        middleware = cls(user_agent(crawler.settings["USER_AGENT"], contact))
        return middleware
