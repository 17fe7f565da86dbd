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

# IgnoreRequest is raised for many reasons; its message tells them apart.
_IGNORED = (
    ("robots.txt unavailable", "robots_unavailable"),
    ("forbidden by robots.txt", "robots_disallowed"),
    ("during decompression", "decompression_bomb"),
    ("non_public_ip", "non_public_ip"),
    ("retry_after_too_long", "retry_after_too_long"),
)
_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def failure_reason(failure: Failure) -> str:
    request = getattr(failure, "request", None)
    if request is not None and request.meta.get("failure_reason"):
        return str(request.meta["failure_reason"])
    if failure.check(HttpError):
        return http_reason(failure.value.response.status)
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
