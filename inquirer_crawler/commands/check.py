"""``scrapy check`` that never writes the cron state (see parse.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.commands.check import Command as ScrapyCheckCommand

from inquirer_crawler.commands.parse import NO_STATE


class Command(ScrapyCheckCommand):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyCheckCommand.default_settings, **NO_STATE}
