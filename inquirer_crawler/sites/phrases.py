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
    """Labels for a language, the site's extras first; French and English apply everywhere
    because aggregators mix wire copy from both. (A syndicated box in another language is found
    by its structure: pipelines/drop_cross_promo.py, link boxes.)"""
    ordered = [*extra, *CROSS_PROMO_PHRASES.get(language, ()), *CROSS_PROMO_PHRASES["fr"], *CROSS_PROMO_PHRASES["en"]]
    # NFC as the page text is (clean_text): "ড়" is U+09A1 U+09BC there, whatever was typed here.
    # An empty label would call every block cross-promotion: a site's empty extra is ignored.
    return tuple(
        dict.fromkeys(folded for p in ordered if (folded := unicodedata.normalize("NFC", p).casefold().strip()))
    )
