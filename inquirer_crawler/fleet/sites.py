"""The fleet's sites: a start URL, the spider that crawls it, how often, and its group.

A sites file has one site a line, the start URL first, then ``key=value`` fields; ``#`` starts a
comment. Fields left out take the command's defaults:

    https://news-a.example/  spider=newspaper  interval=1h  group=host-ovh-12
    https://news-b.example/  interval=30m
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inquirer_crawler.discovery.urls import clean_url, is_http_url
from inquirer_crawler.sites import bare_host

_INTERVAL = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_GROUP = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
FIELDS = ("spider", "interval", "group")


class SiteSpecError(ValueError):
    """A wrong site: the message names the line or the field, in one line."""


def parse_interval(value: str) -> int:
    """'90', '90s', '30m', '1h', '1d' -> seconds."""
    match = _INTERVAL.match(value.strip().lower())
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0
    if seconds < 1:
        raise SiteSpecError(f"interval: {value!r} is not a duration like 3600, 30m, 1h or 1d")
    return seconds


def site_name(start_url: str) -> str:
    """The state's name for a site (as the spider's state keys name it): host without www. or port."""
    return bare_host(urlsplit(start_url).hostname or "")


@dataclass(frozen=True)
class SiteSpec:
    start_url: str
    spider: str = "newspaper"
    interval_s: int = 3600
    group: str | None = None

    @property
    def name(self) -> str:
        return site_name(self.start_url)

    @classmethod
    def build(
        cls, start_url: str, spider: str, interval: str | int, group: str | None, known_spiders: Iterable[str]
    ) -> SiteSpec:
        if not is_http_url(start_url) or not urlsplit(start_url).hostname:
            raise SiteSpecError(f"start: {start_url!r} is not an http(s) URL")
        known = sorted(known_spiders)
        if spider not in known:
            raise SiteSpecError(f"spider: unknown spider {spider!r}; known: {', '.join(known)}")
        if group is not None and not _GROUP.match(group):
            raise SiteSpecError(f"group: {group!r} is not a name of letters, digits and . _ : -")
        url = clean_url(start_url)
        if not urlsplit(url).path.endswith("/"):
            url += "/"
        seconds = interval if isinstance(interval, int) else parse_interval(interval)
        return cls(start_url=url, spider=spider, interval_s=seconds, group=group or None)


def read_sites_file(path: Path, defaults: dict[str, Any], known_spiders: Iterable[str]) -> list[SiteSpec]:
    """Every site of the file, or SiteSpecError naming the first bad line (nothing is added then)."""
    specs = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        url, *pairs = line.split()
        fields = dict(defaults)
        try:
            for pair in pairs:
                key, sep, value = pair.partition("=")
                if not sep or key not in FIELDS:
                    raise SiteSpecError(f"{pair!r} is not one of {', '.join(f + '=…' for f in FIELDS)}")
                fields[key] = value
            specs.append(SiteSpec.build(url, fields["spider"], fields["interval"], fields.get("group"), known_spiders))
        except SiteSpecError as error:
            raise SiteSpecError(f"{path}:{number}: {error}") from None
    return specs


def add_sites(db: Any, specs: list[SiteSpec]) -> tuple[int, int]:
    """Add the sites (one transaction); a site already there (same start URL) gets the new spider,
    interval and group. Returns (added, updated)."""
    added = updated = 0
    with db.transaction():
        for spec in specs:
            row = db.execute(
                "INSERT INTO fleet_sites (name, spider, start_url, interval_s, site_group) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (start_url) DO UPDATE SET spider = excluded.spider, interval_s = excluded.interval_s,"
                " site_group = excluded.site_group RETURNING (xmax = 0)",
                (spec.name, spec.spider, spec.start_url, spec.interval_s, spec.group),
            ).fetchone()
            if row[0]:
                added += 1
            else:
                updated += 1
    return added, updated


def find_site(db: Any, ref: str) -> tuple[int, str] | None:
    """(id, name) of a site given by name, start URL or id."""
    row = db.execute(
        "SELECT id, name FROM fleet_sites WHERE name = %s OR start_url = %s OR id::text = %s ORDER BY id LIMIT 1",
        (ref, ref if not is_http_url(ref) else _normal(ref), ref),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _normal(url: str) -> str:
    url = clean_url(url)
    return url if urlsplit(url).path.endswith("/") else url + "/"
