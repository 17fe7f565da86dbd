"""Each pipeline step on small realistic bodies; the order of the steps; drop reasons in stats."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.settings import Settings

from inquirer_crawler.items import ArticleItem, PageHints
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.dom import BodyTree, parse_fragment
from inquirer_crawler.pipelines.clean_body import clean_body
from inquirer_crawler.pipelines.drop_cross_promo import (
    _QUICK,
    _SKIPPED_AT_START,
    CrossPromo,
    _fold,
    _head,
    _no_phrase_starts_with,
    _phrases_at_start,
    _settled_start,
    drop_cross_promo,
    phrase_starts,
)
from inquirer_crawler.response.replay import mirror_path
from inquirer_crawler.sites.phrases import phrases_for
from tests.conftest import EXPECTATIONS, FIXTURES, Expectation, build_pipelines, run_pipelines

FETCHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

BASE = "https://theinquirer.fr/un-article/"


def item(body_html: str, **fields: object) -> ArticleItem:
    values: dict[str, object] = {
        "url": BASE,
        "site": "theinquirer.fr",
        "title": "Titre",
        "published": "2022-01-21T20:00:00+01:00",
        "language": "fr",
        "fetched_at": "2026-11-27T09:00:00+00:00",  # as the page code sets it; the schema requires it
        "body_html": f'<div class="td-post-content">{body_html}</div>',
        "page_hints": PageHints(base_url=BASE, site="theinquirer.fr"),
    }
    values.update(fields)
    return ArticleItem(**values)  # type: ignore[arg-type]


def body_after(body_html: str, **fields: object) -> ArticleItem:
    return clean_body(drop_cross_promo(item(body_html, **fields)))


KEPT = "<p>Le texte de l’article.</p>"


@pytest.mark.parametrize(
    "promo",
    [
        '<p><strong>Lire aussi :</strong> <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p>Lire aussi\u00a0:  <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p><em>À lire aussi : <a href="/japon-ovnis/">La ville du Japon</a></em></p>',
        '<p>A lire aussi <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p>Voir aussi : <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p>À voir aussi\u202f: <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p>Lire également : <a href="/japon-ovnis/">La ville du Japon</a></p>',
        '<p><a href="/japon-ovnis/?utm_source=twitter">Lire aussi : La ville du Japon</a></p>',
        '<div class="box"><h4>LIRE AUSSI</h4><ul><li><a href="/japon-ovnis/">La ville du Japon</a></li></ul></div>',
        '<h3>Lire aussi</h3><ul><li><a href="/japon-ovnis/">La ville du Japon</a></li></ul>',
    ],
    ids=["strong", "nbsp", "a-accent", "no-colon", "voir", "a-voir", "egalement", "link-only", "box", "heading-list"],
)
def test_every_french_cross_promotion_form_is_removed_and_its_link_kept(promo: str) -> None:
    result = body_after(f"{KEPT}{promo}<p>Suite.</p>")
    assert result.body == "Le texte de l’article.\n\nSuite."
    assert [(r["url"], r["title"]) for r in result.related] == [
        ("https://theinquirer.fr/japon-ovnis/", "La ville du Japon")
    ]


@pytest.mark.parametrize(
    ("language", "promo"),
    [
        ("en", '<p><strong>Read also:</strong> <a href="/x/">Other story</a></p>'),
        ("en", '<p>Read more: <a href="/x/">Other story</a></p>'),
        ("es", '<p>Lea también: <a href="/x/">Otra noticia</a></p>'),
        ("de", '<p>Lesen Sie auch: <a href="/x/">Andere Meldung</a></p>'),
    ],
)
def test_cross_promotion_in_other_languages(language: str, promo: str) -> None:
    result = body_after(f"{KEPT}{promo}", language=language)
    assert result.body == "Le texte de l’article."
    assert [r["url"] for r in result.related] == ["https://theinquirer.fr/x/"]


def test_a_sentence_that_mentions_reading_is_article_text() -> None:
    text = "<p>Lire aussi les mémoires du ministre permet de comprendre sa décision.</p>"
    assert body_after(text).body == "Lire aussi les mémoires du ministre permet de comprendre sa décision."


def test_a_page_builder_row_starting_with_a_promo_line_keeps_its_text() -> None:
    row = '<div class="tdc-row"><p>Lire aussi : <a href="/x/">Autre</a></p><p>Vrai paragraphe.</p></div>'
    assert body_after(row).body == "Vrai paragraphe."


def test_ads_share_bars_author_box_and_navigation_are_removed() -> None:
    junk = """
    <div class="td-a-rec td-a-rec-id-content_inline"><span class="td-adspot-title">- Publicité -</span><script>ad()</script></div>
    <div class="td-g-rec td-g-rec-id-content_bottom"><ins class="adsbygoogle" data-ad-slot="1"></ins></div>
    <div class="td-a-ad id_inline_ad1">Publicité en ligne</div>
    <div class="code-block code-block-3"><span>ANZEIGE</span></div>
    <div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Partager :</h3><a href="https://twitter.com/share">Twitter</a></div>
    <div class="author-box-wrap"><div class="td-author-description">Digital Nomad depuis 5 ans</div></div>
    <div class="td-post-next-prev"><span>Article précédent</span><a href="/p/">Précédent</a></div>
    <div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title">ARTICLES CONNEXES</h4>
      <h3 class="entry-title td-module-title"><a href="/rel/">Connexe</a></h3></div>"""
    result = body_after(KEPT + junk)
    assert result.body == "Le texte de l’article."
    assert [r["url"] for r in result.related] == ["https://theinquirer.fr/rel/"]


def test_body_html_keeps_only_the_allow_list() -> None:
    dirty = """<div class="tdc-row"><div style="color:red" onclick="x()">Un paragraphe en div.</div></div>
    <p class="MsoNormal"><span>Mot</span><span>.</span> <b>gras</b> <i>it</i> <a href="javascript:alert(1)">lien</a>
    <a href="/ok/" onmouseover="x()" class="c">ok</a></p>
    <iframe src="https://www.youtube.com/embed/x"></iframe><svg><script>alert(1)</script></svg>
    <h1>Intertitre</h1><h6>Petit</h6><table><tr><td>Cellule</td></tr></table>"""
    result = body_after(dirty)
    html = result.body_html
    for forbidden in (
        "<div",
        "<span",
        "<script",
        "<iframe",
        "<svg",
        "<table",
        "class=",
        "style=",
        "onclick",
        "onmouseover",
        "javascript:",
        "<b>",
        "<i>",
        "<h1",
        "<h6",
    ):
        assert forbidden not in html, forbidden
    assert "<p>Un paragraphe en div.</p>" in html
    assert '<a href="https://theinquirer.fr/ok/" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "<strong>gras</strong>" in html and "<em>it</em>" in html
    assert "<h2>Intertitre</h2>" in html and "<h4>Petit</h4>" in html
    assert result.body.split("\n\n") == [
        "Un paragraphe en div.",
        "Mot. gras it lien ok",
        "Intertitre",
        "Petit",
        "Cellule",
    ]


def test_whitespace_and_invisible_characters_are_normalised_and_empty_paragraphs_dropped() -> None:
    messy = "<p>Sou\u00adtien\u200b au\u00a0pays\u2028 entier</p><p>\u00a0</p><div> </div><p><br></p>"
    result = body_after(messy)
    assert result.body == "Soutien au pays entier"
    assert result.body_html.count("<p>") == 1
    assert result.word_count == 4


def test_guineenews_style_div_paragraphs_and_br_lines_become_paragraphs() -> None:
    divs = '<div dir="auto">Premier.</div><div dir="auto"></div><div dir="auto">Deuxième.<br>Troisième.</div>'
    assert body_after(divs).body.split("\n\n") == ["Premier.", "Deuxième.", "Troisième."]


def test_blockquote_of_article_text_stays_and_embeds_go() -> None:
    html = """<blockquote><p>« Nous ne céderons pas », a-t-il dit.</p></blockquote>
    <blockquote class="twitter-tweet"><p>tweet text</p></blockquote>"""
    result = body_after(html)
    assert result.body == "« Nous ne céderons pas », a-t-il dit."
    assert "<blockquote>" in result.body_html


def test_figure_caption_becomes_an_image_and_not_body_text() -> None:
    html = """<figure class="wp-caption"><img data-src="/wp-content/uploads/a.jpg" src="data:image/gif;base64,R0"
      alt="Genève"><figcaption class="wp-caption-text">Le palais de Genève.</figcaption></figure><p>Texte.</p>"""
    result = body_after(html)
    assert result.images == [
        {"url": "https://theinquirer.fr/wp-content/uploads/a.jpg", "caption": "Le palais de Genève."}
    ]
    assert result.body == "Texte."


def test_featured_image_is_not_a_body_image() -> None:
    html = '<div class="td-post-featured-image"><img src="/lead.jpg"></div><p>Texte.</p>'
    assert body_after(html).images == []


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ({"title": None}, "missing_title"),
        ({"body": "<p> </p><div class='td-a-rec'>Pub</div>"}, "missing_body"),
        ({"published": None}, "missing_published"),
    ],
)
def test_records_without_title_body_or_date_are_dropped_and_counted(missing: dict[str, object], reason: str) -> None:
    crawler, pipelines = build_pipelines()
    body = str(missing.pop("body", KEPT))
    with pytest.raises(DropItem, match=reason):
        run_pipelines(item(body, **missing), pipelines)
    assert crawler.stats.get_value(f"articles/dropped/{reason}") == 1


def test_the_same_article_twice_is_exported_once() -> None:
    crawler, pipelines = build_pipelines()
    run_pipelines(item(KEPT, post_id=7), pipelines)
    with pytest.raises(DropItem, match="duplicate"):
        run_pipelines(item(KEPT, url=BASE + "?utm_source=x#comments"), pipelines)
    with pytest.raises(DropItem, match="duplicate"):
        run_pipelines(item(KEPT, url="https://theinquirer.fr/?p=7", post_id=7), pipelines)
    run_pipelines(item(KEPT, url="https://theinquirer.fr/autre/", post_id=8), pipelines)
    assert crawler.stats.get_value("articles/dropped/duplicate") == 2


def test_normalised_record_has_canonical_url_site_and_iso_dates() -> None:
    record = run_pipelines(
        item(
            KEPT,
            url="https://www.theinquirer.fr/un-article/?utm_medium=x&fbclid=y",
            published="2022-01-21T20:00:00",
            title="  Titre\u00a0 ",
            language="fr-FR",
        )
    )
    assert record.url == "https://www.theinquirer.fr/un-article/"
    assert record.site == "theinquirer.fr"
    assert record.published == "2022-01-21T20:00:00+01:00"  # no offset on the page: the site's zone
    assert record.title == "Titre"
    assert record.language == "fr"


def test_pipelines_run_in_data_flow_order() -> None:
    settings = Settings()
    settings.setmodule("inquirer_crawler.settings", priority="project")
    ordered = sorted(settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1])
    assert [path.rsplit(".", 1)[1] for path, _ in ordered] == [
        "DropCrossPromoPipeline",
        "CleanBodyPipeline",
        "NormalizePipeline",
        "ValidatePipeline",
        "DedupePipeline",
    ]


def test_a_wire_story_republished_under_another_url_is_kept_twice() -> None:
    """Catalogue row 33: same text, different canonical URL. Two articles of the site (the wire copy
    and its republication) are two records; dedupe is by canonical URL and post id, not by text."""
    crawler, pipelines = build_pipelines()
    first = run_pipelines(item(KEPT, post_id=7), pipelines)
    second = run_pipelines(item(KEPT, url="https://theinquirer.fr/la-meme-depeche/", post_id=8), pipelines)
    assert first.body == second.body and first.url != second.url
    assert crawler.stats.get_value("articles/dropped/duplicate") is None


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda e: e.name)
def test_the_body_handed_on_as_a_tree_gives_the_record_a_fresh_parse_gives(expectation: Expectation) -> None:
    """The page hands its body to the pipelines as a tree (BodyTree); parsing ``body_html`` instead
    must not change one field of any fixture's record."""
    path = mirror_path(FIXTURES, expectation.url)
    assert path is not None
    page = ArticlePage.from_html(path.read_bytes().decode("utf-8"), expectation.url, fetched_at=FETCHED)
    with_tree, without_tree = page.to_item(), page.to_item()
    assert with_tree.page_hints.body_tree is not None
    without_tree.page_hints.body_tree = None
    records = [vars(run_pipelines(item)) for item in (with_tree, without_tree)]
    for record in records:
        record.pop("page_hints")
    assert records[0] == records[1]
    assert records[0]["body"]


def test_a_body_changed_after_the_tree_was_stored_is_parsed_again() -> None:
    article = item("<p>Ancien texte.</p>")
    BodyTree.store(article, parse_fragment(article.body_html), article.body_html)
    article.body_html = "<p>Nouveau texte.</p>"  # a user's pipeline rewrote it
    assert clean_body(drop_cross_promo(article)).body == "Nouveau texte."


def test_text_after_a_list_or_a_quote_is_one_paragraph_once() -> None:
    article = body_after("<ul><li>un</li></ul>queue du texte<p>deux</p><blockquote><p>cité</p></blockquote>après")
    assert article.body_html == (
        "<ul><li>un</li></ul><p>queue du texte</p><p>deux</p><blockquote><p>cité</p></blockquote><p>après</p>"
    )
    assert article.body == "un\n\nqueue du texte\n\ndeux\n\ncité\n\naprès"


def test_wrappers_around_paragraphs_are_walked_and_wrappers_of_inline_text_become_paragraphs() -> None:
    # A Word paste wraps paragraphs in a <span>; a page builder nests rows of <div>s; a <div> of
    # inline text is a paragraph, and its inline elements stay in it.
    html = (
        "<span><p>Un.</p><p>Deux.</p></span>"
        "<div><div><section><p>Trois <b>gras</b>.</p></section></div>Quatre <em>penché</em>.</div>"
        "<div>Cinq <a href='/six/'>lien</a>.</div>"
    )
    article = body_after(html)
    assert article.body.split("\n\n") == ["Un.", "Deux.", "Trois gras.", "Quatre penché.", "Cinq lien."]
    assert article.body_html == (
        "<p>Un.</p><p>Deux.</p><p>Trois <strong>gras</strong>.</p><p>Quatre <em>penché</em>.</p>"
        '<p>Cinq <a href="https://theinquirer.fr/six/" rel="noopener noreferrer nofollow">lien</a>.</p>'
    )


@pytest.mark.parametrize(
    "phrases",
    [
        phrases_for("fr"),
        phrases_for("de"),
        phrases_for("es"),
        phrases_for("en"),
        ("à lire aussi", "ça aussi", "über uns", "élu"),
        ("ok", "re:", "lire aussi"),
    ],
    ids=["fr", "de", "es", "en", "accented-only", "short"],
)
def test_the_quick_start_test_never_hides_a_promo_label(phrases: tuple[str, ...]) -> None:
    # Texts built to trip it: mojibake ("Ã\xa0" is "à" read as cp1252), letters and combining
    # accents that compose into a label's first letter, invisible characters, marks and spaces
    # before the label, labels in capitals, near misses. The last phrase set starts only with
    # letters whose ASCII base starts none of them.
    pieces = [
        *phrases,
        "LIRE",
        "Lire aussi",
        "Ã",
        "\xa0",
        "Ã§",
        "Ã¼",
        "Ã©",
        "©",
        "â€™",
        "A",
        "a",
        "C",
        "u",
        "E",
        "e",
        "\u0300",
        "\u0301",
        "\u0308",
        "\u0327",
        "x",
        "\u200b",
        "\u00ad",
        "\x00",
        " ",
        "\n",
        "»",
        "›",
        "→",
        "•",
        "-",
        "—",
        "|",
        ":",
        "é",
        ">",
        "\u0338",
        "\t",
        "\x1c",
        "rea",
        "read",
        "lir",
        "ok",
        "okay",
        "re",
        "RE:",
        "Lesen",
    ]
    pick = random.Random(phrases[0]).choice
    texts = ["".join(pick(pieces) for _ in range(random.Random(n).randint(1, 6))) for n in range(20_000)]
    texts += [f"{a}{b}{phrase[1:]}" for phrase in phrases for a in pieces for b in pieces]
    starts, at_start = phrase_starts(phrases), _phrases_at_start(phrases)
    labelled = [text for text in texts if at_start.match(_fold(text)) or at_start.match(_fold(_head(text)))]
    assert len(labelled) > 100  # the texts are about something
    # Given the whole text, or only a start of it (a block's own text before its first child).
    hidden = [text for text in labelled if _no_phrase_starts_with(text, starts)]
    hidden += [
        text[:cut]
        for text in labelled
        for cut in range(len(text))
        if _no_phrase_starts_with(text[:cut], starts, whole=False)
    ]
    assert hidden == []
    assert sum(_no_phrase_starts_with(text, starts) for text in texts) > 1000  # it does decide


def _settled_start_by_loop(text: str, whole: bool) -> str | None:
    """The character loop that ``_settled_start`` replaced (its regexes are ~5 times faster): the
    oracle it is compared with."""
    index, size = 0, len(text)
    while index < size and (text[index].isspace() or text[index] in _SKIPPED_AT_START):
        index += 1
    if index == size:
        return "" if whole else None
    settled: list[str] = []
    space = False
    while index < size and len(settled) <= _QUICK:
        char = text[index]
        if not char.isascii() or char == "\x00":
            if settled and not space:
                settled.pop()
            break
        if char.isspace():
            space = True
        else:
            if space:
                settled.append(" ")
                space = False
            settled.append(char)
        index += 1
    else:
        if len(settled) <= _QUICK and not whole:
            return None
    return "".join(settled[:_QUICK]).lower() if settled else None


def test_the_quick_start_reads_what_the_character_loop_read() -> None:
    # Every kind of character the loop tells apart (each Unicode space and each skipped mark, ASCII
    # letters and spaces, NUL, characters outside ASCII), in runs long and short: 64 characters of
    # spaces and more is where the regexes read the whole run again.
    alphabet = [chr(c) for c in range(0x80) if c] + [chr(c) for c in range(0x80, 0x3100) if chr(c).isspace()]
    alphabet += [*sorted(_SKIPPED_AT_START), "\x00", "é", "Ã", "\u0301", "ß", "\U0001f600", "İ"]
    pick = random.Random(7)
    texts = ["", " ", "a" * 9, "a" * 8, "ab" + " " * 70 + "cd", " " * 70 + "x", "abc" + " " * 64 + "é"]
    for _ in range(60_000):
        size = pick.choice((1, 3, 8, 9, 10, 12, 20, 70, 140))
        weights = pick.choice(("letters", "spaces", "mixed"))
        letters = "abcXYZ09.:" if weights != "spaces" else " "
        texts.append(
            "".join(
                pick.choice(letters)
                if pick.random() < (0.8 if weights == "letters" else 0.5)
                else pick.choice(alphabet)
                for _ in range(size)
            )
        )
    for text in texts:
        for whole in (True, False):
            assert _settled_start(text, whole) == _settled_start_by_loop(text, whole), (text, whole)


def test_a_sites_empty_or_padded_label_neither_takes_every_block_nor_is_lost() -> None:
    phrases = phrases_for("en", ("", "  ", " Voir Plus "))
    assert "" not in phrases and phrases[0] == "voir plus"
    body = "<p>First paragraph of the article.</p><p>Voir plus : <a href='/autre/'>Un autre article</a></p>"
    promo = CrossPromo(phrases, BASE)
    root = parse_fragment(body)
    promo.run(root)
    assert [p.text for p in root.iter("p")] == ["First paragraph of the article."]
    assert promo.related == [{"url": "https://theinquirer.fr/autre/", "title": "Un autre article"}]
