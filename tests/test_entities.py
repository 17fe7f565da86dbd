"""A site that escapes its text twice ("News &amp;#038; Analysis" in the HTML) gets it decoded
once more at the normalising step, exactly once."""

from __future__ import annotations

import pytest

from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pipelines.normalize import decode_entities_once
from tests.conftest import run_pipelines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("News &#038; Analysis", "News & Analysis"),
        ("News &#x26; Analysis", "News & Analysis"),
        ("Culture &amp; Société", "Culture & Société"),
        ("&amp;amp; stays one escape", "&amp; stays one escape"),  # decoded once, not until nothing is left
        ("AT&T, R&D; Q&A", "AT&T, R&D; Q&A"),  # no character reference: left alone
        ("Plain text", "Plain text"),
    ],
)
def test_character_references_left_in_text_are_decoded_once(text: str, expected: str) -> None:
    assert decode_entities_once(text) == expected


def test_a_double_escaped_section_name_is_read_as_the_page_shows_it() -> None:
    html = """<html lang="en"><head><meta property="article:published_time" content="2024-01-01T10:00:00+00:00">
    <meta property="og:title" content="Rates &amp;#8211; what next"></head>
    <body class="single single-post postid-3"><div class="td-crumb-container"><div class="entry-crumbs">
    <span><a class="entry-crumb" href="https://news.example/">Home</a></span>
    <span><a class="entry-crumb" href="https://news.example/category/news-analysis/">News &amp;#038; Analysis</a></span></div></div>
    <article id="post-3" class="post-3 post"><div class="td-post-header"><ul class="td-category">
    <li class="entry-category"><a href="https://news.example/category/news-analysis/">News &amp;#038; Analysis</a></li></ul>
    </div><div class="td-post-content"><p>The text.</p></div></article></body></html>"""
    record = run_pipelines(ArticlePage.from_html(html, "https://news.example/rates/").to_item())
    assert record.section == "News & Analysis"
    assert record.categories == ["News & Analysis"]
    assert record.title == "Rates – what next"
