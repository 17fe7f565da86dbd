"""Property-based tests (Hypothesis) over every real page in fixtures/: mutate a page many ways
(delete or duplicate elements, insert comments and processing instructions, break its JSON-LD,
swap attribute values, truncate it, re-encode it) and check that no exception escapes the page
code and that every record that survives the pipelines is schema-valid.

Each run draws new mutations (the examples are not derandomised), so the pages are mutated many
more ways across runs than in one. The ``ci`` profile (the default) keeps the whole file to a few
seconds; ``HYPOTHESIS_PROFILE=thorough`` runs many more examples per page.
"""

from __future__ import annotations

import json
import os
from copy import deepcopy
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itemadapter import ItemAdapter
from lxml import etree
from scrapy.http import HtmlResponse, Request

from inquirer_crawler.items import EXPORT_FIELDS, ArticleDropped
from inquirer_crawler.pages.article import ArticlePage
from inquirer_crawler.pages.dom import parse_response
from inquirer_crawler.pipelines.dedupe import DedupePipeline
from inquirer_crawler.response.encoding import repaired
from inquirer_crawler.response.replay import mirror_path
from tests.conftest import EXPECTATIONS, FIXTURES, build_pipelines, run_pipelines, validate_record

settings.register_profile(
    "ci", max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Values a broken JSON-LD puts where the page code expects something else.
ODD_VALUES = [None, "", "un", "&#038;", 1.5, -1, 10**30, [], {}, [None], {"@id": "#nowhere"}, {"name": ["a"]}, True]
ATTRIBUTES = ["class", "id", "href", "content", "datetime", "src", "data-src", "property", "name", "rel", "lang"]
ENCODINGS = ["cp1252", "latin-1", "iso-8859-2", "windows-1251", "utf-16"]


@cache
def real_page(url: str) -> etree._Element:
    path = mirror_path(FIXTURES, url)
    assert path is not None
    return etree.fromstring(path.read_bytes(), etree.HTMLParser(encoding="utf-8"))


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


def _break_jsonld(data: st.DataObject, root: etree._Element) -> None:
    scripts = [s for s in root.iter("script") if (s.get("type") or "").lower() == "application/ld+json" and s.text]
    if not scripts:
        return
    script = data.draw(st.sampled_from(scripts))
    try:
        parsed = json.loads(script.text)
    except ValueError:
        parsed = None
    if parsed is None or data.draw(st.booleans()):
        script.text = script.text[: data.draw(st.integers(0, len(script.text)))]  # cut short
        return
    targets = [parsed]
    nodes: list[Any] = []
    while targets:  # every dict of the JSON, to put an odd value under one of its keys
        node = targets.pop()
        if isinstance(node, dict):
            nodes.append(node)
            targets.extend(node.values())
        elif isinstance(node, list):
            targets.extend(node)
    node = data.draw(st.sampled_from(nodes)) if nodes else None
    if node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(st.sampled_from(ODD_VALUES))
    script.text = json.dumps(parsed)


def mutate(data: st.DataObject, root: etree._Element) -> None:
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        elements = _elements(root)
        kind = data.draw(
            st.sampled_from(["delete", "duplicate", "comment", "pi", "beside-post", "jsonld", "swap", "odd-attribute"])
        )
        element = data.draw(st.sampled_from(elements)) if elements else root
        parent = element.getparent()
        if kind == "delete" and parent is not None:
            parent.remove(element)
        elif kind == "duplicate" and parent is not None:
            element.addnext(deepcopy(element))
        elif kind in ("comment", "pi"):
            node = etree.Comment(" inserted ") if kind == "comment" else etree.ProcessingInstruction("php", "echo 1;")
            element.insert(data.draw(st.integers(0, len(element))), node)
        elif kind == "beside-post":
            # Where the page code walks siblings: beside an <article> or one of its ancestors.
            articles = list(root.iter("article")) or [element]
            places = [
                a for article in articles for a in [article, *article.iterancestors()] if a.getparent() is not None
            ]
            target = data.draw(st.sampled_from(places or [element]))
            node = etree.Comment(" tdb ") if data.draw(st.booleans()) else etree.ProcessingInstruction("php", "x")
            if target.getparent() is not None:
                target.addprevious(node)
        elif kind == "jsonld":
            _break_jsonld(data, root)
        elif kind == "swap" and elements:
            other = data.draw(st.sampled_from(elements))
            name = data.draw(st.sampled_from(ATTRIBUTES))
            mine, theirs = element.get(name), other.get(name)
            for target, value in ((element, theirs), (other, mine)):
                if value is None:
                    target.attrib.pop(name, None)
                else:
                    target.set(name, value)
        elif kind == "odd-attribute":
            element.set(
                data.draw(st.sampled_from(ATTRIBUTES)), data.draw(st.sampled_from(["", " ", "un", "-1", "x" * 500]))
            )


def as_bytes(data: st.DataObject, root: etree._Element) -> tuple[bytes, str]:
    """The mutated page as a server would send it: maybe re-encoded (declared or not), maybe cut."""
    html = etree.tostring(root, method="html", encoding="unicode")
    charset = "utf-8"
    if data.draw(st.booleans(), label="re-encode"):
        charset = data.draw(st.sampled_from(ENCODINGS))
    body = html.encode(charset, errors="replace")
    if data.draw(st.booleans(), label="truncate"):
        body = body[: data.draw(st.integers(0, len(body)))]
    declared = data.draw(st.sampled_from([charset, "utf-8", None]), label="declared")
    return body, f"text/html; charset={declared}" if declared else "text/html"


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda e: e.name)
@given(data=st.data())
def test_no_mutation_of_a_real_page_raises_and_every_record_is_schema_valid(
    expectation: Any, data: st.DataObject
) -> None:
    root = deepcopy(real_page(expectation.url))
    mutate(data, root)
    body, content_type = as_bytes(data, root)
    url = expectation.url
    response, _ = repaired(HtmlResponse(url, body=body, headers={"Content-Type": content_type}, request=Request(url)))
    # The page code, as the spider calls it: none of these may raise.
    page = ArticlePage(url, parse_response(response), _site(url))
    page.is_article()
    page.category_urls()
    item = page.to_item()
    try:
        item = run_pipelines(item, _pipelines())
    except ArticleDropped:
        return  # a record may be dropped, with its reason; it may not be broken
    validate_record({name: ItemAdapter(item)[name] for name in EXPORT_FIELDS})


def _site(url: str) -> Any:
    from urllib.parse import urlsplit

    from inquirer_crawler.sites import site_for_host

    return site_for_host(urlsplit(url).netloc)


@cache
def _built_pipelines() -> list[Any]:
    return build_pipelines()[1]


def _pipelines() -> list[Any]:
    """The project's pipelines, with dedupe's memory of this run cleared: each example is a first visit."""
    pipelines = _built_pipelines()
    for pipeline in pipelines:
        if isinstance(pipeline, DedupePipeline):
            pipeline.seen.clear()
    return pipelines
