"""Plugin widgets (sites/plugins.py) and blocks of links (the structural cross-promotion rule) leave
the body; what is article text stays. Measured on every real page of fixtures/ and on the mirror."""

from __future__ import annotations

import re

import pytest

from inquirer_crawler.items import ArticleItem, PageHints
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.dom import parse_fragment, text_of
from inquirer_crawler.pages.simple_css import SelectorGroups
from inquirer_crawler.pipelines import drop_cross_promo as dcp
from inquirer_crawler.pipelines.clean_body import clean_body
from inquirer_crawler.pipelines.drop_cross_promo import DropCrossPromoPipeline, remove_junk
from inquirer_crawler.response.replay import mirror_path
from inquirer_crawler.sites.plugins import PLUGIN_WIDGETS, PluginWidget, WidgetKind
from tests.conftest import EXPECTATIONS, FIXTURES, Expectation, build_pipelines

BASE = "https://site.example/un-article/"
TEXT = "Le texte de l'article, une vraie phrase avec un verbe."


def item(body_html: str) -> ArticleItem:
    return ArticleItem(
        url=BASE,
        site="site.example",
        language="fr",
        body_html=f'<div class="td-post-content">{body_html}</div>',
        page_hints=PageHints(base_url=BASE, site="site.example"),
    )


def element_for(css: str, inner: str) -> str:
    """The smallest element the (one-element) selector matches."""
    tag = re.match(r"^[a-z]+", css)
    attributes = []
    for kind, name in re.findall(r"([.#])([\w-]+)", re.sub(r"\[.*?\]", "", css)):
        attributes.append(f'class="{name}"' if kind == "." else f'id="{name}"')
    for name, operator, value in re.findall(r'\[([\w-]+)([*^$~]?=)"([^"]*)"\]', css):
        attributes.append(
            f'{name}="{value}1"'
            if operator == "^="
            else f'{name}="x {value} y"'
            if operator == "*="
            else f'{name}="{value}"'
        )
    name = tag.group() if tag else "div"
    return f"<{name} {' '.join(attributes)}>{inner}</{name}>"


def test_the_table_loads_and_names_each_plugin_once() -> None:
    SelectorGroups([widget.selectors for widget in PLUGIN_WIDGETS])  # refuses what it cannot match
    slugs = [widget.plugin for widget in PLUGIN_WIDGETS]
    assert len(slugs) == len(set(slugs))
    assert all(re.fullmatch(r"[a-z0-9-]+", slug) for slug in slugs)
    kinds = {widget.kind for widget in PLUGIN_WIDGETS}
    assert kinds == set(WidgetKind)


@pytest.mark.parametrize(
    ("widget", "css"),
    [pytest.param(w, css, id=f"{w.plugin}-{css}") for w in PLUGIN_WIDGETS for css in w.selectors],
)
def test_each_plugin_widget_leaves_the_body_and_is_counted_by_plugin(widget: PluginWidget, css: str) -> None:
    promoted = '<a href="https://site.example/un-autre-article/">Un autre article du site</a>'
    article = item(f"<p>{TEXT}</p>{element_for(css, 'Texte du widget ' + promoted)}<p>Fin du texte.</p>")
    crawler, _ = build_pipelines()
    DropCrossPromoPipeline(crawler).process_item(article)
    body = clean_body(article).body
    assert body == f"{TEXT}\n\nFin du texte."
    assert crawler.stats.get_value(f"body/removed/plugin/{widget.plugin}") == 1
    kept = [link["url"] for link in article.related]
    assert kept == (["https://site.example/un-autre-article/"] if widget.keeps_links else [])


# Which plugins' widgets each real page holds, read off the pages (fixtures/REALPAGES-SOURCES.md).
PLUGINS_ON_REAL_PAGES = {
    "cleanmyspace": {"disclosure"},
    "eweek": {"easy-table-of-contents", "core-buttons", "disclosure"},
    "grimdark": {"wp-last-modified-info"},
    "guineenews": {"jetpack-sharing"},
    "in4adventure": {"core-post-embed"},
    "nhsjs": {"core-file"},
    "pilipinasrecipes": {"kk-star-ratings", "tasty-recipes-rating", "tasty-recipes", "easy-social-share-buttons"},
    "southerncastiron": {"easyrecipe"},
    "worldtruth": {"social-warfare"},
    "inquirer-japon-ville-ovnis": {"jetpack-sharing"},
}
# The blocks of links the structural rule may remove, read off the pages: only grimdark's list of
# the site's earlier "best of" lists. Everything else (lists of sources, footnotes, lists of
# external links, paragraphs with a link, the mirror's bodies) is article text.
LINK_BOXES_ON_REAL_PAGES = {"grimdark": [["2024", "2023", "2022", "2021", "2020"]]}


def removals(url: str) -> tuple[set[str], list[list[str]]]:
    path = mirror_path(FIXTURES, url)
    assert path is not None
    page = ArticlePage.from_html(path.read_bytes().decode("utf-8"), url)
    boxes: list[list[str]] = []
    original = dcp.CrossPromo._is_link_box

    def spy(self: dcp.CrossPromo, element: object, body_size: int) -> bool:
        found = original(self, element, body_size)  # type: ignore[arg-type]
        if found:
            boxes.append([" ".join(text_of(a).split()) for a in element.iter("a")])  # type: ignore[attr-defined]
        return found

    dcp.CrossPromo._is_link_box = spy  # type: ignore[method-assign]
    try:
        removed = remove_junk(page.to_item())
    finally:
        dcp.CrossPromo._is_link_box = original  # type: ignore[method-assign]
    return set(removed.by_plugin), boxes


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda e: e.name)
def test_on_every_real_page_and_the_mirror_exactly_the_widgets_and_link_boxes_read_off_the_page_go(
    expectation: Expectation,
) -> None:
    plugins, boxes = removals(expectation.url)
    assert plugins == PLUGINS_ON_REAL_PAGES.get(expectation.name, set())
    assert boxes == LINK_BOXES_ON_REAL_PAGES.get(expectation.name, [])


SITE_LINKS = "".join(
    f'<li><a href="https://site.example/{slug}/">{title}</a></li>'
    for slug, title in (("a", "Premier article du site"), ("b", "Deuxième article du site"), ("c", "Troisième article"))
)


@pytest.mark.parametrize(
    "box",
    [
        pytest.param(f"<ul>{SITE_LINKS}</ul>", id="unlabelled-list"),
        pytest.param(f"<aside><h3>Dossier</h3><ul>{SITE_LINKS}</ul></aside>", id="aside-with-heading"),
        pytest.param(f'<div class="box"><p>À lire</p><ul>{SITE_LINKS}</ul></div>', id="div-with-a-label"),
        pytest.param(f"<ul>{SITE_LINKS.replace('https://site.example', '')}</ul>", id="relative-links"),
    ],
)
def test_a_block_of_links_to_the_sites_articles_goes_to_related(box: str) -> None:
    long_text = "".join(f"<p>{TEXT} Paragraphe {n}.</p>" for n in range(6))
    article = item(f"{long_text}{box}<p>Fin du texte.</p>")
    crawler, _ = build_pipelines()
    DropCrossPromoPipeline(crawler).process_item(article)
    assert crawler.stats.get_value("body/removed/link_box") == 1
    assert [link["url"] for link in article.related] == [f"https://site.example/{s}/" for s in "abc"]
    assert clean_body(article).body.split("\n\n")[-1] == "Fin du texte."
    assert "Premier article" not in article.body


@pytest.mark.parametrize(
    "kept",
    [
        pytest.param(
            "<ol>"
            + "".join(
                f'<li>Source {n}. <a href="https://other{n}.example/paper">https://other{n}.example/paper</a></li>'
                for n in range(5)
            )
            + "</ol>",
            id="list-of-sources-elsewhere",
        ),
        pytest.param(
            '<p>Voir <a href="https://site.example/a/">le premier</a>, <a href="https://site.example/b/">le deuxième</a> '
            'et <a href="https://site.example/c/">le troisième</a>.</p>',
            id="paragraph-with-links",
        ),
        pytest.param(
            "<ul>"
            + "".join(f'<li><a href="https://site.example/category/s{n}/">Rubrique {n}</a></li>' for n in range(4))
            + "</ul>",
            id="links-to-sections-not-articles",
        ),
        pytest.param(
            "<ul><li>Un point du texte, long, qui dit quelque chose de vrai sur le sujet traité ici. "
            '<a href="https://site.example/a/">un</a></li><li>Un deuxième point, tout aussi long et tout aussi vrai '
            'que le premier. <a href="https://site.example/b/">deux</a></li><li>Un troisième point qui conclut la '
            'liste avec une phrase entière. <a href="https://site.example/c/">trois</a></li></ul>',
            id="list-of-text-with-links",
        ),
    ],
)
def test_article_text_with_links_stays(kept: str) -> None:
    article = item(f"<p>{TEXT}</p>{kept}<p>Fin du texte.</p>")
    before = " ".join(text_of(parse_fragment(article.body_html)).split())
    removed = remove_junk(article)
    assert removed.link_boxes == 0 and article.related == []
    assert " ".join(text_of(parse_fragment(article.body_html)).split()) == before


def test_a_body_that_is_itself_a_list_of_the_sites_articles_stays() -> None:
    article = item(f"<p>Notre sélection de la semaine.</p><ul>{SITE_LINKS}</ul>")
    assert remove_junk(article).link_boxes == 0
    assert "Premier article du site" in clean_body(article).body


SOURCE_LINKS = "".join(
    f'<li><a href="https://fonte.example.br/noticia/{n}/">Título da notícia número {n} da fonte</a></li>'
    for n in range(3)
)


@pytest.mark.parametrize(
    "box",
    [
        pytest.param(f"<aside><h4>Leia também</h4><ul>{SOURCE_LINKS}</ul></aside>", id="labelled-aside"),
        pytest.param(f"<aside><ul>{SOURCE_LINKS}</ul></aside>", id="unlabelled-aside"),
        pytest.param(f'<div class="syndicated"><p>Read also</p><ul>{SOURCE_LINKS}</ul></div>', id="labelled-div"),
    ],
)
def test_a_syndicated_read_also_box_linking_to_its_source_goes_to_related(box: str) -> None:
    # An English page: the label is Portuguese, the links go to the syndication source's host.
    long_text = "".join(f"<p>{TEXT} Paragraph {n}.</p>" for n in range(6))
    article = item(f"{long_text}{box}<p>Fin du texte.</p>")
    article.language = "en"
    remove_junk(article)
    assert [link["url"] for link in article.related] == [f"https://fonte.example.br/noticia/{n}/" for n in range(3)]
    body = clean_body(article).body
    assert "Leia também" not in body and "Read also" not in body


def test_a_list_of_sources_on_other_sites_outside_an_aside_stays() -> None:
    article = item(f"<p>{TEXT}</p><p>Sources :</p><ul>{SOURCE_LINKS}</ul><p>Fin du texte.</p>")
    assert remove_junk(article).link_boxes == 0
    assert "Título da notícia número 2 da fonte" in clean_body(article).body


def test_comments_and_processing_instructions_in_the_body_break_nothing() -> None:
    long_text = "".join(f"<p>{TEXT} <!-- c{n} --> Paragraphe {n}.</p>" for n in range(6))
    box = f"<ul><!-- liste -->{SITE_LINKS}<?php echo 1; ?></ul>"
    widget = '<div class="kk-star-ratings"><!-- x -->4.5/5</div>'
    article = item(f"<!-- début -->{long_text}{widget}{box}<!-- fin --><p>Fin du texte.</p>")
    removed = remove_junk(article)
    assert removed.link_boxes == 1 and removed.by_plugin == {"kk-star-ratings": 1}
    assert clean_body(article).body.split("\n\n")[-1] == "Fin du texte."
