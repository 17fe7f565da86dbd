"""``scrapy parse`` that leaves no trace: no cron state is read or written (a debugging run must
not feed the next cron run's baseline or layout-drift history), and
``scrapy parse --spider=newspaper URL`` needs no ``-a start=``: the URL names the site."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.commands.parse import Command as ScrapyParseCommand

NO_STATE = {"INQUIRER_STATE_ENABLED": False}


class Command(ScrapyParseCommand):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyParseCommand.default_settings, **NO_STATE}

    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        if getattr(self.spidercls, "bound_site", True) is None and not ({"start", "urls"} & set(opts.spargs)):
            parts = urlsplit(url)
            opts.spargs = {**opts.spargs, "start": f"{parts.scheme}://{parts.netloc}/"}
        super().start_parsing(url, opts)
