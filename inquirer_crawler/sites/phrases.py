"""Cross-promotion labels per language.

A block of the article body whose text starts with one of these labels (and then a colon,
or nothing but links) is cross-promotion, not article text: "Lire aussi : <a>…</a>".
Labels are compared case-insensitively after whitespace normalisation. Sites add their own
through ``SiteConfig.extra_cross_promo_phrases``.
"""

from __future__ import annotations

import unicodedata

CROSS_PROMO_PHRASES: dict[str, tuple[str, ...]] = {
    "fr": (
        "lire aussi",
        "à lire aussi",
        "a lire aussi",
        "lire également",
        "à lire également",
        "a lire également",
        "voir aussi",
        "à voir aussi",
        "a voir aussi",
        "à découvrir aussi",
        "sur le même sujet",
        "articles connexes",
    ),
    "en": (
        "read also",
        "also read",
        "read more",
        "see also",
        "related",
        "related articles",
        "related stories",
        "you may also like",
        "recommended",
    ),
    "es": (
        "lea también",
        "lee también",
        "leer más",
        "ver también",
        "te puede interesar",
        "también te puede interesar",
        "le puede interesar",
        "noticias relacionadas",
    ),
    "de": (
        "lesen sie auch",
        "lies auch",
        "auch interessant",
        "mehr zum thema",
        "siehe auch",
        "das könnte sie auch interessieren",
    ),
    "pt": ("leia também", "leia mais", "veja também", "saiba mais", "notícias relacionadas"),
    "it": ("leggi anche", "potrebbe interessarti", "articoli correlati"),
    "ru": ("читайте также", "смотрите также", "по теме"),
    "ar": ("اقرأ أيضا", "اقرأ أيضًا", "اقرأ ايضا", "مواضيع ذات صلة"),
    "bn": ("আরও পড়ুনঃ", "আরও পড়ুন", "আরো পড়ুন"),
}


def phrases_for(language: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Labels for a page: the site's extras first, then its language's, then French and English,
    then every other language's: aggregators mix wire copy, and a syndicated block keeps the
    label of its source ("Leia também" on an English page). A label only counts when links or a
    separator follow it (pipelines/drop_cross_promo.py), so a sentence is never taken for one."""
    others = [phrase for lang, phrases in CROSS_PROMO_PHRASES.items() if lang not in (language, "fr", "en") for phrase in phrases]
    ordered = [
        *extra, *CROSS_PROMO_PHRASES.get(language, ()), *CROSS_PROMO_PHRASES["fr"], *CROSS_PROMO_PHRASES["en"], *others
    ]
    # NFC as the page text is (clean_text): "ড়" is U+09A1 U+09BC there, whatever was typed here.
    return tuple(dict.fromkeys(unicodedata.normalize("NFC", p).casefold() for p in ordered))
