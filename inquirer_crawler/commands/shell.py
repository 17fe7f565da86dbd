"""``scrapy shell`` that never writes the cron state (see parse.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.commands.shell import Command as ScrapyShellCommand

from inquirer_crawler.commands.parse import NO_STATE


class Command(ScrapyShellCommand):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyShellCommand.default_settings, **NO_STATE}
