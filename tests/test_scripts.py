"""Titles and bodies in other scripts come through intact, paragraph by paragraph, with an honest
word count: Cyrillic (classic template), Arabic written right to left (tdb template), Bengali
(classic, with vowel signs and its own digits). The pages are small tagDiv pages in the theme's
real markup (SITE-NOTES §1-2), written for this test; no real page of these scripts was available."""

from __future__ import annotations

from typing import Any

import pytest

from inquirer_crawler.pages.article import ArticlePage
from tests.conftest import run_pipelines


def classic(lang: str, host: str, title: str, section: str, paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="UTF-8"><title>{title} | Site</title>
<link rel="canonical" href="https://{host}/post/">
<meta property="article:published_time" content="2022-01-21T20:00:00+03:00"></head>
<body class="post-template-default single single-post postid-41 single-format-standard">
<div class="td-main-content-wrap"><div class="td-container">
<div class="td-crumb-container"><div class="entry-crumbs"><span><a class="entry-crumb" href="https://{host}/">⌂</a></span>
<i class="td-icon-right td-bread-sep"></i><span><a class="entry-crumb" href="https://{host}/category/s/">{section}</a></span></div></div>
<article id="post-41" class="post-41 post type-post"><div class="td-post-header"><header class="td-post-title">
<h1 class="entry-title">{title}</h1><div class="td-module-meta-info"><span class="td-post-date">
<time class="entry-date updated td-module-date" datetime="2022-01-21T20:00:00+03:00">21.01.2022</time></span></div>
</header></div>
<div class="td-post-content tagdiv-type">{body}{extra}
<div class="td-a-rec td-a-rec-id-content_bottom"><span class="td-adspot-title">- Advertisement -</span></div></div>
</article></div></div></body></html>"""


def tdb(lang: str, direction: str, host: str, title: str, section: str, paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}" dir="{direction}"><head><meta charset="UTF-8"><title>{title}</title>
<link rel="canonical" href="https://{host}/post/">
<meta property="article:published_time" content="2022-01-21T20:00:00+02:00"></head>
<body class="post-template-default single single-post postid-42 tdb_template_9 rtl">
<article id="template-id-9" class="post-9 tdb_templates type-tdb_templates"><div class="tdc-row"><div class="vc_row"><div class="wpb_wrapper">
<div class="td_block_wrap tdb_breadcrumbs tdi_1 td-pb-border-top"><div class="tdb-block-inner td-fix-index">
<span><a class="tdb-entry-crumb" href="https://{host}/">⌂</a></span><i class="tdb-bread-sep td-icon-right"></i>
<span><a class="tdb-entry-crumb" href="https://{host}/category/s/">{section}</a></span></div></div>
<div class="td_block_wrap tdb_title tdi_2 tdb-single-title td-pb-border-top"><div class="tdb-block-inner td-fix-index">
<h1 class="tdb-title-text">{title}</h1><div></div><div class="tdb-title-line"></div></div></div>
<div class="td_block_wrap tdb_single_content tdi_3 td-pb-border-top td-post-content tagdiv-type">
<style>.tdi_3{{margin:0}}</style><div class="tdb-block-inner td-fix-index">{body}{extra}</div></div>
</div></div></div></article></body></html>"""


RUSSIAN = [
    "Москва готовится к первому снегопаду: городские службы вывели на улицы более десяти тысяч единиц техники.",
    "«Мы ожидаем до двадцати сантиметров снега за ночь», — сообщил представитель мэрии в пятницу.",
    "Жителей просят не оставлять автомобили у обочин и пользоваться метро.",
]
ARABIC = [
    "أعلنت وزارة الصحة المصرية، يوم الجمعة، عن حملةٍ وطنيةٍ جديدةٍ للتطعيم في جميع المحافظات.",
    "وقال المتحدث باسم الوزارة إنّ الحملة ستستمر ثلاثة أسابيع.",
    "ودعت الوزارة المواطنين إلى التوجه إلى أقرب مركز صحي.",
]
BENGALI = [
    "ঢাকায় আজ সকাল থেকে ভারী বৃষ্টি হচ্ছে, জানিয়েছে আবহাওয়া অধিদপ্তর।",
    "২০২২ সালের পর এটাই সবচেয়ে বেশি বৃষ্টিপাত।",
    "নগরবাসীকে প্রয়োজন ছাড়া ঘর থেকে বের না হওয়ার পরামর্শ দেওয়া হয়েছে।",
]
# Words counted by hand, token by token between spaces ("—" is no word; "২০২২" is one).
CASES = [
    pytest.param(
        classic(
            "ru-RU",
            "gazeta.example",
            "Москва готовится к зиме",
            "Общество",
            RUSSIAN,
            '<p><strong>Читайте также:</strong> <a href="https://gazeta.example/metro/">Метро продлит часы работы</a></p>',
        ),
        "https://gazeta.example/post/",
        "Москва готовится к зиме",
        "Общество",
        "ru",
        RUSSIAN,
        15 + 13 + 10,
        [{"url": "https://gazeta.example/metro/", "title": "Метро продлит часы работы"}],
        id="russian-classic",
    ),
    pytest.param(
        tdb(
            "ar",
            "rtl",
            "akhbar.example",
            "حملة تطعيم وطنية جديدة في مصر",
            "صحة",
            ARABIC,
            '<p>اقرأ أيضا: <a href="https://akhbar.example/vaccins/">ما هي اللقاحات المتاحة؟</a></p>',
        ),
        "https://akhbar.example/post/",
        "حملة تطعيم وطنية جديدة في مصر",
        "صحة",
        "ar",
        ARABIC,
        14 + 9 + 9,
        [{"url": "https://akhbar.example/vaccins/", "title": "ما هي اللقاحات المتاحة؟"}],
        id="arabic-rtl-tdb",
    ),
    pytest.param(
        classic(
            "bn-BD",
            "khobor.example",
            "ঢাকায় ভারী বৃষ্টি",
            "আবহাওয়া",
            BENGALI,
            '<p>আরও পড়ুনঃ <a href="https://khobor.example/bonna/">সিলেটে বন্যার আশঙ্কা</a></p>',
        ),
        "https://khobor.example/post/",
        "ঢাকায় ভারী বৃষ্টি",
        "আবহাওয়া",
        "bn",
        BENGALI,
        10 + 7 + 11,
        [{"url": "https://khobor.example/bonna/", "title": "সিলেটে বন্যার আশঙ্কা"}],
        id="bengali-classic",
    ),
]


@pytest.mark.parametrize(("html", "url", "title", "section", "language", "paragraphs", "words", "related"), CASES)
def test_text_in_other_scripts_comes_through_whole(
    html: str, url: str, title: str, section: str, language: str, paragraphs: list[str], words: int, related: list[Any]
) -> None:
    record = run_pipelines(ArticlePage.from_html(html.encode("utf-8"), url).to_item())
    assert record.title == title
    assert record.section == section
    assert record.language == language
    assert record.body.split("\n\n") == paragraphs
    assert record.word_count == words
    assert record.related == related
    assert "Advertisement" not in record.body
