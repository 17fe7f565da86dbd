"""``scrapy parse`` that leaves no trace: no cron state is read or written (a debugging run must
not feed the next cron run's baseline or layout-drift history), and
``scrapy parse --spider=newspaper URL`` needs no ``-a start=``: the URL names the site."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.commands.parse import Command as ScrapyParseCommand


def keep_no_state(command: ScrapyCommand) -> None:
    """Above the settings file and ``-s``: a debugging command never opens the state."""
    assert command.settings is not None
    command.settings.set("INQUIRER_STATE_ENABLED", False, priority="cmdline")


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        keep_no_state(self)

    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        if getattr(self.spidercls, "bound_site", True) is None and not ({"start", "urls"} & set(opts.spargs)):
            parts = urlsplit(url)
            opts.spargs = {**opts.spargs, "start": f"{parts.scheme}://{parts.netloc}/"}
        super().start_parsing(url, opts)
