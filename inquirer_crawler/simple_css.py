"""Simple CSS selectors matched in Python, in one walk of a small tree.

The body pipelines test some seventy selectors (ads, share bars, furniture, related blocks) on each
article body. As lxml XPath, every selector is a walk of its own that rebuilds each element's
``@class`` string (``contains(concat(' ', normalize-space(@class), ' '), …)``): 1-3 ms a page, more
than parsing the page. Read once per element in Python, the same tests cost ~0.1 ms. cssselect still
parses the selectors; only compound selectors of one element are accepted here (``tag``, ``.class``,
``#id``, ``[attr]``, ``[attr=v]``, ``[attr^=v]``, ``[attr*=v]``, ``[attr$=v]``, ``[attr~=v]`` and their
combinations), and anything else is refused when the set is built, not silently mismatched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import cssselect
from cssselect.parser import Attrib, Class, Element, Hash
from lxml import etree

_Test = Callable[[Any, frozenset[str]], bool]  # (element, its class tokens) -> matches?

# The same operators as regex patterns of an escaped value, for the one-condition selectors.
_ATTRIBUTE_PATTERNS: dict[str, Callable[[str], str]] = {
    "exists": lambda value: "",
    "=": lambda value: f"^{value}$",
    "^=": lambda value: f"^{value}",
    "$=": lambda value: f"{value}$",
    "*=": lambda value: value,
    "~=": lambda value: rf"(?:^|\s){value}(?:\s|$)",
}
_ATTRIBUTE_TESTS: dict[str, Callable[[str, str], bool]] = {
    "exists": lambda actual, _: True,
    "=": lambda actual, wanted: actual == wanted,
    "^=": lambda actual, wanted: bool(wanted) and actual.startswith(wanted),
    "$=": lambda actual, wanted: bool(wanted) and actual.endswith(wanted),
    "*=": lambda actual, wanted: bool(wanted) and wanted in actual,
    "~=": lambda actual, wanted: wanted in actual.split(),
}


class SimpleSelectors:
    """A set of selectors; ``match`` answers for one element whether any of them matches it.

    The usual shapes are answered from sets and one regex per attribute name; only compound
    selectors of several conditions fall back to testing them one by one."""

    def __init__(self, selectors: Iterable[str]) -> None:
        self.css = tuple(selectors)
        self._tags: set[str] = set()  # 'script'
        self._classes: set[str] = set()  # '.td-a-rec'
        self._tag_classes: dict[str, set[str]] = {}  # 'ins.adsbygoogle'
        attribute_patterns: dict[str, list[str]] = {}  # '[id^="taboola"]', '#comments'
        self._tests: list[tuple[str | None, _Test]] = []  # (tag or None, test) for the rest
        for css in self.css:
            for parsed in cssselect.parse(css):
                if parsed.pseudo_element:
                    raise ValueError(f"not a simple selector: {css!r}")
                tag, conditions = _compound(parsed.parsed_tree, css)
                kinds = [condition[0] for condition in conditions]
                if not conditions and tag:
                    self._tags.add(tag)
                elif kinds == ["class"] and tag is None:
                    self._classes.add(conditions[0][1])
                elif kinds == ["class"]:
                    self._tag_classes.setdefault(str(tag), set()).add(conditions[0][1])
                elif kinds == ["attr"] and tag is None:
                    _, name, operator, value = conditions[0]
                    if value or operator in ("exists", "="):  # '[a^=""]' and the like match nothing
                        attribute_patterns.setdefault(name, []).append(_ATTRIBUTE_PATTERNS[operator](re.escape(value)))
                else:
                    self._tests.append((tag, _all_of(conditions)))
        self._attributes = [(name, re.compile("|".join(patterns))) for name, patterns in attribute_patterns.items()]

    def match(self, element: Any) -> bool:
        if not isinstance(element.tag, str):
            return False  # comments, processing instructions
        return self.matches(element, element.tag, class_tokens(element))

    def matches(self, element: Any, tag: str, classes: frozenset[str]) -> bool:
        """``match`` with the element's tag and class tokens already read (one read, many sets)."""
        if tag in self._tags or classes & self._classes:
            return True
        if (tag_classes := self._tag_classes.get(tag)) and classes & tag_classes:
            return True
        for name, pattern in self._attributes:
            value = element.get(name)
            if value is not None and pattern.search(value):
                return True
        return any((wanted is None or wanted == tag) and test(element, classes) for wanted, test in self._tests)


def class_tokens(element: Any) -> frozenset[str]:
    return frozenset((element.get("class") or "").split())


def first_matches(root: Any, groups: list[SimpleSelectors]) -> list[list[Any]]:
    """For each group, the elements under ``root`` (itself left out) that it is the first group to
    match, in document order: one walk for all the groups."""
    found: list[list[Any]] = [[] for _ in groups]
    for element in root.iter(etree.Element):
        if element is root:
            continue
        tag, classes = element.tag, class_tokens(element)
        for selectors, elements in zip(groups, found, strict=True):
            if selectors.matches(element, tag, classes):
                elements.append(element)
                break
    return found


def _compound(tree: Any, css: str) -> tuple[str | None, list[tuple[str, ...]]]:
    """(tag or None, conditions) of one compound selector, innermost first."""
    conditions: list[tuple[str, ...]] = []
    while not isinstance(tree, Element):
        if isinstance(tree, Class):
            conditions.append(("class", tree.class_name))
        elif isinstance(tree, Hash):
            conditions.append(("attr", "id", "=", tree.id))
        elif isinstance(tree, Attrib) and tree.namespace is None and tree.operator in _ATTRIBUTE_TESTS:
            value = tree.value.value if tree.value is not None else ""
            conditions.append(("attr", tree.attrib, tree.operator, value))
        else:
            raise ValueError(f"not a simple selector: {css!r}")
        tree = tree.selector
    if tree.namespace is not None:
        raise ValueError(f"not a simple selector: {css!r}")
    return (None if tree.element in (None, "*") else tree.element.lower()), conditions


def _all_of(conditions: list[tuple[str, ...]]) -> _Test:
    def test(element: Any, classes: frozenset[str]) -> bool:
        for condition in conditions:
            if condition[0] == "class":
                if condition[1] not in classes:
                    return False
                continue
            _, name, operator, wanted = condition
            actual = element.get(name)
            if actual is None or not _ATTRIBUTE_TESTS[operator](actual, wanted):
                return False
        return True

    return test
