"""Why a request failed, as one word from a closed list (the stats key and the log say it)."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed


def failure_reason(failure: Failure) -> str:
    if failure.check(HttpError):
        status = failure.value.response.status
        return f"http_{status}"
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(DNSLookupError):
        return "dns_error"
    if failure.check(ConnectionRefusedError):
        return "connection_refused"
    if failure.check(ResponseFailed):
        return "data_loss"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        return "robots_disallowed" if "robots" in message else "ignored"
    return "error"
