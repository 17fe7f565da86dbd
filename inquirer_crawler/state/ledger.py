"""The run's account of every article URL it discovered: each ends in exactly one known state.

    discovered = exported + failed + skipped + pending

``failed`` and ``skipped`` carry a reason from a closed list; ``pending`` is what was requested and
never answered (a closed or killed run): the cron state keeps those for the next run. The spider
reports each decision; the summary and the run's verdict read the totals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FAILED_REASONS = frozenset(
    {
        "http_404",
        "http_410",
        "http_403",
        "http_401",
        "http_429",
        "http_500",
        "http_502",
        "http_503",
        "http_504",
        "timeout",
        "dns_error",
        "connection_refused",
        "connection_lost",
        "data_loss",
        "tls_error",
        "too_large",
        "decompression_bomb",
        "non_html",
        "empty_body",
        "truncated_body",
        "robots_disallowed",
        "robots_unavailable",
        "retry_after_too_long",
        "non_public_ip",
        "offsite",
        "bad_scheme",
        "userinfo",
        "url_too_long",
        "not_article",
        "unanswered",
        "parse_error",
        "missing_title",
        "missing_body",
        "missing_published",
        "date_in_future",
        "date_implausible",
        "schema_invalid",
        "redirect_loop",
        "bad_redirect",
        "ignored",
        "http_4xx",
        "http_5xx",
        "error",
    }
)
SKIPPED_REASONS = frozenset(
    {
        "duplicate_of",
        "unchanged",
        "known_unchanged",
        "before_since",
        "other_section",
        "media",
        "not_an_article_link",
        "alias_of_canonical",
        "outlinks_truncated",
    }
)
_REQUESTED = "requested"


def http_reason(status: int) -> str:
    known = f"http_{status}"
    if known in FAILED_REASONS:
        return known
    if status < 400:
        return "bad_redirect"  # a redirect Scrapy refused to follow (file://, data:, ftp:, …)
    return "http_4xx" if status < 500 else "http_5xx"


@dataclass
class RunLedger:
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def discover(self, key: str) -> bool:
        """A URL the run will request; False when it was already discovered."""
        if key in self.states:
            return False
        self.states[key] = (_REQUESTED, None)
        return True

    def reopen(self, key: str) -> bool:
        """A URL this run passed over as known and unchanged (never requested), which a change source
        read later says changed: requested after all. False for any other outcome, which stands."""
        if self.states.get(key) != ("skipped", "known_unchanged"):
            return False
        self.states[key] = (_REQUESTED, None)
        return True

    def settle(self, key: str, state: str, reason: str | None = None) -> None:
        """The URL's outcome. The first outcome stands, except that an export beats anything."""
        assert state in ("exported", "failed", "skipped"), state
        current = self.states.get(key, (_REQUESTED, None))[0]
        if current == _REQUESTED or state == "exported":
            self.states[key] = (state, reason)

    def counts(self) -> dict[str, int]:
        """Totals and totals per reason: ``failed/timeout``, ``skipped/duplicate_of``, …"""
        totals: Counter[str] = Counter(discovered=len(self.states))
        for state, reason in self.states.values():
            name = "pending" if state == _REQUESTED else state
            totals[name] += 1
            if reason:
                totals[f"{name}/{reason}"] += 1
        for name in ("exported", "failed", "skipped", "pending"):
            totals.setdefault(name, 0)
        return dict(totals)

    def balanced(self) -> bool:
        c = self.counts()
        return c["discovered"] == c["exported"] + c["failed"] + c["skipped"] + c["pending"]

    def pending_keys(self) -> list[str]:
        return [key for key, (state, _) in self.states.items() if state == _REQUESTED]
