"""Page code from HTML strings, without a Scrapy engine: the traps of SITE-NOTES, one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.sites.inquirer_fr import INQUIRER_FR

URL = "https://theinquirer.fr/un-article/"
FETCHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def page(body: str, head: str = "", body_class: str = "single single-post postid-4242") -> ArticlePage:
    html = f"""<!DOCTYPE html><html lang="fr-FR"><head><meta charset="UTF-8">{head}</head>
    <body class="{body_class}">
      <div class="td-header-wrap"><div class="td_data_time">vendredi, 27 novembre 2026</div>
        <ul class="sf-menu"><li><a href="/category/economie/">Économie</a></li></ul></div>
      <div class="td-main-content-wrap">{body}</div>
      <aside class="td-pb-span4 td-main-sidebar"><div class="td_block_wrap td_block_7">
        <h4 class="block-title"><span>A Lire Aussi</span></h4>
        <div class="td_module_6"><h3 class="entry-title td-module-title"><a href="/autre/">Un autre titre</a></h3>
        <span class="td-post-date"><time class="entry-date" datetime="2026-11-20T10:00:00+00:00">20 novembre 2026</time></span>
        </div></div></aside>
    </body></html>"""
    return ArticlePage.from_html(html, URL, INQUIRER_FR, fetched_at=FETCHED)


CLASSIC_HEADER = """
<article id="post-4242" class="post-4242 post type-post">
 <div class="td-post-header">
  <ul class="td-category"><li class="entry-category"><a href="/category/internationales/">Internationales</a></li></ul>
  <header class="td-post-title"><h1 class="entry-title">Le vrai titre</h1>
   <div class="td-module-meta-info">
    <div class="td-post-author-name"><div class="td-author-by">Par</div> <a href="/author/digital-nomad/">Digital Nomad</a></div>
    <span class="td-post-date">{date}</span>
    <div class="td-post-views"><i class="td-icon-views"></i><span class="td-nr-views-4242">81</span></div>
    <div class="td-post-comments"><a href="#respond"><i class="td-icon-comments"></i>0</a></div>
   </div></header>
 </div>
 <div class="td-post-content tagdiv-type"><p>Le texte.</p></div>
</article>"""


def test_scoped_title_author_and_counters_ignore_the_sidebar() -> None:
    article = page(CLASSIC_HEADER.format(date="21 janvier 2022"))
    assert article.title() == "Le vrai titre"
    assert article.author() == "Digital Nomad"
    assert article.author_url() == "https://theinquirer.fr/author/digital-nomad/"
    assert (article.views(), article.comments()) == (81, 0)
    assert article.categories() == ["Internationales"]


def test_counters_are_read_by_class_whatever_their_order() -> None:
    tdb = """
    <div class="td_block_wrap tdb_single_comments_count tdi_77"><div class="tdb-block-inner td-fix-index">
      <a href="#respond"><i class="tdb-comm-icon"></i><span class="tdb-add-text">Commentaires</span><span>12</span></a></div></div>
    <div class="td_block_wrap tdb_single_post_views tdi_78"><div class="tdb-block-inner td-fix-index">
      <i class="tdb-views-icon"></i><span class="td-nr-views-4242">1 234</span></div></div>"""
    article = page(tdb, body_class="single postid-4242 tdb_template_99")
    assert (article.views(), article.comments()) == (1234, 12)


def test_only_the_visible_french_date_is_read_with_paris_time() -> None:
    article = page(CLASSIC_HEADER.format(date="21 janvier 2022 à 20h"))
    assert article.published() == "2022-01-21T20:00:00+01:00"


def test_relative_french_date_counts_from_the_fetch_time() -> None:
    article = page(CLASSIC_HEADER.format(date="il y a 2 heures"))
    assert datetime.fromisoformat(article.published()) == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def test_header_date_of_today_is_never_taken_for_the_article_date() -> None:
    no_date = CLASSIC_HEADER.format(date="")
    assert page(no_date).published() is None


def test_meta_published_time_wins_over_the_theme_time_element() -> None:
    head = '<meta property="article:published_time" content="2022-01-21T19:00:00+00:00">'
    body = CLASSIC_HEADER.format(
        date='<time class="entry-date" datetime="2022-01-21T20:00:00+00:00">21 janvier 2022</time>'
    )
    assert page(body, head).published() == "2022-01-21T19:00:00+00:00"


def test_old_theme_time_element_is_local_time_mislabelled_utc() -> None:
    head = '<link rel="stylesheet" href="https://theinquirer.fr/wp-content/themes/Newspaper/style.css?ver=10.3.7">'
    body = CLASSIC_HEADER.format(
        date='<time class="entry-date" datetime="2022-01-21T20:00:00+00:00">21 janvier 2022</time>'
    )
    assert page(body, head).published() == "2022-01-21T20:00:00+01:00"


def test_recent_theme_time_element_is_trusted() -> None:
    head = '<link rel="stylesheet" href="https://theinquirer.fr/wp-content/themes/Newspaper/style.css?ver=12.6.8">'
    body = CLASSIC_HEADER.format(
        date='<time class="entry-date" datetime="2022-01-21T19:00:00+00:00">21 janvier 2022</time>'
    )
    assert page(body, head).published() == "2022-01-21T19:00:00+00:00"


def test_tdb_page_is_detected_and_read_from_its_blocks() -> None:
    tdb = """
    <article id="template-id-777" class="post-777 tdb_templates"></article>
    <div class="td_block_wrap tdb_breadcrumbs tdi_5"><div class="tdb-block-inner">
      <span><a class="tdb-entry-crumb" href="/">Accueil</a></span><i class="tdb-bread-sep td-icon-right"></i>
      <span><a class="tdb-entry-crumb" href="/category/economie/">Économie</a></span></div></div>
    <div class="td_block_wrap tdb_title tdi_6"><div class="tdb-block-inner"><h1 class="tdb-title-text">Titre tdb</h1></div></div>
    <div class="td_block_wrap tdb_single_date tdi_7"><div class="tdb-block-inner">
      <time class="entry-date updated td-module-date" datetime="2022-01-24T09:30:00+01:00">24 janvier 2022</time></div></div>
    <div class="td_block_wrap tdb_single_modified_date tdi_8"><div class="tdb-block-inner">
      <time class="entry-date updated td-module-date" datetime="2022-01-25T10:00:00+01:00">25 janvier 2022</time></div></div>
    <div class="td_block_wrap tdb_single_content td-post-content tagdiv-type tdi_9"><style>.x{}</style>
      <div class="tdb-block-inner td-fix-index"><p>Texte.</p></div></div>
    <div class="td_block_wrap tdb_single_next_prev tdi_10"><div class="tdb-block-inner">
      <div class="tdb-next-post tdb-post-prev"></div>
      <div class="tdb-next-post tdb-next-post-bg tdb-post-next"><span>Article suivant</span><a href="/suivant/?utm_source=x">Le suivant</a></div>
    </div></div>"""
    article = page(tdb, body_class="single postid-4242 tdb_template_99")
    assert article.template == "tdb"
    assert article.title() == "Titre tdb"
    assert article.section() == "Économie"
    assert article.published() == "2022-01-24T09:30:00+01:00"
    assert article.modified() == "2022-01-25T10:00:00+01:00"
    assert article.previous() is None
    assert article.next() == {"url": "https://theinquirer.fr/suivant/", "title": "Le suivant"}
    assert article.body_html().startswith('<div class="tdb-block-inner')
    assert article.post_id() == 4242


def test_post_id_falls_back_to_the_shortlink_never_the_template_id() -> None:
    head = '<link rel="shortlink" href="https://theinquirer.fr/?p=5150">'
    article = page('<article id="template-id-777"></article>', head, body_class="single")
    assert article.post_id() == 5150


def test_unclosed_title_tag_does_not_become_the_headline() -> None:
    # lxml reads the whole rest of the document into an unclosed <title> (RELIABILITY-NOTES row 1).
    broken = "<title>Broken<body><div class='td-post-content'><p>rest of the page</p></div></body></html>"
    with_og = '<html><head><meta property="og:title" content="Bon titre - The Inquirer">'
    with_og += '<meta property="og:site_name" content="The Inquirer">' + broken
    assert ArticlePage.from_html(with_og, URL, INQUIRER_FR, fetched_at=FETCHED).title() == "Bon titre"
    assert ArticlePage.from_html("<html><head>" + broken, URL, INQUIRER_FR, fetched_at=FETCHED).title() is None


def test_previous_link_found_by_its_french_label_when_classes_differ() -> None:
    body = CLASSIC_HEADER.format(date="") + (
        '<div class="custom-nav"><span>Article précédent</span><a href="/avant/">Le précédent</a></div>'
    )
    assert page(body).previous() == {"url": "https://theinquirer.fr/avant/", "title": "Le précédent"}


def test_placeholder_image_is_no_lead_image() -> None:
    head = (
        '<meta property="og:image" content="https://x.org/wp-content/themes/Newspaper/images/td_meta_replacement.png">'
    )
    assert page(CLASSIC_HEADER.format(date=""), head).image() is None


def test_a_response_is_parsed_from_its_bytes_bom_and_nul_bytes_included() -> None:
    from scrapy.http import HtmlResponse

    from inquirer_crawler.pages.dom import parse_response

    body = "\ufeff<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Été\x00 à Montréal</title>"
    response = HtmlResponse(URL, body=(body + "</head><body><p>Texte</p></body></html>").encode("utf-8"))
    root = parse_response(response).root
    assert root.get("lang") == "fr"
    assert root.findtext("head/title") == "Été à Montréal"


def test_a_response_in_another_charset_is_parsed_from_its_text() -> None:
    from scrapy.http import HtmlResponse

    from inquirer_crawler.pages.dom import parse_response

    html = "<html><head><meta charset='iso-8859-1'><title>Été à Montréal</title></head><body></body></html>"
    response = HtmlResponse(URL, body=html.encode("iso-8859-1"))
    assert parse_response(response).root.findtext("head/title") == "Été à Montréal"


@pytest.mark.parametrize(
    ("fragment", "inside"),
    [
        ("", ""),
        ("  \n ", ""),
        (" texte <p>un</p> fin", " texte <p>un</p> fin"),
        ("<p>é ✓ 😀</p>", "<p>é ✓ 😀</p>"),
        ("<p>a\x00b</p>", "<p>a\ufffdb</p>"),  # as libxml2 reads a NUL everywhere
        ("<!DOCTYPE html><html><body class='x'><p>page</p></body></html>", "<p>page</p>"),
        (
            "<html><head><title>t</title></head></html>",
            "",
        ),  # lxml.html fails on this one and the last, and loses "suite" and <p>b</p>
        ("<p>a</p></body>suite<p>b</p>", "<p>a</p>suite<p>b</p>"),
        ("</div></body><p>x</p><body>y<p>z</p>", "<p>x</p>y<p>z</p>"),
    ],
    ids=["empty", "blank", "text", "unicode", "nul", "document", "no-body", "stray-end", "two-bodies"],
)
def test_a_fragment_is_parsed_into_one_div_and_nothing_of_it_is_lost(fragment: str, inside: str) -> None:
    from inquirer_crawler.pages.dom import inner_html, parse_fragment

    root = parse_fragment(fragment)
    assert (root.tag, dict(root.attrib), root.tail, inner_html(root)) == ("div", {}, None, inside)


def test_without_a_theme_body_the_body_is_the_block_of_paragraphs_outside_furniture() -> None:
    # A child theme with templates of its own: no td-post-content, no itemprop, no entry-content.
    # Paragraphs in a header, footer, nav, aside or form never count, however long (a sidebar's
    # about box, a comment form's notice); the body is the parent of the most paragraph text.
    long = "Une phrase de l'article qui dit quelque chose de vrai. " * 6
    longer = "Texte de la barre latérale, plus long que l'article entier. " * 30
    body = f"""
    <header><div class="intro"><p>{longer}</p></div></header>
    <div class="story"><h1 class="entry-title">Titre</h1><p>{long}</p><p>{long}</p></div>
    <aside><div><p>{longer}</p></div></aside>
    <form><p>{longer}</p></form>
    <footer><nav><p>{longer}</p></nav></footer>"""
    article = page(body, body_class="single")
    root = article.body_root()
    assert root is not None and root.root.get("class") == "story"
    # Too little text anywhere else: no body rather than a wrong one.
    assert page(f"<aside><p>{longer}</p></aside><div><p>Court.</p></div>", body_class="single").body_root() is None
