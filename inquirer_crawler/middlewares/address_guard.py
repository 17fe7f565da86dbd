"""No connection to a private, loopback, link-local or otherwise non-public address.

A name that resolves to 169.254.169.254 or 10.x is as dangerous as the literal. The check sits in
the one resolution the connection uses: ``PublicOnlyResolver`` is Scrapy's ``TWISTED_DNS_RESOLVER``,
so the address checked is the address connected to. A guard that resolved the name itself and let
the download handler resolve it again could be fooled by a name that answers a public address
first and a private one next (DNS rebinding, TTL 0).

``PublicAddressGuard`` (a downloader middleware) refuses IP literals, which Twisted never hands to
the resolver, and tells the resolver which hosts may resolve privately: the host the user named with
``start=`` (a local mirror is meant) and INQUIRER_ALLOWED_PRIVATE_HOSTS. Every other non-public
address stays refused, also on a run started at 127.0.0.1. This relies on Scrapy's Twisted HTTP/1.1
download handler (the default for http and https), which connects through ``reactor.resolve``.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any, NoReturn, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from inquirer_crawler.response.failures import NonPublicAddress, RequestRefused

logger = logging.getLogger(__name__)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching threaded resolver, refusing any answer that is not a public address."""

    def __init__(self, reactor: Any, cache_size: int, timeout: float) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed: set[str] = set()  # host names that may resolve privately (PublicAddressGuard fills it)
        self.refused: dict[str, str] = {}  # host name -> the non-public address it answered

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = self.lookup(name, timeout)
        answer.addCallback(self._checked, name)
        return answer

    def lookup(self, name: str, timeout: Sequence[int]) -> Deferred[str]:
        """The answer of the name service (cached as Scrapy caches it)."""
        return super().getHostByName(name, timeout)

    def _checked(self, address: str, name: str) -> str:
        # Every answer is checked, cached ones too: the cache holds what DNS said, not a verdict.
        if name.lower() not in self.allowed and not is_public(address):
            self.refused[name.lower()] = address
            raise NonPublicAddress(name, address)
        return address


class PublicAddressGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allowed = {h.lower() for h in crawler.settings.getlist("INQUIRER_ALLOWED_PRIVATE_HOSTS")}
        self.resolver: PublicOnlyResolver | None = None  # the reactor's, once the spider opens
        self.resolver_missing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        configured = load_object(crawler.settings["TWISTED_DNS_RESOLVER"])
        if not (isinstance(configured, type) and issubclass(configured, PublicOnlyResolver)):
            raise TypeError(
                "PublicAddressGuard needs TWISTED_DNS_RESOLVER = inquirer_crawler.middlewares.address_guard."
                f"PublicOnlyResolver (or a subclass), not {crawler.settings['TWISTED_DNS_RESOLVER']}"
            )
        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        return guard

    def _allowed_hosts(self) -> set[str]:
        spider = self.crawler.spider
        return self.allowed | {h.lower() for h in getattr(spider, "trusted_hosts", ())}

    def spider_opened(self) -> None:
        from twisted.internet import reactor

        resolver = getattr(reactor, "resolver", None)
        if isinstance(resolver, PublicOnlyResolver):
            self.resolver = resolver
            resolver.allowed |= self._allowed_hosts()
        elif getattr(self.crawler.spider, "replay_dir", None) is None:
            # Fail closed: without the resolver no name is checked, so no request goes out.
            self.resolver_missing = True
            logger.error("the reactor's resolver is %r, not PublicOnlyResolver: every request is refused", resolver)

    async def process_request(self, request: Request) -> None:
        if getattr(self.crawler.spider, "replay_dir", None) is not None:
            return  # replay never connects anywhere
        host = (urlparse_cached(request).hostname or "").lower()
        if self.resolver_missing:
            raise RequestRefused("non_public_ip", f"{host}: the address guard's resolver is not installed")
        literal = ip_literal(host)
        if literal is None or is_public(literal) or host in self._allowed_hosts():
            return  # a name is checked by the resolver, at the resolution the connection uses
        self._refuse(f"{host} is not a public address")

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A name the resolver refused reaches here as a failed lookup: name it. (Placed after the
        retry middleware, so that the refusal is not retried.)"""
        if not isinstance(exception, CannotResolveHostError | DNSLookupError) or self.resolver is None:
            return
        host = (urlparse_cached(request).hostname or "").lower()
        address = self.resolver.refused.get(host)
        if address is not None:
            self._refuse(f"{host} resolves to {address}")

    def _refuse(self, why: str) -> NoReturn:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("urls/refused/non_public_ip")
        raise RequestRefused("non_public_ip", why)
