"""Feed URI parameters beside Scrapy's ``%(name)s`` and ``%(time)s``: ``%(site)s`` (the run's
site as its state and ``scrapy fleet status`` name it: the host of the start URL, without www. or
port; state/scope.py) and ``%(job)s`` (Scrapyd's job id, or ``manual``).

In fleet mode many sites start in the same second on several nodes, all writing to one shared
folder: ``INQUIRER_OUTPUT=/srv/fleet/output/%(site)s/%(time)s.jsonl`` keeps their files apart
(one site never runs twice at once).
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider


def uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    scope = getattr(spider, "scope", None)
    options = getattr(spider, "options", None)
    return {
        **params,
        "site": getattr(scope, "name", None) or spider.name,
        "job": getattr(options, "job", None) or "manual",
    }
