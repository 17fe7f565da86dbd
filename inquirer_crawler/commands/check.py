"""``scrapy check`` that never writes the cron state (see parse.py)."""

from __future__ import annotations

import argparse

from scrapy.commands.check import Command as ScrapyCheckCommand

from inquirer_crawler.commands.parse import keep_no_state


class Command(ScrapyCheckCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        keep_no_state(self)
