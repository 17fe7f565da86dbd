"""Where the extraction CPU goes, and what proposed changes would save: the evidence behind
BENCHMARKS.md part 2. Not part of the one-command benchmark; nothing here edits the project.

    python -m benchmarks.profile_extraction             # all three reports
    python -m benchmarks.profile_extraction --only xpath,whatif

- ``xpath``: every XPath evaluation the page code makes (parsel's Selector.xpath, css() included),
  grouped by query: calls and CPU ms per page.
- ``pyinstrument``: a call-tree profile of page code + pipelines (needs pyinstrument).
- ``whatif``: CPU ms per page of page code + pipelines with each proposed change applied
  cumulatively, as an in-process monkeypatch of the project's functions, checking that every
  record stays identical to the unpatched one.
"""

from __future__ import annotations

import argparse
import collections
import functools
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from benchmarks.run import _build_pipelines, fixture_pages


def _chain(pipelines: list[Any]) -> Callable[[str, str, Callable[[str, str], Any]], dict[str, Any]]:
    from scrapy.exceptions import DropItem

    def run(url: str, html: str, make_page: Callable[[str, str], Any]) -> dict[str, Any]:
        for pipeline in pipelines:
            if hasattr(pipeline, "seen"):
                pipeline.seen.clear()
        item = make_page(html, url).to_item()
        for pipeline in pipelines:
            try:
                item = pipeline.process_item(item)
            except DropItem:
                return {}
        record = dict(vars(item))
        record.pop("fetched_at", None)
        record.pop("page_hints", None)
        return record

    return run


def default_page(html: str, url: str) -> Any:
    from inquirer_crawler.pages.article import ArticlePage

    return ArticlePage.from_html(html, url)


# -- report 1: XPath evaluations ------------------------------------------------------------------


def xpath_report(repeats: int = 5) -> str:
    import parsel.selector

    pages = fixture_pages()
    original = parsel.selector.Selector.xpath
    stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    depth = [0]

    def timed(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        began = time.process_time()
        try:
            return original(self, query, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                entry = stats[query]
                entry[0] += 1
                entry[1] += time.process_time() - began

    with mock.patch.object(parsel.selector.Selector, "xpath", timed):
        for _ in range(repeats):
            for _, url, html, _ in pages:
                default_page(html, url).to_item()
    n = repeats * len(pages)
    whole = {q: v for q, v in stats.items() if q.startswith("descendant-or-self::")}
    lines = [
        (
            f"to_item: {sum(v[0] for v in stats.values()) / n:.1f} XPath evaluations per page, "
            f"{1000 * sum(v[1] for v in stats.values()) / n:.2f} ms per page "
            f"({len(stats)} distinct queries; searches of a whole tree or subtree, 'descendant-or-self::': "
            f"{sum(v[0] for v in whole.values()) / n:.1f} per page, {1000 * sum(v[1] for v in whole.values()) / n:.2f} ms)"
        ),
        "  ms/page  calls/page  query",
    ]
    for query, (calls, seconds) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:30]:
        lines.append(f"  {1000 * seconds / n:7.2f}  {calls / n:10.1f}  {query[:140]}")
    return "\n".join(lines)


# -- report 2: pyinstrument -------------------------------------------------------------------------


def pyinstrument_report(rounds: int = 10) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "pyinstrument is not installed (pip install pyinstrument==5.1.3)"
    pages = fixture_pages()
    run = _chain(_build_pipelines())
    for _, url, html, _ in pages:
        run(url, html, default_page)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(rounds):
        for _, url, html, _ in pages:
            run(url, html, default_page)
    profiler.stop()
    return profiler.output_text(unicode=False, color=False, show_all=False)


# -- report 3: what-if ------------------------------------------------------------------------------

# 1. text.clean_text / strip_invisible: str.translate with a dict looks each character up in
#    Python; one compiled regex drops the same characters in C.
_INVISIBLE_RE = re.compile("[\x00\xad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_LINE_SEP_RE = re.compile("[\u2028\u2029\u0085]")


@contextmanager
def fast_invisible() -> Iterator[None]:
    import unicodedata

    from inquirer_crawler import text

    spaces = text._SPACES

    def clean_text(value: str | None) -> str:
        if not value:
            return ""
        return spaces.sub(" ", _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", value))).strip()

    def strip_invisible(html: str) -> str:
        return _LINE_SEP_RE.sub(" ", _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", html)))

    with ExitStack() as stack:
        for module in _modules_using("clean_text"):
            stack.enter_context(mock.patch.object(module, "clean_text", clean_text))
        for module in _modules_using("strip_invisible"):
            stack.enter_context(mock.patch.object(module, "strip_invisible", strip_invisible))
        yield


def _modules_using(name: str) -> list[Any]:
    import inquirer_crawler.html
    import inquirer_crawler.pages.article
    import inquirer_crawler.pipelines.clean_body
    import inquirer_crawler.pipelines.drop_cross_promo
    import inquirer_crawler.pipelines.normalize
    import inquirer_crawler.text

    modules = [
        inquirer_crawler.text,
        inquirer_crawler.html,
        inquirer_crawler.pages.article,
        inquirer_crawler.pipelines.clean_body,
        inquirer_crawler.pipelines.drop_cross_promo,
        inquirer_crawler.pipelines.normalize,
    ]
    return [m for m in modules if hasattr(m, name)]


# 2. drop_cross_promo._remove_matching: root.cssselect(", ".join(selectors)) builds a new
#    lxml CSSSelector (cssselect's pure-Python CSS -> XPath translation + XPath compilation) for
#    each of the five selector groups of every item. Compile each group once.
@contextmanager
def compiled_cross_promo_selectors() -> Iterator[None]:
    from lxml.cssselect import CSSSelector

    from inquirer_crawler.pipelines import drop_cross_promo as dcp

    @functools.lru_cache(maxsize=256)
    def compiled(selectors: tuple[str, ...]) -> CSSSelector:
        return CSSSelector(", ".join(selectors), translator="html")

    def _remove_matching(self: Any, root: Any, selectors: tuple[str, ...], keep_links: bool) -> None:
        for element in compiled(tuple(selectors))(root):
            if element is root or not dcp._is_attached(element, root):
                continue
            if keep_links:
                self._keep_links(element)
            dcp.remove(element)
            self.removed += 1

    with mock.patch.object(dcp.CrossPromo, "_remove_matching", _remove_matching):
        yield


# 3. CrossPromo._label: clean_text(element.text_content()) of every block, recursively (each
#    container's whole text is cleaned again at each level), only to test whether it *starts*
#    with a phrase. Test a cleaned head first; clean the whole text only when a phrase matches.
@contextmanager
def label_head_first() -> Iterator[None]:
    from inquirer_crawler.pipelines import drop_cross_promo as dcp

    original = dcp.CrossPromo._label

    def _label(self: Any, text: str) -> tuple[str, str] | None:
        longest = max((len(p) for p in self.phrases), default=0)
        if len(text) > 4 * longest + 400:
            head = dcp._LEADING_MARKS.sub("", dcp.clean_text(text[: 2 * longest + 200])).casefold()
            if len(head) > longest + 1 and not any(head.startswith(p) for p in self.phrases):
                return None
        return original(self, text)

    with mock.patch.object(dcp.CrossPromo, "_label", _label):
        yield


# 4. ArticlePage: every field tries the tdb selectors and the classic ones; most of those
#    class searches walk the whole document and find nothing (a classic page has no tdb_* block,
#    a tdb page no td-post-header). Knowing the page's class names (one pass over the tree)
#    answers those searches at once. Prototype: a Selector whose css() drops the members of a
#    selector group whose leftmost class names are not on the page, and evaluates the rest as before.
def _split_group(query: str) -> list[str]:
    members, depth, start = [], 0, 0
    for i, char in enumerate(query):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            members.append(query[start:i].strip())
            start = i + 1
    members.append(query[start:].strip())
    return members


_ALL_CLASSES = __import__("lxml.etree").etree.XPath("//@class", smart_strings=False)


@functools.lru_cache(maxsize=1024)
def _leftmost_classes(member: str) -> frozenset[str]:
    import cssselect
    from cssselect.parser import Attrib, Class, CombinedSelector, Function, Negation, Pseudo, SelectorError

    try:
        tree = cssselect.parse(member)[0].parsed_tree
    except SelectorError:
        return frozenset()
    while isinstance(tree, CombinedSelector):
        tree = tree.selector
    names = set()
    while isinstance(tree, (Class, Attrib, Pseudo, Function, Negation)):
        if isinstance(tree, Class):
            names.add(tree.class_name)
        tree = tree.selector
    return frozenset(names)


def indexed_selector_class() -> type:
    from parsel import Selector, SelectorList

    class ClassAwareSelector(Selector):
        page_classes: frozenset[str] | None = None

        def xpath(self, query: str, namespaces: Any = None, **kwargs: Any) -> Any:
            result = super().xpath(query, namespaces, **kwargs)
            for found in result:
                found.page_classes = self.page_classes
            return result

        def css(self, query: str) -> Any:
            classes = self.page_classes
            if classes is None:  # one XPath pass over the page: ~0.3-0.6 ms on these pages
                classes = self.page_classes = frozenset(
                    name for value in _ALL_CLASSES(self.root.getroottree()) for name in value.split()
                )
            members = _split_group(query)
            kept = [m for m in members if _leftmost_classes(m) <= classes]
            if not kept:
                return SelectorList([])
            return super().css(query if len(kept) == len(members) else ", ".join(kept))

    return ClassAwareSelector


def class_aware_page(html: str, url: str) -> Any:
    from urllib.parse import urlsplit

    from inquirer_crawler.pages.article import ArticlePage
    from inquirer_crawler.pages.dates import utc_now
    from inquirer_crawler.sites import site_for_host

    selector = indexed_selector_class()(text=html)
    return ArticlePage(url=url, selector=selector, site=site_for_host(urlsplit(url).netloc), fetched_at=utc_now())


# 5. ArticlePage._meta: two whole-document searches per call (meta[property=…], meta[name=…]),
#    ~12 calls per page. Read every <meta> once into a dict.
@contextmanager
def meta_dict() -> Iterator[None]:
    from inquirer_crawler.pages.article import ArticlePage

    def _meta(self: Any, name: str) -> str | None:
        metas = self.__dict__.get("_bench_metas")
        if metas is None:
            metas = {}
            for element in self.selector.root.getroottree().getroot().iter("meta"):
                content = element.get("content")
                for key in (element.get("property"), element.get("name")):
                    if key and content is not None and key not in metas:
                        metas[key] = content
            self.__dict__["_bench_metas"] = metas
        value = metas.get(name)
        return value.strip() if value else None

    with mock.patch.object(ArticlePage, "_meta", _meta):
        yield


# 6. ArticlePage: _author_link() runs for author() and again for author_url(); canonical_url()
#    runs once per breadcrumb link in _crumbs() and again in to_item(); _crumbs() runs for
#    section() and categories(). Cache them per page (functools.cached_property / a cache dict).
@contextmanager
def cached_page_methods() -> Iterator[None]:
    from inquirer_crawler.pages.article import ArticlePage

    def cached(name: str) -> Any:
        original = getattr(ArticlePage, name)

        def method(self: Any) -> Any:
            key = f"_bench_{name}"
            if key not in self.__dict__:
                self.__dict__[key] = original(self)
            return self.__dict__[key]

        return mock.patch.object(ArticlePage, name, method)

    with cached("_author_link"), cached("canonical_url"), cached("_crumbs"), cached("_category_links"):
        yield


# 7-9. For the page code with a class index (``ArticlePage._by_class`` / ``_find``, 27 Nov 2026).
# 7. ``_find``: ``(within or self.selector)`` calls parsel's ``Selector.__bool__``, which is
#    ``bool(self.get())``: it serialises the whole header or post subtree to a string, once per
#    selector group. Test ``within is not None`` instead.
@contextmanager
def find_without_bool() -> Iterator[None]:
    from inquirer_crawler.pages import article

    original = article.ArticlePage._find

    def _find(self: Any, css: str, within: Any = None) -> Any:
        return original(self, css, None if within is None or within is self.selector else _Truthy(within))

    with mock.patch.object(article.ArticlePage, "_find", _find):
        yield


class _Truthy:
    """A Selector whose truth is 'not None' (what _find means), everything else delegated."""

    def __init__(self, selector: Any) -> None:
        self._selector = selector

    def __bool__(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._selector, name)


# 8. ``_by_class``: one XPath with seven ``contains(@class, …)`` per element costs 2-4 ms on these
#    pages, more than the parse; ``//@class`` (0.2 ms) plus a substring test in Python and
#    ``getparent()`` for the few matches builds the same index in 0.6-1.9 ms.
_CLASS_VALUES = __import__("lxml.etree").etree.XPath("//@class")


@contextmanager
def class_index_from_attributes() -> Iterator[None]:
    from functools import cached_property

    from inquirer_crawler.pages import article

    prefixes = article._INDEXED_PREFIXES

    def _by_class(self: Any) -> dict[str, list[Any]]:
        index: dict[str, list[Any]] = {}
        for value in _CLASS_VALUES(self.selector.root):
            if any(p in value for p in prefixes):
                tokens = [t for t in value.split() if t.startswith(prefixes)]
                if tokens:
                    element = value.getparent()
                    for token in tokens:
                        index.setdefault(token, []).append(element)
        return index

    prop = cached_property(_by_class)
    prop.__set_name__(article.ArticlePage, "_by_class")
    with mock.patch.object(article.ArticlePage, "_by_class", prop):
        yield


# 9. ``_metas`` / ``_links``: read the lxml elements (``root.iter("meta")``), not one parsel
#    Selector per <meta>/<link>.
@contextmanager
def metas_links_from_lxml() -> Iterator[None]:
    from functools import cached_property

    from inquirer_crawler.pages import article

    def _metas(self: Any) -> dict[str, str]:
        metas: dict[str, str] = {}
        for meta in self.selector.root.iter("meta"):
            content = meta.get("content")
            name = meta.get("property") or meta.get("name")
            if content is not None and name:
                metas.setdefault(name, content)
        return metas

    def _links(self: Any) -> list[tuple[str, str, str]]:
        return [(link.get("rel", ""), link.get("type", ""), link.get("href"))
                for link in self.selector.root.iter("link") if link.get("href") is not None]

    with ExitStack() as stack:
        for name, function in (("_metas", _metas), ("_links", _links)):
            prop = cached_property(function)
            prop.__set_name__(article.ArticlePage, name)
            stack.enter_context(mock.patch.object(article.ArticlePage, name, prop))
        yield


def whatif_report(repeats: int = 15) -> str:
    pages = fixture_pages()
    run = _chain(_build_pipelines())
    steps: list[tuple[str, list[Callable[[], Any]], Callable[[str, str], Any]]] = [
        ("as is", [], default_page),
        ("+ regex instead of str.translate for invisible characters (text.py)", [fast_invisible], default_page),
        ("+ compiled CSS selectors in drop_cross_promo._remove_matching", [fast_invisible, compiled_cross_promo_selectors],
         default_page),
        ("+ CrossPromo._label tests a cleaned head first", [fast_invisible, compiled_cross_promo_selectors, label_head_first],
         default_page),
        ("+ ArticlePage._meta from one dict", [fast_invisible, compiled_cross_promo_selectors, label_head_first, meta_dict],
         default_page),
        ("+ _author_link, canonical_url, _crumbs, _category_links computed once per page",
         [fast_invisible, compiled_cross_promo_selectors, label_head_first, meta_dict, cached_page_methods], default_page),
        ("+ class searches skipped for classes absent from the page",
         [fast_invisible, compiled_cross_promo_selectors, label_head_first, meta_dict, cached_page_methods], class_aware_page),
    ]
    from inquirer_crawler.pages.article import ArticlePage

    if hasattr(ArticlePage, "_find") and hasattr(ArticlePage, "_by_class"):  # the page code with a class index
        base = [fast_invisible, label_head_first]
        steps = [steps[0], (steps[1][0], [fast_invisible], default_page), (steps[3][0], base, default_page)]
        steps += [
            ("+ _find tests 'within is not None' (no Selector.__bool__ serialising a subtree)", [*base, find_without_bool],
             default_page),
            ("+ _by_class built from //@class", [*base, find_without_bool, class_index_from_attributes], default_page),
            ("+ _metas and _links read from lxml elements",
             [*base, find_without_bool, class_index_from_attributes, metas_links_from_lxml], default_page),
        ]
    import lxml.html

    baseline = {url: run(url, html, default_page) for _, url, html, _ in pages}
    same = {}
    broken = []
    for label, patches, make_page in steps:
        try:
            with ExitStack() as stack:
                for patch in patches:
                    stack.enter_context(patch())
                same[label] = all(run(url, html, make_page) == baseline[url] for _, url, html, _ in pages)
        except Exception as error:  # noqa: BLE001 - the project's code changed under a patch: report, go on
            broken.append(f"n/a: {label} ({type(error).__name__}: {error}; the code it patches has changed)")
    steps = [step for step in steps if step[0] in same]
    # Rounds outside, variants inside: a neighbour's load on the other hyperthread hits every variant alike.
    times: dict[str, dict[str, list[float]]] = {label: collections.defaultdict(list) for label, _, _ in steps}
    times["lxml"] = collections.defaultdict(list)
    for _ in range(repeats):
        for _, url, html, _ in pages:
            times["lxml"][url].append(_cpu(lambda h=html: lxml.html.fromstring(h)))
        for label, patches, make_page in steps:
            with ExitStack() as stack:
                for patch in patches:
                    stack.enter_context(patch())
                for _, url, html, _ in pages:
                    times[label][url].append(_cpu(lambda u=url, h=html, m=make_page: run(u, h, m)))

    def mean_ms(label: str, chosen: list[Any]) -> float:
        return statistics.mean(1000 * statistics.median(times[label][p[1]]) for p in chosen)

    real = [p for p in pages if p[3]]
    lxml_all, lxml_real = mean_ms("lxml", pages), mean_ms("lxml", real)
    lines = [f"lxml.html.fromstring: {lxml_all:.2f} ms/page on all 18 article fixtures, {lxml_real:.2f} on the 6 real pages",
             "ms/page (all 18)  x lxml   ms/page (6 real)  x lxml   records identical  change"]
    for label, _, _ in steps:
        all_ms, real_ms = mean_ms(label, pages), mean_ms(label, real)
        lines.append(f"{all_ms:15.2f}  {all_ms / lxml_all:7.1f}  {real_ms:16.2f}  {real_ms / lxml_real:7.1f}   "
                     f"{'yes' if same[label] else 'NO':17s}  {label}")
    lines += broken
    return "\n".join(lines)


def _cpu(fn: Callable[[], Any]) -> float:
    began = time.process_time()
    fn()
    return time.process_time() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_extraction")
    parser.add_argument("--only", default="xpath,pyinstrument,whatif")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    reports = {"xpath": lambda: xpath_report(), "pyinstrument": lambda: pyinstrument_report(),
               "whatif": lambda: whatif_report(args.repeats)}
    for name in args.only.split(","):
        print(f"== {name}\n{reports[name.strip()]()}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
