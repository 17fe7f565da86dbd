"""Name services for the address-guard tests: answers chosen by the test, no network.

``TWISTED_DNS_RESOLVER=tests.stub_resolver.LoopbackNames`` makes every ``*.test`` name resolve to
127.0.0.1 (a local server can answer it), through the project's PublicOnlyResolver check.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet import defer
from twisted.internet.defer import Deferred

from inquirer_crawler.middlewares.address_guard import PublicOnlyResolver


class ScriptedResolver(PublicOnlyResolver):
    """Answers each name with the next address of its script (the last one repeats): a name that
    says "public" first and "private" next is DNS rebinding with TTL 0."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        super().__init__(reactor=None, cache_size=0, timeout=1.0)
        self.script = {name: list(answers) for name, answers in script.items()}

    def lookup(self, name: str, timeout: Sequence[int]) -> Deferred[str]:
        answers = self.script[name]
        return defer.succeed(answers.pop(0) if len(answers) > 1 else answers[0])


class LoopbackNames(PublicOnlyResolver):
    def lookup(self, name: str, timeout: Sequence[int]) -> Deferred[str]:
        if name.endswith(".test"):
            return defer.succeed("127.0.0.1")
        return super().lookup(name, timeout)
