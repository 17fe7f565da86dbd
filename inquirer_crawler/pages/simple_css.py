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

# Each attribute operator as a regex pattern of an escaped value.
_ATTRIBUTE_PATTERNS: dict[str, Callable[[str], str]] = {
    "exists": lambda value: "",
    "=": lambda value: rf"^{value}\Z",  # \Z, not $: $ also matches before a final newline
    "^=": lambda value: f"^{value}",
    "$=": lambda value: rf"{value}\Z",
    "*=": lambda value: value,
    "~=": lambda value: rf"(?:^|\s){value}(?:\s|\Z)",
}


def _attribute_pattern(operator: str, value: str) -> str | None:
    """The regex an attribute's value must match, None when nothing can ('[a^=""]' and the like)."""
    if not value and operator not in ("exists", "="):
        return None
    return _ATTRIBUTE_PATTERNS[operator](re.escape(value))


class SelectorGroups:
    """Ordered groups of selectors. For an element, the first group with a selector that matches
    it: as if each group were applied to the tree in turn, in one walk instead of one per group.

    The usual shapes are answered from dicts and one regex per attribute name and group; only
    compound selectors of several conditions are tested one by one."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.groups = tuple(tuple(group) for group in groups)
        # Each dict keeps the first (lowest) group index of its key: groups are read in order.
        self._tags: dict[str, int] = {}  # 'script'
        self._classes: dict[str, int] = {}  # '.td-a-rec'
        self._tag_classes: dict[tuple[str, str], int] = {}  # 'ins.adsbygoogle'
        patterns: dict[str, dict[int, list[str]]] = {}  # '[id^="taboola"]', '#comments'
        self._tests: list[tuple[int, str | None, _Test]] = []  # (group, tag or None, test) for the rest
        # An element can only match a bare tag or through one of these attributes.
        self.attribute_names: set[str] = set()
        for index, group in enumerate(self.groups):
            for css in group:
                for parsed in cssselect.parse(css):
                    if parsed.pseudo_element:
                        raise ValueError(f"not a simple selector: {css!r}")
                    self._add(index, *_compound(parsed.parsed_tree, css), patterns)
        self._attributes = {
            name: [(index, re.compile("|".join(found))) for index, found in sorted(by_group.items())]
            for name, by_group in patterns.items()
        }
        # first_group's answer depends only on the tag and these attributes, and a body repeats
        # the same few combinations (the theme's classes): each is worked out once.
        self._names = tuple(sorted(self.attribute_names))
        self._answers: dict[tuple[Any, ...], int | None] = {}

    def _add(
        self, index: int, tag: str | None, conditions: list[tuple[str, ...]], patterns: dict[str, dict[int, list[str]]]
    ) -> None:
        self.attribute_names |= {"class" if condition[0] == "class" else condition[1] for condition in conditions}
        kinds = [condition[0] for condition in conditions]
        if not conditions and tag:
            self._tags.setdefault(tag, index)
        elif kinds == ["class"] and tag is None:
            self._classes.setdefault(conditions[0][1], index)
        elif kinds == ["class"]:
            self._tag_classes.setdefault((str(tag), conditions[0][1]), index)
        elif kinds == ["attr"] and tag is None:
            _, name, operator, value = conditions[0]
            if (pattern := _attribute_pattern(operator, value)) is not None:
                patterns.setdefault(name, {}).setdefault(index, []).append(pattern)
        else:
            self._tests.append((index, tag, _all_of(conditions)))

    def first_group(self, element: Any) -> int | None:
        """Index of the first group that matches ``element``, None when none does."""
        tag = element.tag
        if not isinstance(tag, str):
            return None  # comments, processing instructions
        best = self._tags.get(tag, _NONE)
        classes = class_tokens(element)
        for token in classes:
            best = min(best, self._classes.get(token, _NONE), self._tag_classes.get((tag, token), _NONE))
        for name in self.attribute_names.intersection(element.keys()):
            value = element.get(name)
            for index, pattern in self._attributes.get(name, ()):
                if index >= best:
                    break
                if pattern.search(value):
                    best = index
                    break
        for index, wanted, test in self._tests:
            if index < best and (wanted is None or wanted == tag) and test(element, classes):
                best = index
        return best if best != _NONE else None

    def first_matches(self, root: Any) -> list[list[Any]]:
        """For each group, the elements under ``root`` (itself left out) it is the first to match,
        in document order."""
        found: list[list[Any]] = [[] for _ in self.groups]
        answers = self._answers
        if len(answers) > _MAX_ANSWERS:
            answers.clear()  # a bound for long crawls of sites with ever new style="…" values
        for element in root.iter(etree.Element):
            if element is root:
                continue
            key = (element.tag, *[element.get(name) for name in self._names])
            index = answers.get(key, _NONE)
            if index == _NONE:
                index = answers[key] = self.first_group(element)
            if index is not None:
                found[index].append(element)
        return found


_NONE = 1 << 30  # "no group": larger than any group index
_MAX_ANSWERS = 4096  # ~1 MB of keys at most: ids like "tdi_123" make some keys unique to one page


def class_tokens(element: Any) -> frozenset[str]:
    return frozenset((element.get("class") or "").split())


def _compound(tree: Any, css: str) -> tuple[str | None, list[tuple[str, ...]]]:
    """(tag or None, conditions) of one compound selector, innermost first."""
    conditions: list[tuple[str, ...]] = []
    while not isinstance(tree, Element):
        if isinstance(tree, Class):
            conditions.append(("class", tree.class_name))
        elif isinstance(tree, Hash):
            conditions.append(("attr", "id", "=", tree.id))
        elif isinstance(tree, Attrib) and tree.namespace is None and tree.operator in _ATTRIBUTE_PATTERNS:
            value = (tree.value.value or "") if tree.value is not None else ""
            conditions.append(("attr", tree.attrib, tree.operator, value))
        else:
            raise ValueError(f"not a simple selector: {css!r}")
        tree = tree.selector
    if tree.namespace is not None or (tree.element in (None, "*") and not conditions):
        raise ValueError(f"not a simple selector: {css!r}")  # a namespace, or '*' that takes everything
    return (None if tree.element in (None, "*") else tree.element.lower()), conditions


def _all_of(conditions: list[tuple[str, ...]]) -> _Test:
    classes_wanted = {condition[1] for condition in conditions if condition[0] == "class"}
    attributes = []  # (name, compiled pattern or None when nothing can match)
    for condition in conditions:
        if condition[0] == "attr":
            _, name, operator, value = condition
            pattern = _attribute_pattern(operator, value)
            attributes.append((name, re.compile(pattern) if pattern is not None else None))

    def test(element: Any, classes: frozenset[str]) -> bool:
        if not classes_wanted <= classes:
            return False
        for name, pattern in attributes:
            actual = element.get(name)
            if actual is None or pattern is None or not pattern.search(actual):
                return False
        return True

    return test
