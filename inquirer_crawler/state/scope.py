"""Which state a run uses: one per site *and* origin, so that a replay, a mirror or a staging copy
never changes what a live run fetches or exports, and each stays incremental on its own.

=========================================  =====================================  ==================
the run                                     its scope (the state's name)            the state changes
=========================================  =====================================  ==================
the site's public host (``inquirer``,       the site: ``theinquirer.fr``            the live crawl
``newspaper -a start=https://site/``)
``-a start=`` another host (staging,        that host, without its port:            that copy only
a mirror on 127.0.0.1:PORT)                 ``127.0.0.1``, ``staging.example.org``
``-a replay=DIR``                           the folder: ``replay-DIR-<hash>``       that replay only
``-a urls=…``                               the URLs' site, as above                 that site
=========================================  =====================================  ==================

The state file is ``INQUIRER_STATE_PATH`` with ``{site}`` replaced by the scope
(default ``.state/{site}.sqlite``). A path without ``{site}`` is one file, and it keeps the scope
of the first run that used it: a run of another scope refuses it rather than mix two sites.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from inquirer_crawler.sites import SiteConfig, bare_host, site_for_host

DEFAULT_PATH = ".state/{site}.sqlite"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ScopeError(ValueError):
    """The run has no single scope (URLs of several sites), or the state file belongs to another."""


@dataclass(frozen=True)
class StateScope:
    name: str  # safe as a file name

    def path(self, template: str | None) -> Path:
        template = template or DEFAULT_PATH
        # "{spider}" was the placeholder of the first format, when each spider had one state.
        return Path(template.replace("{site}", self.name).replace("{spider}", self.name)).expanduser()

    def legacy_path(self, template: str | None, spider: str) -> Path:
        """Where the first format kept this spider's state: one file per spider, all sites mixed."""
        template = template or DEFAULT_PATH
        return Path(template.replace("{site}", spider).replace("{spider}", spider)).expanduser()


def host_scope(url: str, site: SiteConfig | None = None) -> str:
    """The scope of a crawl from ``url``'s host: the site's name on one of its own domains, else the
    host itself, without ``www.`` and without its port (a mirror restarted on another port keeps it)."""
    host = bare_host(urlsplit(url).hostname or "")
    site = site or site_for_host(host)
    return site.name if host in site.domains else host


def scope_for(start: str | None, urls: tuple[str, ...], replay_dir: Path | None, site: SiteConfig | None) -> StateScope:
    if replay_dir is not None:
        digest = hashlib.sha256(str(replay_dir.resolve()).encode()).hexdigest()[:8]
        return StateScope(f"replay-{_UNSAFE.sub('-', replay_dir.name) or 'root'}-{digest}")
    if urls:
        names = sorted({host_scope(url) for url in urls})
        if len(names) > 1:
            raise ScopeError(
                f"urls: URLs of several sites ({', '.join(names)}) share no state; "
                "give one site's URLs, or -a state=off"
            )
        return StateScope(_UNSAFE.sub("-", names[0]))
    return StateScope(_UNSAFE.sub("-", host_scope(start or (site.base_url if site else ""), site)))
