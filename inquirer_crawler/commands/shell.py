"""``scrapy shell`` that never writes the cron state (see parse.py)."""

from __future__ import annotations

import argparse

from scrapy.commands.shell import Command as ScrapyShellCommand

from inquirer_crawler.commands.parse import keep_no_state


class Command(ScrapyShellCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        keep_no_state(self)
