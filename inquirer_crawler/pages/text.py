"""Small pure helpers for text, shared by the page code and the pipelines."""

from __future__ import annotations

import re
import unicodedata

from inquirer_crawler.response.encoding import fix_mojibake

# Zero-width characters, bidi controls, soft hyphen, BOM and NUL: invisible, and able to
# spoof or split words, so they never reach a text field.
_INVISIBLE = dict.fromkeys(
    [
        0x00,
        0xAD,
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x200E,
        0x200F,
        0x061C,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
    None,
)
INVISIBLE_CHARACTERS = frozenset(map(chr, _INVISIBLE))
# The same set as a regex: much faster than str.translate on long texts.
_INVISIBLE_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")
# Characters some readers treat as line breaks (U+2028/9, NEL) or that are spaces in disguise.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2028\u2029\u0085\u3000]+")


# Anything clean_text would keep: a character that is neither space nor invisible.
_VISIBLE_CHAR = re.compile("[^" + _SPACES.pattern[1:-2] + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")


def has_text(value: str | None) -> bool:
    """``bool(clean_text(value))``, without building the cleaned text."""
    return value is not None and _VISIBLE_CHAR.search(value) is not None


def clean_text(value: str | None) -> str:
    """Mojibake repaired, NFC, no invisible characters, every run of whitespace (NBSP included) one space."""
    if not value:
        return ""
    if value.isascii() and "\x00" not in value:
        return collapse_spaces(value)  # no mojibake, nothing to compose, no invisible but NUL (isascii is O(1))
    value, _ = fix_mojibake(value)  # first: "à" read as cp1252 ends in an NBSP the next steps would eat
    return collapse_spaces(_INVISIBLE_RE.sub("", unicodedata.normalize("NFC", value)))


def collapse_spaces(value: str) -> str:
    """The last step of clean_text alone, for text already repaired and stripped of invisibles.
    str.split() splits on exactly the characters of ``_SPACES`` (those of str.isspace, NBSP and
    the line separators included) and is several times faster than the regex."""
    return " ".join(value.split())


_LINE_SEPARATORS_RE = re.compile("[\u2028\u2029\u0085]")
# Either kind: one search tells that most bodies have neither (two substitutions read them twice).
_INVISIBLE_OR_SEPARATOR_RE = re.compile(_INVISIBLE_RE.pattern[:-1] + _LINE_SEPARATORS_RE.pattern[1:])


def strip_invisible(html: str) -> str:
    """For HTML: drop invisible characters and the Unicode line separators, keep the markup and NBSP."""
    if html.isascii() and "\x00" not in html:
        return html  # all of those but NUL are outside ASCII, and ASCII is always NFC
    html = unicodedata.normalize("NFC", html)
    if _INVISIBLE_OR_SEPARATOR_RE.search(html) is None:
        return html
    return _LINE_SEPARATORS_RE.sub(" ", _INVISIBLE_RE.sub("", html))


def clean_text_or_none(value: str | None) -> str | None:
    return clean_text(value) or None


_COUNT = re.compile(r"(\d+(?:[ \u00a0\u202f.,]\d{3})*(?:[.,]\d+)?)\s*([kKmM])?")


def parse_count(value: str | None) -> int | None:
    """A counter as the theme prints it: '81', '1 234', '1,234', '1.2k' -> int."""
    match = _COUNT.search(clean_text(value))
    if not match:
        return None
    number, suffix = match.groups()
    if suffix:
        return round(float(number.replace(",", ".").replace(" ", "")) * (1000 if suffix in "kK" else 1_000_000))
    return int(re.sub(r"\D", "", number))


# A word is a run of letters and digits (a combining mark is part of its letter: Bengali and
# Devanagari vowel signs, Arabic harakat), joined across one apostrophe or hyphen
# ("aujourd'hui", "porte-parole"). Counted by its first character, which is cheaper than matching
# whole words. Scripts written without spaces between words (Chinese, Japanese, Thai) count one
# word per run between spaces and punctuation: for them word_count counts phrases, not words.
_WORD_START = re.compile(r"(?<!\w)(?<!\w[’'-])\w")


# The blocks that hold combining marks (Hebrew to Myanmar, Ethiopic, Mongolian to the phonetic
# extensions, the combining marks for symbols, CJK and Hangul tone marks, variation selectors, and
# everything outside the BMP). Latin, Greek and Cyrillic letters, punctuation, currency signs,
# arrows, CJK ideographs are outside it, so most text never takes the slow path (tested over all
# of Unicode: every mark is inside).
_MAYBE_A_MARK = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u109d\u135d-\u135f\u1712-\u1dff\u20d0-\u20f0\u2cef-\u2dff"
    "\u302a-\u309a\ua66f-\ua6f1\ua802-\uabed\ufb1e\ufe00-\ufe2f\U00010000-\U0010ffff]"
)


def _without_marks(text: str) -> str:
    r"""The text with its combining marks (Unicode categories Mn, Mc, Me) left out: a letter with
    its signs is one run of ``\w`` then ("বাংলা" would otherwise be three)."""
    if _MAYBE_A_MARK.search(text) is None:
        return text
    return "".join(char for char in text if unicodedata.category(char)[0] != "M")


def word_count(text: str) -> int:
    r"""Words as ``_WORD_START`` counts them, combining marks inside their word. Most tokens between
    spaces are one plain word (``str.isalnum``: the characters of ``\w`` but "_", so one run of them
    is one word): only the others go through the regex, joined by spaces, which no word crosses
    (~40 % faster on a body)."""
    tokens = text.split()
    others = [token for token in tokens if not token.isalnum()]
    return len(tokens) - len(others) + len(_WORD_START.findall(_without_marks(" ".join(others))))
