"""The fleet at a glance: per site, its last run and what it did, and when it runs next."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from inquirer_crawler.fleet.schedule import locked_sites

COUNTS = ("exported", "new", "changed", "failed", "pending")

_QUERY = """
SELECT s.id, s.name, s.spider, s.site_group, s.paused, s.next_due, s.hold_until, s.hold_reason,
       r.started, r.ended, r.exit_status, r.reason, r.counts, r.node, r.job, j.claimed_by, j.job IS NOT NULL
FROM fleet_sites s
LEFT JOIN LATERAL (SELECT * FROM fleet_runs WHERE site_id = s.id ORDER BY id DESC LIMIT 1) r ON true
LEFT JOIN fleet_jobs j ON j.site_id = s.id
ORDER BY s.name
"""


@dataclass(frozen=True)
class SiteStatus:
    site: str
    spider: str
    group: str | None
    state: str  # running, queued, claimed, held, paused, due, scheduled
    next_due: str
    last_run_started: str | None
    last_run_ended: str | None
    exit_status: int | None  # None: no run yet, still running, or lost (killed)
    reason: str | None
    node: str | None
    job: str | None
    exported: int | None
    new: int | None
    changed: int | None
    failed: int | None
    pending: int | None
    hold_until: str | None


def _iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() if value else None


def _state(running: bool, queued: bool, claimed_by: str | None, paused: bool, held: bool, due: bool) -> str:
    if running:
        return "running"
    if queued:
        return f"claimed by {claimed_by}" if claimed_by else "queued"
    if paused:
        return "paused"
    if held:
        return "held"
    return "due" if due else "scheduled"


def fleet_status(db: Any) -> list[SiteStatus]:
    running = locked_sites(db)
    now = db.execute("SELECT now()").fetchone()[0]
    rows = []
    for (
        site_id,
        name,
        spider,
        group,
        paused,
        next_due,
        hold_until,
        _hold_reason,
        started,
        ended,
        status,
        reason,
        counts,
        node,
        job,
        claimed_by,
        queued,
    ) in db.execute(_QUERY):
        counts = counts or {}
        held = hold_until is not None and hold_until > now
        rows.append(
            SiteStatus(
                site=name,
                spider=spider,
                group=group,
                state=_state(site_id in running, queued, claimed_by, paused, held, next_due <= now),
                next_due=_iso(next_due) or "",
                last_run_started=_iso(started),
                last_run_ended=_iso(ended),
                exit_status=status,
                reason=reason,
                node=node,
                job=job,
                **{name_: counts.get(name_) for name_ in COUNTS},
                hold_until=_iso(hold_until) if held else None,
            )
        )
    return rows


def as_json(rows: list[SiteStatus]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def as_table(rows: list[SiteStatus]) -> str:
    header = ("site", "state", "last run", "exit", "exported", "new", "changed", "failed", "pending", "next due")
    lines: list[tuple[str, ...]] = [header]
    for r in rows:
        lines.append(
            (
                r.site,
                r.state,
                r.last_run_started or "-",
                "-" if r.exit_status is None else str(r.exit_status),
                *("-" if getattr(r, c) is None else str(getattr(r, c)) for c in COUNTS),
                r.next_due,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)
