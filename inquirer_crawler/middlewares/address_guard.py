"""No request to a private, loopback, link-local or otherwise non-public address, checked after DNS.

A name that resolves to 169.254.169.254 or 10.x is as dangerous as the literal. Allowed: the host
the user named with ``start=`` (a local mirror is meant), and hosts in INQUIRER_ALLOWED_PRIVATE_HOSTS.
Every other non-public address stays refused, also on a run started at 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.threads import deferToThread


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int = 443) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


def refused_address(host: str, resolver: Callable[[str], list[str]] = resolve) -> str | None:
    """The first non-public address ``host`` stands for, or None when every address is public."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolver(host)
    return next((address for address in addresses if not is_public(address)), None)


class PublicAddressGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allowed = {h.lower() for h in crawler.settings.getlist("INQUIRER_ALLOWED_PRIVATE_HOSTS")}
        self.verdicts: dict[str, str | None] = {}  # host -> None (public) or the refused address

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _allowed_hosts(self) -> set[str]:
        spider = self.crawler.spider
        return self.allowed | set(getattr(spider, "trusted_hosts", ()))

    async def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        if getattr(spider, "replay_dir", None) is not None:
            return  # replay never connects anywhere
        parts = urlparse_cached(request)
        host = (parts.hostname or "").lower()
        if not host or host in self._allowed_hosts():
            return
        if host not in self.verdicts:
            try:
                # getaddrinfo blocks: in a thread, once per host.
                self.verdicts[host] = await maybe_deferred_to_future(deferToThread(refused_address, host))
            except OSError:
                return  # let the download fail with its own DNS error
        refused = self.verdicts[host]
        if refused is not None:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("urls/refused/non_public_ip")
            raise IgnoreRequest(f"non_public_ip: {host} is {refused}")
        return
