"""The spiders' ``-a`` arguments, parsed and checked before the engine starts.

Every mistake raises SpiderArgumentError with one line that names the argument and the problem;
the project's ``crawl`` command prints it and exits 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inquirer_crawler.discovery.urls import clean_url, is_http_url
from inquirer_crawler.sites import SiteConfig

# ``_job`` is the job id Scrapyd passes to every crawl it runs (``-a _job=<id>``).
KNOWN = ("urls", "replay", "start", "sections", "since", "max_articles", "full", "state", "_job")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_JOB = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class SpiderArgumentError(ValueError):
    """A wrong ``-a`` argument; the message says which and why, in one line."""


@dataclass(frozen=True)
class CrawlOptions:
    urls: tuple[str, ...] = ()
    replay_dir: Path | None = None
    start: str | None = None
    sections: tuple[str, ...] | None = None
    since: date | None = None
    max_articles: int | None = None
    full: bool = False  # fetch everything, whatever the state says (still recording it)
    state: str = "on"  # "off": no state file, no lock
    job: str | None = None  # Scrapyd's job id, recorded with the run

    @classmethod
    def parse(cls, site: SiteConfig | None, arguments: dict[str, Any]) -> CrawlOptions:
        unknown = sorted(set(arguments) - set(KNOWN))
        if unknown:
            raise SpiderArgumentError(f"unknown argument {unknown[0]!r}; known: {', '.join(KNOWN)}")
        options = cls(
            urls=_urls(arguments.get("urls")),
            replay_dir=_replay_dir(arguments.get("replay")),
            start=_start(arguments.get("start")),
            sections=_sections(arguments.get("sections"), site),
            since=_since(arguments.get("since")),
            max_articles=_max_articles(arguments.get("max_articles")),
            full=_flag("full", arguments.get("full")),
            state=_state(arguments.get("state")),
            job=_job(arguments.get("_job")),
        )
        if not options.urls and not options.start and not (site and site.base_url):
            raise SpiderArgumentError(
                "start: give the site's home page (-a start=https://site/) or article URLs (-a urls=…)"
            )
        return options


def _urls(value: str | None) -> tuple[str, ...]:
    urls = [u.strip() for u in (value or "").split(",") if u.strip()]
    for url in urls:
        if not is_http_url(url) or not urlsplit(url).hostname:
            raise SpiderArgumentError(f"urls: {url!r} is not an http(s) URL")
    return tuple(dict.fromkeys(clean_url(u) for u in urls))


def _replay_dir(value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise SpiderArgumentError(f"replay: folder {value!r} does not exist")
    return path.resolve()


def _start(value: str | None) -> str | None:
    if not value:
        return None
    if not is_http_url(value) or not urlsplit(value).hostname:
        raise SpiderArgumentError(f"start: {value!r} is not an http(s) URL")
    url = clean_url(value)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path if parts.path.endswith('/') else parts.path + '/'}"


def _sections(value: str | None, site: SiteConfig | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    slugs = tuple(dict.fromkeys(s.strip().lower() for s in value.split(",") if s.strip()))
    if not slugs:
        raise SpiderArgumentError("sections: give at least one section slug (-a sections=internationales,economie)")
    for slug in slugs:
        if not _SLUG.match(slug):
            raise SpiderArgumentError(f"sections: {slug!r} is not a category slug")
        if site and site.sections and slug not in site.sections:
            raise SpiderArgumentError(f"sections: unknown section {slug!r}; known: {', '.join(site.sections)}")
    return slugs


def _since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise SpiderArgumentError(f"since: {value!r} is not a date as YYYY-MM-DD") from None


def _max_articles(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise SpiderArgumentError(f"max_articles: {value!r} is not a whole number of at least 1")
    return number


def _flag(name: str, value: str | None) -> bool:
    if value in (None, "", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise SpiderArgumentError(f"{name}: {value!r} is not 1 or 0")


def _state(value: str | None) -> str:
    if value in (None, "", "on"):
        return "on"
    if value == "off":
        return "off"
    raise SpiderArgumentError(f"state: {value!r} is not 'on' or 'off'")


def _job(value: str | None) -> str | None:
    if value is None:
        return None
    if not _JOB.match(value):
        raise SpiderArgumentError(f"_job: {value!r} is not a job id (letters, digits, . _ -; at most 100)")
    return value
