"""What the crawler knows about one site: data only, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

from inquirer_crawler.pages.simple_css import SelectorGroups


@dataclass(frozen=True)
class SiteConfig:
    """Per-site knowledge. Every field has a default that suits an unknown tagDiv site."""

    # Host names without "www."; the first one is the site's own name in records.
    domains: tuple[str, ...]
    # Home page; listings and sections hang off it.
    base_url: str = ""
    # Category slugs of the section listings (/category/<slug>/).
    sections: tuple[str, ...] = ()
    # Primary language subtag, used when the page does not say it.
    language: str = "fr"
    # IANA time zone for dates printed without an offset, and for the theme's
    # local-time-labelled-UTC bug (see pages/dates.py).
    timezone: str = "Europe/Paris"
    # Extra cross-promotion phrases on top of the language's own (sites/phrases.py).
    extra_cross_promo_phrases: tuple[str, ...] = ()
    # Extra CSS selectors of junk blocks inside the body, each of one element ("div.promo",
    # '[id^="promo-"]'; no descendant combinators): checked when the registry is built.
    extra_junk_selectors: tuple[str, ...] = ()
    # Free-form notes for the reader of the registry.
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        SelectorGroups([self.extra_junk_selectors])  # a selector the body pipeline cannot apply fails here

    @property
    def name(self) -> str:
        return self.domains[0]
