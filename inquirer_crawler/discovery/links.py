"""The links a crawl follows: the URL policy's decision, counted, and an article link it refuses
reported to the URL outcomes with the reason (so that every discovered article URL is accounted for)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urljoin

from inquirer_crawler.discovery.policy import UrlPolicy
from inquirer_crawler.state.outcomes import UrlOutcomes

# How a refused article link ends in the run's ledger.
REFUSED_AS = {
    "offsite": "failed",
    "bad_scheme": "failed",
    "userinfo": "failed",
    "url_too_long": "failed",
    "non_public_ip": "failed",
    "media": "skipped",
    "not_article": "skipped",
}
LEDGER_REASON = {"not_article": "not_an_article_link"}


class LinkFilter:
    def __init__(self, policy: UrlPolicy, outcomes: Callable[[], UrlOutcomes], stat: Callable[[str], None]) -> None:
        self.policy = policy
        self._outcomes = outcomes  # resolved at use: the state opens after the spider is built
        self._stat = stat

    def follow(self, hrefs: list[str], base: str, page: bool = True, article: bool = False) -> Iterator[str]:
        """The links the URL policy lets through; an article link it refuses is settled with the reason."""
        for href in hrefs:
            url, reason = self.policy.decide(href, base, page)
            if url:
                yield url
                continue
            self._stat(f"links/skipped/{reason}")
            if article and reason in REFUSED_AS:
                self._outcomes().not_requested(
                    _absolute(href, base), REFUSED_AS[reason], LEDGER_REASON.get(reason, reason)
                )


def _absolute(href: str, base: str) -> str:
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return href
