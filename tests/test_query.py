"""The page code's query engine against parsel: on every article fixture, for every selector chain of
pages/selectors.py, ``PostQuery.find`` answers what parsel's ``.css()`` answers inside the post.

What is compared, group by group of each selector: parsel's ``.css(group)`` on the step's root (the
page, the post's scope or its header), restricted to what lies in the post's region (the subtrees
the class index reads), against ``find``. A group that does not start with a theme block class is
handed to parsel by ``find`` itself; a group that does is answered from the class index.

Not compared, because the page code hands them to parsel (or lxml) directly, not to ``find``:
``ARTICLE_HEADLINE`` and ``title::text`` (page-wide ``selector.css``), ``FEATURED_IMG`` and
``FEATURED_CAPTION`` and ``time::attr(datetime)`` (``.css`` on a block ``find`` returned), and the
``//span[following-sibling::a]`` XPath of the neighbour labels.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from parsel import Selector

from inquirer_crawler.pages import selectors
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.query import BODIES, INDEXED_PREFIXES, NOTHING_TO_INDEX_INSIDE, classes, groups
from inquirer_crawler.response.replay import mirror_path
from tests.conftest import EXPECTATIONS, FIXTURES

_PSEUDO = re.compile(r"::(?:text|attr\([^)]*\))$")
STEPS = sorted({(where, css) for chain in selectors.CHAINS.values() for where, css in chain})


@cache
def fixture_page(url: str) -> ArticlePage:
    path = mirror_path(FIXTURES, url)
    assert path is not None
    return ArticlePage.from_html(path.read_bytes(), url)


def _in(element: Any, roots: list[Any]) -> bool:
    return any(element is root or root in element.iterancestors() for root in roots)


def not_indexed_because(element: Any, head_class: str) -> str | None:
    """Why the class index does not hold this match's head, when that is by design: the three
    places pages/query.py does not look into (None when the match should have been found)."""
    ancestors = list(element.iterancestors())
    for ancestor in ancestors:
        tokens = set(classes(ancestor))
        if tokens & NOTHING_TO_INDEX_INSIDE:
            return "inside a share bar, related posts or comments"
        if "td_block_wrap" in tokens and not any(t.startswith(INDEXED_PREFIXES) for t in tokens):
            return "inside a theme block no lookup names (a list of other posts, a widget)"
    bodies = [a for a in ancestors if set(classes(a)) & BODIES]
    if bodies and not (len(bodies) == 1 and element.getparent() is bodies[0] and head_class in classes(element)):
        return "inside the body, deeper than its children"
    return None


def compare(page: ArticlePage, group: str, within: Selector | None) -> None:
    """``find(group)`` is parsel's ``.css(group)`` in the indexed region, in the same order, but for
    matches whose head lies where the index does not look (each such match named with its reason)."""
    query = page.query
    root = within if within is not None else page.selector
    elements_css = _PSEUDO.sub("", group)
    pseudo = group[len(elements_css) :]
    found = [s.root for s in query.find(elements_css, within)]
    region = query.indexed_region
    expected = [s.root for s in root.css(elements_css) if _in(s.root, region)]
    head_class = groups(group)[0][2] or ""
    kept = [e for e in expected if any(e is f for f in found)]
    assert len(kept) == len(found) and all(a is b for a, b in zip(kept, found, strict=True)), group
    for missing in (e for e in expected if not any(e is f for f in found)):
        heads = [a for a in [missing, *missing.iterancestors()] if head_class in classes(a)]
        assert any(not_indexed_because(head, head_class) for head in heads), (group, missing.get("class"))
    if pseudo:
        values = [value for e in found for value in Selector(root=e, type="html").css(pseudo).getall()]
        assert query.find(group, within).getall() == values, group


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda e: e.name)
def test_find_answers_what_parsel_answers_inside_the_post(expectation: Any) -> None:
    page = fixture_page(expectation.url)
    query = page.query
    query.by_class  # noqa: B018 (builds the index, and with it the region it was read from)
    for where, css in STEPS:
        within = query.within(where)
        for group, _tag, cls, _rest in groups(css):
            if cls is None:
                found = query.find(group, within).getall()
                assert found == (within if within is not None else page.selector).css(group).getall(), (where, group)
            else:
                compare(page, group, within)


def test_the_comparison_is_about_something() -> None:
    # Over the fixtures, most steps that go through the class index do find something.
    indexed = [(where, css) for where, css in STEPS if any(cls for _, _, cls, _ in groups(css))]
    hits = {
        step
        for step in indexed
        for e in EXPECTATIONS
        if fixture_page(e.url).query.find(step[1], fixture_page(e.url).query.within(step[0]))
    }
    assert len(hits) >= len(indexed) * 2 // 3, sorted(set(indexed) - hits)


def test_every_selector_of_the_page_code_is_a_chain_step_or_named_as_parsel_only() -> None:
    source = (FIXTURES.parent / "inquirer_crawler" / "pages" / "article.py").read_text("utf-8")
    # The field code names no CSS of its own but these, which go to parsel directly.
    literals = set(re.findall(r"""\.css\((["'])(.+?)\1\)""", source))
    assert {css for _, css in literals} <= {"title::text", "time::attr(datetime)"}
    assert "query.find(" not in source.replace("self.query.find(css, self.query.within(where))", "").replace(
        'self.query.find(".tdb_single_content, .tdb_title")', ""
    )
