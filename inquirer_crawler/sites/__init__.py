"""The site registry: per-site knowledge as data, keyed by host (without "www.").

A site with no entry gets ``default_site(host)``: a French tagDiv site in Europe/Paris.
The other entries are the real sites whose saved pages are test fixtures; their time zones
matter only for dates the page prints without an offset.
"""

from __future__ import annotations

from inquirer_crawler.sites.config import SiteConfig
from inquirer_crawler.sites.inquirer_fr import INQUIRER_FR

_KNOWN: tuple[SiteConfig, ...] = (
    INQUIRER_FR,
    SiteConfig(domains=("guineenews.org",), language="fr", timezone="Africa/Conakry"),
    SiteConfig(domains=("mexiconewsdaily.com",), language="en", timezone="America/Mexico_City"),
    SiteConfig(domains=("elpais.cr",), language="es", timezone="America/Costa_Rica"),
    SiteConfig(domains=("lokalo.de",), language="de", timezone="Europe/Berlin"),
    SiteConfig(domains=("djz.de",), language="de", timezone="Europe/Berlin"),
    SiteConfig(domains=("worldtruth.tv",), language="en", timezone="America/New_York"),
)

SITES: dict[str, SiteConfig] = {domain: site for site in _KNOWN for domain in site.domains}


def bare_host(host: str) -> str:
    """'www.Example.org:8080' -> 'example.org:8080'."""
    host = host.lower()
    return host.removeprefix("www.")


def default_site(host: str) -> SiteConfig:
    return SiteConfig(domains=(bare_host(host).split(":")[0],))


def site_for_host(host: str) -> SiteConfig:
    """The registry entry of a host, or sensible defaults for an unknown tagDiv site."""
    return SITES.get(bare_host(host).split(":")[0]) or default_site(host)


__all__ = ["SITES", "SiteConfig", "bare_host", "default_site", "site_for_host"]
