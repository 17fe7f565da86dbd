"""Why a request failed, as one reason from the closed list of state/ledger.py (stats key and log say it)."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from inquirer_crawler.state.ledger import http_reason


class RequestRefused(IgnoreRequest):
    """A request the project's own guards refuse: the reason is data, one of state/ledger.py's names."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class NonPublicAddress(DNSLookupError):
    """The name resolved to a private, loopback, link-local or otherwise non-public address.

    Raised by the resolver (middlewares/address_guard.py) at the one resolution the connection
    uses. A DNSLookupError, because Twisted's endpoint turns any other error of a resolver into a
    logged traceback; the endpoint then reports a plain lookup failure, which the guard names again
    (``non_public_ip``) from what the resolver refused."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, which is not a public address")
        self.host, self.address = host, address


# Scrapy's own IgnoreRequest carries no reason but its message: these two are Scrapy's texts.
_IGNORED = (
    ("forbidden by robots.txt", "robots_disallowed"),
    ("during decompression", "decompression_bomb"),
)
_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def failure_reason(failure: Failure) -> str:
    request = getattr(failure, "request", None)
    if request is not None and request.meta.get("failure_reason"):
        return str(request.meta["failure_reason"])
    error = failure.value
    if isinstance(error, RequestRefused):
        return error.reason
    if isinstance(error, NonPublicAddress):
        return "non_public_ip"
    if isinstance(error, HttpError):
        return http_reason(error.response.status)
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "dns_error"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection_refused"
    if failure.check(DownloadCancelledError):
        return "too_large"
    if failure.check(ResponseDataLossError):
        return "data_loss"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        return next((reason for words, reason in _IGNORED if words in message), "ignored")
    message = str(failure.value).lower()
    if any(word in message for word in _TLS_WORDS) or "SSL" in type(failure.value).__name__:
        return "tls_error"
    if failure.check(ResponseFailed, DownloadFailedError):
        return "connection_lost"
    return "error"
