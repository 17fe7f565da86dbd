"""Did the run fail? The one question cron asks, answered from the run's numbers.

A run that finds nothing new, or exports articles while some pages fail, succeeded. It failed when
the site did not answer, when a complete run found no article link at all (a blank site), when every
article was dropped, when the output could not be written, or when the layout drifted: a required
field missing on more than a share of the pages, or a field that earlier runs usually had (author,
section) suddenly empty on every page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK = 0
FAILED = 1

REQUIRED_REASONS = ("missing_title", "missing_body", "missing_published")
USUAL_FIELDS = ("author", "section")


@dataclass
class RunFacts:
    responses: int = 0  # pages that answered (any status)
    successes: int = 0  # pages that answered 2xx, robots.txt aside
    articles_parsed: int = 0  # article pages that became a record before validation
    exported: int = 0
    unchanged: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    field_filled: dict[str, int] = field(default_factory=dict)  # records with author, section, …
    write_error: str | None = None
    finish_reason: str = "finished"
    site_refused: str | None = None  # e.g. robots.txt 5xx
    accounting_error: str | None = None
    complete: bool = False  # a complete run: the site's listings and change sources, no urls/since/sections limit
    discovered: int = 0  # article URLs the run found (requested, or passed over as known)


@dataclass(frozen=True)
class Verdict:
    status: int
    why: str


def judge(facts: RunFacts, history: list[dict[str, Any]], max_missing_share: float = 0.5) -> Verdict:
    if facts.write_error:
        return Verdict(FAILED, f"the output could not be written: {facts.write_error}")
    if facts.accounting_error:
        return Verdict(FAILED, facts.accounting_error)
    if facts.site_refused:
        return Verdict(FAILED, facts.site_refused)
    if facts.finish_reason not in ("finished", "max_articles", "closespider_pagecount", "closespider_timeout"):
        return Verdict(FAILED, f"the crawl stopped early: {facts.finish_reason}")
    if facts.responses and not facts.successes:
        return Verdict(FAILED, "the site did not answer: no page returned 2xx")
    if not facts.responses and facts.finish_reason == "finished":
        return Verdict(FAILED, "the site did not answer: no page was fetched")
    if facts.complete and facts.finish_reason == "finished" and not facts.discovered:
        # A quiet day still lists the known articles; none at all is a blank page or a broken layout.
        return Verdict(FAILED, "no article link found on the site's listings or change sources")
    if facts.articles_parsed:
        missing = sum(facts.dropped.get(reason, 0) for reason in REQUIRED_REASONS)
        if missing / facts.articles_parsed > max_missing_share:
            worst = max(REQUIRED_REASONS, key=lambda r: facts.dropped.get(r, 0))
            return Verdict(
                FAILED,
                f"layout drift: {missing} of {facts.articles_parsed} article pages lack a required field (mostly {worst})",
            )
        if not facts.exported and not facts.unchanged:
            return Verdict(FAILED, f"every article was dropped ({_reasons(facts.dropped)})")
        for name in USUAL_FIELDS:
            usual = [h for h in history if h.get("records") and h.get(f"with_{name}", 0) / h["records"] >= 0.8]
            valid = facts.exported + facts.unchanged
            if len(usual) >= 2 and valid >= 3 and facts.field_filled.get(name, 0) == 0:
                return Verdict(FAILED, f"layout drift: no page had an {name} though earlier runs usually did")
    return Verdict(OK, "ok")


def _reasons(dropped: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(dropped.items())) or "no reason recorded"
