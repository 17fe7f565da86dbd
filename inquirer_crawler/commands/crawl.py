"""``scrapy crawl``, plus a one-line error and exit status 2 for a wrong ``-a`` argument.

Scrapy would build the spider inside the engine and print a traceback (and still exit 0);
a user running from cron needs the one line that says what was wrong.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from inquirer_crawler.spiders.newspaper import SpiderArgumentError


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    check(**opts.spargs)
                except SpiderArgumentError as error:
                    print(f"error: {error}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)
