"""The text helpers behind every text field: spaces, invisible characters, emptiness, word counts."""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import pytest

from inquirer_crawler.pages.text import (
    _MAYBE_A_MARK,
    _WORD_START,
    clean_text,
    collapse_spaces,
    has_text,
    strip_invisible,
    word_count,
)


def test_every_kind_of_space_becomes_one_space() -> None:
    # NBSP, narrow NBSP, figure space, line and paragraph separators, NEL, ideographic space, tabs.
    assert (
        clean_text(" Le\u00a0\u202fmot\u2007\u2028suivant\u2029\u0085et\u3000\tla fin\n") == "Le mot suivant et la fin"
    )


def test_collapse_spaces_splits_on_exactly_the_characters_python_calls_spaces() -> None:
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert collapse_spaces(f"a{spaces}b{spaces}") == "a b"
    assert collapse_spaces("a\u200bb") == "a\u200bb"  # zero-width space is not a space: clean_text removes it


def test_ascii_text_loses_its_nul_bytes_and_extra_spaces_only() -> None:
    assert clean_text(" Lire\x00 aussi :\t\r\n la suite ") == "Lire aussi : la suite"
    assert (clean_text("A\x07B"), clean_text("A\x07B é")) == ("A\x07B", "A\x07B é")  # not a space, as in any text


def test_html_keeps_its_markup_and_nbsp_and_loses_invisible_characters_ascii_or_not() -> None:
    assert strip_invisible('<p class="a">x\x00y  z</p>') == '<p class="a">xy  z</p>'
    assert strip_invisible("<p>e\u0301t\u00e9\u200b\u00a0\u2028fin</p>") == "<p>\u00e9t\u00e9\u00a0 fin</p>"


@pytest.mark.parametrize(
    "value", ["", " ", "\u00a0\u200b\n", "\ufeff\u00ad", "a", " \u2028x", ".", "\u200bmot", "Ã©", "\x00"]
)
def test_has_text_answers_as_clean_text_would(value: str) -> None:
    assert has_text(value) == bool(clean_text(value))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("— « » …", 0),
        ("l'homme", 1),
        ("aujourd’hui l’été", 2),
        ("porte-parole du gouvernement", 3),
        ("a--b", 2),
        ("'cité' -tiret", 2),
        ("3,5 % en 2022", 4),
        ("Blinken et Lavrov se sont parlé vendredi à Genève.", 9),
        # combining marks are part of their word: vowel signs, viramas, harakat
        ("বাংলাদেশের রাজধানী ঢাকা।", 3),
        ("हिन्दी भाषा", 2),
        ("مدينةٌ كبيرةٌ", 2),
        ("Столица России — Москва.", 3),
        # no spaces between words: one run, one "word" (README: a count of phrases there)
        ("東京は日本の首都です。", 1),
    ],
)
def test_word_count(text: str, words: int) -> None:
    assert word_count(text) == words


def test_isalnum_is_the_regex_word_class_but_the_underscore() -> None:
    # word_count counts a token that isalnum() as one word without the regex.
    differ = [
        c for c in map(chr, range(sys.maxunicode + 1)) if bool(re.fullmatch(r"\w", c)) != (c.isalnum() or c == "_")
    ]
    assert differ == []


def test_every_combining_mark_is_where_word_count_looks_for_marks() -> None:
    marks = [c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c)[0] == "M"]
    assert marks and all(_MAYBE_A_MARK.match(c) for c in marks)


@pytest.mark.parametrize("seed", range(5))
def test_word_count_counts_as_the_word_start_regex_on_random_text(seed: int) -> None:
    pieces = ["l", "’", "'", "-", "_", "é", "3", " ", "\u00a0", "\n", ".", "«", "a", "x1", "\u0301", "٣"]
    text = "".join(random.Random(seed).choice(pieces) for _ in range(5000))
    without_marks = "".join(c for c in text if unicodedata.category(c)[0] != "M")
    assert word_count(text) == len(_WORD_START.findall(without_marks))


def test_text_of_is_the_joined_itertext_on_every_element_of_every_fixture() -> None:
    # text_of serialises the text in C instead of joining lxml's itertext() pieces in Python; both
    # must give the same text: comments and processing instructions left out, their tails kept,
    # entities decoded, the element's own tail left out. Over every page of fixtures/ (real pages,
    # the site's own, hostile ones) and a fragment that has each of those.
    from pathlib import Path

    from lxml import etree

    from inquirer_crawler.pages.dom import parse_fragment, parse_page, text_of

    roots = [parse_page(path.read_bytes()).root for path in Path(__file__).parents[1].glob("fixtures/**/*.html")]
    roots.append(parse_fragment("<p>a<!-- c -->b<?pi x?>c &amp; <b>d<i>e</i>f</b>g<br>h</p>tail<p>\u00a0é\u200b</p>"))
    elements = [element for root in roots for element in root.iter(etree.Element)]
    assert len(elements) > 20_000
    assert [text_of(element) for element in elements] == ["".join(element.itertext()) for element in elements]
