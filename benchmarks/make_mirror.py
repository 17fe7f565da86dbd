"""Write a synthetic ``wget --mirror`` copy of a tagDiv "Newspaper" site, in the markup of a real saved page.

    python -m benchmarks.make_mirror --out DIR --host HOST --articles N [--template PATH] [--per-page 10]

Every article page is the template article page (default: the saved guineenews.org page, Newspaper
10.3.7 classic) with its identity rewritten: URL, title, post id, dates, previous/next links, and
every link to the template's own site. Everything else (head, header, mega menu, body text,
sidebar, footer, scripts) stays byte for byte, so each page has the size and structure of the real
one. The home page and the category listing ``/category/actualites/`` (+ ``/page/N/``) are written
in tagDiv classic listing markup inside the template's own header and footer.

Layout under ``DIR/HOST/``: ``https://HOST/a/b/`` is ``a/b/index.html``; the home page is
``index.html``; plus ``robots.txt``. Article 1 is the oldest, article N the newest; the chain
(previous/next) and the category listing both reach every article. Links that stay on HOST lead
to generated pages, except tag/author/feed/wp-* URLs (as on a real mirror, those are not saved).

The template's hand-checked facts (tests/expected/*.json, matched by ``fixture_url``) say which
exact strings are its URL, title, post id and dates; a template without such a file is read from
its own markup (canonical link, h1, ``postid-N``, ``article:published_time``, next/prev block).

Pages are rendered from a list of pre-split parts, one page at a time: memory stays flat and
20,000 articles take well under two minutes (the disk is the limit: ~N x the template's size;
``--template`` a smaller page or ``--slim`` to drop inline CSS/JS for big runs).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import string
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urljoin, urlsplit

from lxml import html as lxml_html

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIR = REPO_ROOT / "tests" / "expected"
DEFAULT_TEMPLATE = (
    REPO_ROOT
    / "fixtures"
    / "www.guineenews.org"
    / "colonel-barry-accuse-pour-vol-aggrave-vers-la-projection-de-la-video-de-toute-la-verite"
    / "index.html"
)
SECTION_SLUG = "actualites"
# First path segments of category archives (WordPress "category base", as sites translate it).
_CATEGORY_BASES = {"category", "categorie", "categorias", "categoria", "kategorie", "rubrique", "rubriques", "section"}
ROBOTS_TXT = "User-agent: *\nDisallow: /wp-admin/\n"
# Article i is published at START + i hours (in the template's UTC offset).
START = (2020, 1, 1, 8, 0, 0)
POST_ID_BASE = 100_000
# Keep this much disk free after the mirror is written.
DISK_MARGIN = 512 * 1024 * 1024
# The listing markup (home, category pages, their modules and sidebar) as files, in tagDiv classic
# markup; ``$name`` slots are filled with string.Template. The article pages are the template page itself.
TEMPLATES = {
    path.stem: string.Template(path.read_text("utf-8"))
    for path in sorted((Path(__file__).resolve().parent / "templates").glob("*.html"))
}

# Sentinels around slot names in a compiled page: "...\x00KEY\x00...". Never in real HTML.
_S = "\x00"

_LANG_WORDS = {
    "fr": {
        "page": "Page {} sur {}",
        "home": "Accueil",
        "section": "Actualités",
        "more": "A Lire Aussi",
        "latest": "Derniers articles",
        "prev": "Article précédent",
        "next": "Article suivant",
    },
    "en": {
        "page": "Page {} of {}",
        "home": "Home",
        "section": "News",
        "more": "Read more",
        "latest": "Latest articles",
        "prev": "Previous article",
        "next": "Next article",
    },
    "es": {
        "page": "Página {} de {}",
        "home": "Inicio",
        "section": "Noticias",
        "more": "Leer también",
        "latest": "Últimos artículos",
        "prev": "Artículo anterior",
        "next": "Artículo siguiente",
    },
    "de": {
        "page": "Seite {} von {}",
        "home": "Startseite",
        "section": "Nachrichten",
        "more": "Lesen Sie auch",
        "latest": "Neueste Artikel",
        "prev": "Vorheriger Artikel",
        "next": "Nächster Artikel",
    },
}
_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
}


@dataclass(frozen=True)
class MirrorInfo:
    host: str
    article_urls: list[str]  # chain order, oldest -> newest
    listing_urls: list[str]  # /category/actualites/, /category/actualites/page/2/, ...
    home_url: str
    pages_written: int = 0
    bytes_written: int = 0
    template_bytes: int = 0


@dataclass
class TemplateFacts:
    """What identifies the template article, as the strings its source really contains."""

    url: str
    title: str  # plain text (NBSP kept)
    title_html: str  # the h1's inner HTML as in the source
    post_id: int
    published: datetime
    published_raw: str | None  # the ISO string as printed, when the page prints one
    modified: datetime | None
    modified_raw: str | None
    previous: str | None
    next: str | None
    lang: str
    author: str
    author_url: str | None
    image: str | None
    excerpt: str
    site_name: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def bare_host(self) -> str:
        return re.sub(r"^w+\.", "", self.host.lower())

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def slug(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


# -- small helpers ------------------------------------------------------------------------------


def _attr(text: str) -> str:
    """Plain text for a double-quoted attribute."""
    return html.escape(text, quote=True)


def _mask(text: str) -> str:
    """The text with script/style/comment contents blanked (same length), for tag matching."""
    return re.sub(
        r"(<script\b[^>]*>)(.*?)(</script>)|(<style\b[^>]*>)(.*?)(</style>)|<!--.*?-->",
        lambda m: " " * len(m.group(0)),
        text,
        flags=re.DOTALL | re.IGNORECASE,
    )


_DIV_TAG = re.compile(r"<(/?)div\b[^>]*>", re.IGNORECASE)


def _div_end(masked: str, start: int) -> int:
    """End offset of the <div> element opening at ``start``."""
    depth = 0
    for match in _DIV_TAG.finditer(masked, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    raise ValueError(f"unbalanced <div> at offset {start}")


def _visible_date(moment: datetime, lang: str, with_time: bool = False) -> str:
    months = _MONTHS.get(lang, _MONTHS["fr"])
    month = months[moment.month - 1]
    if lang == "en":
        text = f"{month} {moment.day}, {moment.year}"
        return text + (f" at {moment.hour}:{moment.minute:02d}" if with_time else "")
    if lang == "de":
        text = f"{moment.day}. {month} {moment.year}"
        return text + (f" um {moment.hour}:{moment.minute:02d}" if with_time else "")
    text = f"{moment.day} {month} {moment.year}"
    return text + (f" à {moment.hour}h{moment.minute:02d}" if with_time else "")


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso_like(moment: datetime, raw: str | None) -> str:
    """``moment`` printed like the template printed its date."""
    if raw and raw.endswith("Z"):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat(timespec="seconds")


def _host_pattern(bare_host: str) -> str:
    """The template's host as printed: bare, www. (or a typo'd wwww.), also after an encoded slash."""
    return rf"(?:(?<![\w.-])|(?<=%2F)|(?<=%2f))(?:w+\.)?{re.escape(bare_host)}(?![\w-])"


def _short_slug(slug: str, words: int = 4) -> str:
    return "-".join(slug.split("-")[:words]) or "article"


# -- the template's facts ------------------------------------------------------------------------


def expected_for(template: Path) -> dict[str, Any]:
    """The hand-checked expectation whose ``fixture_url`` is stored at ``template``, or {}."""
    resolved = template.resolve()
    for path in sorted(EXPECTED_DIR.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        url = urlsplit(str(data.get("fixture_url", "")))
        relative = Path(url.netloc) / (url.path.lstrip("/") + ("index.html" if url.path.endswith("/") else ""))
        if resolved.parts[-len(relative.parts) :] == relative.parts:
            return data
    return {}


def read_facts(template: Path, text: str) -> TemplateFacts:
    fields: dict[str, Any] = dict(expected_for(template).get("fields") or {})
    doc = lxml_html.document_fromstring(text)

    def first(xpath: str) -> str | None:
        found = doc.xpath(xpath)
        return str(found[0]).strip() if found else None

    url = fields.get("url") or first("//link[@rel='canonical']/@href") or first("//meta[@property='og:url']/@content")
    if not url:
        raise ValueError(f"{template}: no canonical URL; give the page a tests/expected entry")
    h1 = re.search(
        r"<h1\b[^>]*class=[\"'][^\"']*\b(?:entry-title|tdb-title-text)\b[^\"']*[\"'][^>]*>(.*?)</h1>",
        text,
        re.DOTALL | re.IGNORECASE,
    )
    if not h1:
        raise ValueError(f"{template}: no h1.entry-title")
    title_html = h1.group(1).strip()
    title = fields.get("title") or " ".join(
        lxml_html.fragment_fromstring(title_html, create_parent="div").text_content().split()
    )
    post_id = fields.get("post_id")
    if post_id is None:
        body_class = first("//body/@class") or ""
        match = re.search(r"\bpostid-(\d+)\b", body_class)
        if not match:
            raise ValueError(f"{template}: no post id (postid-N body class)")
        post_id = int(match.group(1))
    published_raw = first("//meta[@property='article:published_time']/@content") or first(
        "//*[contains(@class,'td-post-header') or contains(@class,'tdb_single_date')]//time/@datetime"
    )
    published = _parse_iso(published_raw) or _parse_iso(fields.get("published"))
    if published is None:
        raise ValueError(f"{template}: no publication date")
    modified_raw = first("//meta[@property='article:modified_time']/@content") or first(
        "//meta[@itemprop='dateModified']/@content"
    )
    modified = _parse_iso(modified_raw) or _parse_iso(fields.get("modified"))

    def neighbour(side: str) -> str | None:
        if side in fields:
            return fields[side]
        css = "td-post-prev-post" if side == "previous" else "td-post-next-post"
        tdb = "tdb-post-prev" if side == "previous" else "tdb-post-next"
        return first(f"//*[contains(@class,'{css}') or contains(@class,'{tdb}')]//a/@href")

    author_link = doc.xpath(
        "//*[contains(@class,'td-post-header') or contains(@class,'tdb_single_author')]"
        "//*[contains(@class,'td-post-author-name') or contains(@class,'tdb-author-name')]//a[@href]"
        " | //*[contains(@class,'td-post-author-name')]//a[@href]"
    )
    author = " ".join(author_link[0].text_content().split()) if author_link else ""
    lang = (first("/html/@lang") or "fr").split("-")[0].lower()
    excerpt = (
        first("//meta[@property='og:description']/@content") or first("//meta[@name='description']/@content") or ""
    )
    return TemplateFacts(
        url=url,
        title=title,
        title_html=title_html,
        post_id=int(post_id),
        published=published,
        published_raw=published_raw if published_raw and published_raw in text else None,
        modified=modified,
        modified_raw=modified_raw if modified_raw and modified_raw in text else None,
        previous=neighbour("previous"),
        next=neighbour("next"),
        lang=lang if lang in _LANG_WORDS else "fr",
        author=author or "Rédaction",
        author_url=author_link[0].get("href") if author_link else None,
        image=first("//meta[@property='og:image']/@content"),
        excerpt=excerpt,
        site_name=first("//meta[@property='og:site_name']/@content") or urlsplit(url).netloc,
    )


def _linked_article_paths(text: str, facts: TemplateFacts) -> list[str]:
    """Paths on the template's site that other articles live at, in page order: links of modules
    (titles, thumbs), next/prev, related and recent-post blocks, and any link outside menus and
    footers. Links of menus and footers (about, legal, contact pages) are not articles."""
    doc = lxml_html.document_fromstring(text)
    articles: dict[str, None] = {}
    for link in doc.iter("a"):
        href = (link.get("href") or "").strip()
        parts = urlsplit(urljoin(facts.url, href))
        if re.sub(r"^w+\.", "", parts.netloc.lower()) != facts.bare_host:
            continue
        path = parts.path or "/"
        classes = " ".join(a.get("class") or "" for a in link.iterancestors()) + " " + (link.get("class") or "")
        if re.search(r"categor|author|tag", link.get("class") or "") or re.search(
            r"td-post-category|td-category", classes
        ):
            continue  # a taxonomy link printed inside a module
        in_module = link.get("rel") == "bookmark" or re.search(
            r"td_module|td-module|td-post-next-prev|tdb-next-post|related|recent|tdb_module|td-lire-aussi", classes
        )
        if in_module or not re.search(r"menu|td-login|footer", classes):
            articles[path] = None
    return list(articles)


# -- compiling the article template ----------------------------------------------------------------


@dataclass
class Compiled:
    parts: list[str]  # even: literal text, odd: slot name
    extras: dict[str, str] = field(default_factory=dict)

    def render(self, values: dict[str, str]) -> str:
        parts = self.parts[:]
        for index in range(1, len(parts), 2):
            parts[index] = values[parts[index]]
        return "".join(parts)


def _slot(name: str) -> str:
    return f"{_S}{name}{_S}"


_LABEL_PAIRS = [(v["prev"], v["next"]) for v in _LANG_WORDS.values()] + [("Articolo precedente", "Articolo successivo")]


def _swap_label(inner: str) -> str:
    for prev, nxt in _LABEL_PAIRS:
        for a, b in ((prev, nxt), (nxt, prev)):
            if re.search(re.escape(a), inner, re.IGNORECASE):
                return re.sub(re.escape(a), b, inner, count=1, flags=re.IGNORECASE)
    return inner


_ANCHOR = re.compile(r"<a\s[^>]*?href=([\"'])(.*?)\1[^>]*>(.*?)</a>", re.DOTALL)
_SIDE_CLASSES = {"td-post-prev-post": "td-post-next-post", "tdb-post-prev": "tdb-post-next"}


def _swap_side_class(open_tag: str) -> str:
    swaps = {**_SIDE_CLASSES, **{v: k for k, v in _SIDE_CLASSES.items()}}
    return re.sub("|".join(rf"\b{re.escape(k)}\b" for k in swaps), lambda m: swaps[m.group(0)], open_tag)


def _next_prev_cells(text: str, extras: dict[str, str], facts: TemplateFacts) -> str:
    """Cut the classic (td-post-next-prev) or tdb (tdb_single_next_prev) cells out into PREV_CELL and
    NEXT_CELL slots; keep in ``extras`` the markup to rebuild them per article (a filled cell with
    URL/TITLE slots, and the empty cell WordPress prints when there is no neighbour)."""
    masked = _mask(text)
    found: dict[str, tuple[int, int, str, str]] = {}
    for side, names in (("prev", "td-post-prev-post|tdb-post-prev"), ("next", "td-post-next-post|tdb-post-next")):
        match = re.search(rf"<div\s+class=\"([^\"]*\b(?:{names})\b[^\"]*)\"[^>]*>", masked)
        if not match:
            continue
        end = _div_end(masked, match.start())
        found[side] = (match.start(), end, text[match.start() : match.end()], text[match.end() : end - len("</div>")])
        anchor = _ANCHOR.search(found[side][3])
        known = facts.previous if side == "prev" else facts.next
        if anchor and known and html.unescape(anchor.group(2)) != known:
            raise ValueError(f"the template's {side} link is {anchor.group(2)}, its expected facts say {known}")
    if not found:
        return text
    absent = {side for side in ("prev", "next") if side not in found}
    if absent == {"next"}:  # the newest post on older themes: no next cell at all; it goes after prev
        end = found["prev"][1]
        separator = re.match(r"\s*<div class=\"td-next-prev-separator\"></div>", text[end:])
        end += separator.end() if separator else 0
        found["next"] = (end, end, "", "")
    elif absent == {"prev"}:
        found["prev"] = (found["next"][0], found["next"][0], "", "")
    for side in ("prev", "next"):
        other = "next" if side == "prev" else "prev"
        if side in found and _ANCHOR.search(found[side][3]):
            open_tag, inner = found[side][2], found[side][3]
        elif other in found and _ANCHOR.search(found[other][3]):
            # The template is the oldest/newest post: rebuild this side from the other one.
            open_tag, inner = _swap_side_class(found[other][2]), _swap_label(found[other][3])
            if "tdb-next-post" in open_tag and "tdb-next-post-bg" not in open_tag:
                open_tag = open_tag.replace("tdb-next-post", "tdb-next-post tdb-next-post-bg", 1)
        else:
            continue
        anchor = _ANCHOR.search(inner)
        assert anchor is not None
        filled = inner[: anchor.start(2)] + _slot("URL") + inner[anchor.end(2) : anchor.start(3)] + _slot("TITLE")
        extras[f"{side}_full"] = open_tag + filled + inner[anchor.end(3) :] + "</div>"
        # No neighbour: the empty cell WordPress prints, or nothing where the template printed nothing.
        extras[f"{side}_empty"] = "" if side in absent else open_tag.replace(" tdb-next-post-bg", "") + "</div>"
    # Replace from the end so offsets stay valid.
    for side in sorted(found, key=lambda s: -found[s][0]):
        start, end, _, _ = found[side]
        text = text[:start] + _slot(f"{side.upper()}_CELL") + text[end:]
    return text


def _head_links(text: str, extras: dict[str, str]) -> str:
    """<link rel=prev/next> of the head -> PREV_LINK / NEXT_LINK slots."""
    tags = {}
    for side in ("prev", "next"):
        match = re.search(rf"<link\b[^>]*\brel=([\"']){side}\1[^>]*>", text)
        if match:
            tags[side] = match
    if not tags:
        return text
    for side in ("prev", "next"):
        other = "next" if side == "prev" else "prev"
        tag = (
            tags[side].group(0)
            if side in tags
            else re.sub(r"\brel=([\"'])\w+\1", rf"rel=\g<1>{side}\g<1>", tags[other].group(0))
        )
        extras[f"{side}_link"] = tag
    for side in sorted(tags, key=lambda s: -tags[s].start()):
        match = tags[side]
        text = text[: match.start()] + _slot(f"{side.upper()}_LINK") + text[match.end() :]
    return text


def _fill_link_tag(tag: str, url: str, title: str) -> str:
    def put(attr: str, value: str) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            quote_char = match.group(1)
            escaped = html.escape(value, quote=False).replace(quote_char, "&#039;" if quote_char == "'" else "&quot;")
            return f"{attr}={quote_char}{escaped}{quote_char}"

        return sub

    tag = re.sub(r"\bhref=([\"'])(.*?)\1", put("href", url), tag, count=1)
    return re.sub(r"\btitle=([\"'])(.*?)\1", put("title", title), tag, count=1)


class _PathMap:
    """Where a link path of the template's site goes on the mirror."""

    def __init__(
        self, facts: TemplateFacts, article_paths: list[str], new_path_of: Callable[[int], str], articles: int
    ):
        self.own = facts.path if facts.path.endswith("/") else facts.path + "/"
        self.articles = {}
        k = 0
        for path in article_paths:
            if path in ("", "/") or self._special(path) or path.rstrip("/") == self.own.rstrip("/"):
                continue
            self.articles[path if path.endswith("/") else path + "/"] = new_path_of(articles - (k % articles))
            k += 1

    @staticmethod
    def _kept(path: str) -> bool:
        """WordPress URLs a mirror does not hold and links may keep: feeds, authors, tags, wp-*, files."""
        segments = path.strip("/").split("/")
        return (
            path.startswith(("/wp-", "/comments/", "/xmlrpc.php"))
            or any(s in ("author", "tag", "feed") for s in segments)
            or "." in segments[-1]
        )

    @staticmethod
    def _category(path: str) -> bool:
        return path.strip("/").split("/")[0] in _CATEGORY_BASES

    def _special(self, path: str) -> bool:
        return self._kept(path) or self._category(path) or re.fullmatch(r"/\d{4}/(\d{2}/){0,2}", path) is not None

    def new(self, path: str) -> str | None:
        """The new plain path (may hold the PATH slot), or None to keep ``path`` as it is."""
        if path in ("", "/"):
            return None
        slashed = path if path.endswith("/") or "." in path.rsplit("/", 1)[-1] else path + "/"
        if slashed.startswith(self.own):
            return _slot("PATH") + slashed[len(self.own) :]
        if self._kept(path):
            return None
        if self._category(path):
            return f"/category/{SECTION_SLUG}/"
        for old, new in self.articles.items():
            rest = slashed[len(old) :]
            if slashed.startswith(old) and (not rest or rest.split("/")[0] in ("amp", "embed", "feed")):
                return new + rest
        return "/"  # pages (about, legal), date archives, anything else: the home page


def _rewrite_urls(text: str, host: str, paths: _PathMap) -> str:
    h = re.escape(host)

    def plain(match: re.Match[str]) -> str:
        new = paths.new(match.group(2))
        scheme = "https:" if match.group(1) else ""
        return f"{scheme}//{host}{match.group(2) if new is None else new}"

    def escaped(match: re.Match[str]) -> str:
        path = match.group(2).replace("\\/", "/")
        new = paths.new(path)
        out = match.group(2) if new is None else new.replace("/", "\\/").replace(_slot("PATH"), _slot("PATH_J"))
        return f"https:\\/\\/{host}{out}"

    def encoded(match: re.Match[str]) -> str:
        path = re.sub("%2F", "/", match.group(2), flags=re.IGNORECASE)
        new = paths.new(path)
        out = match.group(2) if new is None else new.replace("/", "%2F").replace(_slot("PATH"), _slot("PATH_P"))
        return f"https%3A%2F%2F{host}{out}"

    def relative(match: re.Match[str]) -> str:
        new = paths.new(match.group(2))
        return match.group(1) + (match.group(2) if new is None else new)

    text = re.sub(rf"(https?):\\/\\/{h}(?![\w.-])((?:\\/[\w.~%+@-]*)*)", escaped, text, flags=re.IGNORECASE)
    text = re.sub(
        rf"(https?)%3A%2F%2F{h}(?![\w.-])((?:%2F(?:%(?!2[Ff])[0-9A-Fa-f]{{2}}|[\w.~+@-])*)*)",
        encoded,
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(rf"(?:(https?):)?//{h}(?![\w.-])((?:/[\w.~%+@-]*)*)", plain, text, flags=re.IGNORECASE)
    return re.sub(r"(\s(?:href|src|action|content|data-[\w-]+)=[\"'])(/(?!/)[\w.~%+@/-]*)", relative, text)


def _title_forms(text: str, facts: TemplateFacts) -> str:
    """Every printed form of the title gets the article's suffix slot appended."""
    title = facts.title
    html_forms = {
        facts.title_html,
        title,
        html.escape(title, quote=False),
        html.escape(title, quote=True),
        title.replace("\xa0", "&nbsp;"),
        title.replace("\xa0", "&#160;"),
        html.escape(title, quote=False).replace("\xa0", "&nbsp;"),
    }
    forms: dict[str, str] = {f: "TSUF" for f in html_forms if f}
    # HTML forms win when another encoding prints the same string (an ASCII title is its own JSON).
    forms.setdefault(quote_plus(title), "TSUF_PLUS")
    forms.setdefault(quote(title), "TSUF_PCT")
    forms.setdefault(json.dumps(title)[1:-1], "TSUF_JSON")
    forms.setdefault(json.dumps(title, ensure_ascii=False)[1:-1], "TSUF_JSON")
    present = sorted((f for f in forms if f and f in text), key=len, reverse=True)
    if not present:
        raise ValueError("the template's title is not found in its source")
    pattern = re.compile("|".join(re.escape(f) for f in present))
    text = pattern.sub(lambda m: m.group(0) + _slot(forms[m.group(0)]), text)

    # Microdata headline printed differently (e.g. straight quotes instead of guillemets).
    def headline(match: re.Match[str]) -> str:
        return (
            match.group(0) if _S in match.group(2) else match.group(1) + match.group(2) + _slot("TSUF") + match.group(3)
        )

    return re.sub(r"(itemprop=[\"']headline\s*[\"'][^>]*?\bcontent=\")([^\"]*)(\")", headline, text)


def _post_id(text: str, post_id: int) -> str:
    number = re.escape(str(post_id))
    if len(str(post_id)) >= 5:
        pattern = rf"(?<![\d.]){number}(?!\d)"
    else:  # a short number could be anything: only where WordPress prints a post id
        pattern = (
            rf"(?:(?<=postid-)|(?<=post-)|(?<=p=)|(?<=views-)|(?<=posts/)|(?<=posts\\/)|(?<=postId\":\")){number}(?!\d)"
        )
    return re.sub(pattern, _slot("PID"), text)


def _dates(text: str, facts: TemplateFacts) -> tuple[str, bool]:
    """Machine dates -> PUB/MOD slots; the visible date next to them -> PUB_VIS. Returns (text, with_time)."""
    local = facts.published
    with_time = False
    visible = None
    for candidate in (False, True):
        if _visible_date(local, facts.lang, candidate) in text:
            visible, with_time = _visible_date(local, facts.lang, candidate), candidate
    if visible:
        done = 0
        if facts.published_raw:
            pattern = rf"(datetime=([\"']){re.escape(facts.published_raw)}\2[^>]*>\s*){re.escape(visible)}(?=\s*<)"
            text, done = re.subn(pattern, lambda m: m.group(1) + _slot("PUB_VIS"), text)
        # No machine date next to it: the post header's date, just after the h1.
        h1 = re.search(r"<h1\b[^>]*\b(?:entry-title|tdb-title-text)\b.*?</h1>", text, re.DOTALL)
        if not done and h1:
            span = re.compile(rf"(<span class=\"td-post-date\">\s*(?:<time\b[^>]*>)?\s*){re.escape(visible)}(?=\s*<)")
            match = span.search(text, h1.end(), h1.end() + 3000)
            if match:
                text = text[: match.start()] + match.group(1) + _slot("PUB_VIS") + text[match.end() :]
    for raw, name in ((facts.published_raw, "PUB"), (facts.modified_raw, "MOD")):
        if raw:
            text = text.replace(raw, _slot(name))
    return text, with_time


def _slim(text: str) -> str:
    """Drop inline CSS, inline scripts (not JSON-LD) and comments (not IE conditionals)."""
    text = re.sub(r"<style\b[^>]*>.*?</style>", "", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*ld\+json)[^>]*>.*?</script>", "", text, flags=re.DOTALL | re.IGNORECASE
    )
    return re.sub(r"<!--(?!\[if|<!\[endif|>).*?-->", "", text, flags=re.DOTALL)


def compile_article(
    text: str, facts: TemplateFacts, host: str, articles: int, new_path_of: Callable[[int], str]
) -> Compiled:
    extras: dict[str, str] = {}
    article_paths = _linked_article_paths(text, facts)
    text = _next_prev_cells(text, extras, facts)
    text = _head_links(text, extras)
    # Every host variant of the template's site (www., wwww., bare) -> the mirror's host.
    text = re.sub(_host_pattern(facts.bare_host), host, text, flags=re.IGNORECASE)
    text = _rewrite_urls(text, host, _PathMap(facts, article_paths, new_path_of, articles))
    text = re.sub(rf"(?<![\w-]){re.escape(facts.slug)}(?![\w-])", _slot("SLUG"), text)
    text = _title_forms(text, facts)
    text = _post_id(text, facts.post_id)
    text, with_time = _dates(text, facts)
    extras["with_time"] = "1" if with_time else ""
    for name in ("prev_full", "next_full", "prev_link", "next_link"):
        if name in extras:
            extras[name] = re.sub(_host_pattern(facts.bare_host), host, extras[name])
    parts = text.split(_S)
    if len(parts) % 2 != 1:
        raise ValueError("unbalanced slot markers")
    return Compiled(parts, extras)


# -- the mirror ------------------------------------------------------------------------------------


class Mirror:
    def __init__(self, out: Path, host: str, articles: int, template: Path, per_page: int, slim: bool = False):
        if articles < 1 or per_page < 1:
            raise ValueError("articles and per_page must be >= 1")
        self.out = out
        self.host = host
        self.root = out / host
        self.n = articles
        self.per_page = per_page
        raw = template.read_text("utf-8")
        self.template_bytes = len(raw.encode("utf-8"))
        self.facts = read_facts(template, raw)
        if self.facts.bare_host == re.sub(r"^w+\.", "", host.lower()):
            raise ValueError("the mirror's host must differ from the template's site")
        self.short = _short_slug(self.facts.slug)
        self.words = _LANG_WORDS[self.facts.lang]
        text = _slim(raw) if slim else raw
        self.compiled = compile_article(text, self.facts, host, articles, lambda j: f"/{self.slug(j)}/")
        offset = self.facts.published.utcoffset() or timedelta(0)
        self.tz = timezone(offset)
        self.start = datetime(*START, tzinfo=self.tz)
        delta = (self.facts.modified - self.facts.published) if self.facts.modified else None
        self.modified_delta = max(delta, timedelta(0)) if delta is not None else timedelta(0)
        modified_offset = self.facts.modified.utcoffset() if self.facts.modified else None
        self.modified_tz = timezone(modified_offset) if modified_offset is not None else self.tz
        self.image = re.sub(_host_pattern(self.facts.bare_host), host, self.facts.image) if self.facts.image else ""
        self.excerpt = self._excerpt(self.facts.excerpt)
        self.pages = max(1, -(-articles // per_page))

    # -- per article values -------------------------------------------------------------------

    def slug(self, i: int) -> str:
        return f"article-{i:05d}-{self.short}"

    def url(self, i: int) -> str:
        return f"https://{self.host}/{self.slug(i)}/"

    def suffix(self, i: int) -> str:
        return f" — n°{i}"

    def title_html(self, i: int) -> str:
        return self.facts.title_html + self.suffix(i)

    def title_text(self, i: int) -> str:
        return self.facts.title + self.suffix(i)

    def published(self, i: int) -> datetime:
        return self.start + timedelta(hours=i)

    def values(self, i: int) -> dict[str, str]:
        slug, suffix = self.slug(i), self.suffix(i)
        published = self.published(i)
        extras = self.compiled.extras
        values = {
            "PATH": f"/{slug}/",
            "PATH_J": f"\\/{slug}\\/",
            "PATH_P": f"%2F{slug}%2F",
            "SLUG": slug,
            "TSUF": suffix,
            "TSUF_PLUS": quote_plus(suffix),
            "TSUF_PCT": quote(suffix),
            "TSUF_JSON": json.dumps(suffix)[1:-1],
            "PID": str(POST_ID_BASE + i),
            "PUB": _iso_like(published, self.facts.published_raw),
            "MOD": _iso_like((published + self.modified_delta).astimezone(self.modified_tz), self.facts.modified_raw),
            "PUB_VIS": _visible_date(published, self.facts.lang, bool(extras.get("with_time"))),
        }
        for side, j in (("prev", i - 1), ("next", i + 1)):
            exists = 1 <= j <= self.n
            full = extras.get(f"{side}_full", "")
            if exists and full:
                cell = full.replace(_slot("URL"), self.url(j)).replace(_slot("TITLE"), self.title_html(j))
            else:
                cell = extras.get(f"{side}_empty", "")
            values[f"{side.upper()}_CELL"] = cell
            tag = extras.get(f"{side}_link", "")
            values[f"{side.upper()}_LINK"] = (
                _fill_link_tag(tag, self.url(j), self.title_text(j)) if exists and tag else ""
            )
        return values

    def article_html(self, i: int) -> str:
        return self.compiled.render(self.values(i))

    # -- listings -------------------------------------------------------------------------------

    @staticmethod
    def _excerpt(text: str, words: int = 25) -> str:
        plain = " ".join(html.unescape(text).replace("…", " ").split())
        cut = plain.split(" ")[:words]
        return html.escape(" ".join(cut), quote=False) + "..."

    def listing_url(self, page: int) -> str:
        base = f"https://{self.host}/category/{SECTION_SLUG}/"
        return base if page == 1 else f"{base}page/{page}/"

    def _page_articles(self, page: int) -> range:
        newest = self.n - (page - 1) * self.per_page
        return range(newest, max(newest - self.per_page, 0), -1)

    def _module_10(self, i: int) -> str:
        url, attr = self.url(i), _attr(self.title_text(i))
        published = self.published(i)
        author_url = self.facts.author_url or f"https://{self.host}/author/redaction/"
        author_url = re.sub(_host_pattern(self.facts.bare_host), self.host, author_url)
        return TEMPLATES["module_10"].substitute(
            url=url,
            attr=attr,
            thumb=_attr(self.image),
            title_html=self.title_html(i),
            author_url=author_url,
            author=html.escape(self.facts.author),
            datetime=published.isoformat(),
            visible_date=_visible_date(published, self.facts.lang),
            excerpt=self.excerpt,
        )

    def _module_6(self, i: int) -> str:
        url, attr = self.url(i), _attr(self.title_text(i))
        published = self.published(i)
        return TEMPLATES["module_6"].substitute(
            url=url,
            attr=attr,
            thumb=_attr(self.image),
            title_html=self.title_html(i),
            datetime=published.isoformat(),
            visible_date=_visible_date(published, self.facts.lang),
        )

    def _sidebar(self, page: int) -> str:
        count = min(5, self.n)
        start = (page * 37) % self.n
        picks = [self.n - ((start + k) % self.n) for k in range(count)]
        uid = f"tdi_{40 + page % 50}"
        atts = json.dumps(
            {
                "custom_title": self.words["more"],
                "limit": "5",
                "sort": "random_posts",
                "ajax_pagination": "next_prev",
                "td_column_number": 1,
                "block_type": "td_block_7",
            },
            ensure_ascii=False,
        )
        modules = "".join(self._module_6(j) for j in picks)
        return TEMPLATES["sidebar"].substitute(uid=uid, atts=atts, more=self.words["more"], modules=modules)

    def _page_nav(self, page: int) -> str:
        last = self.pages
        out = ['<div class="page-nav td-pb-padding-side">']
        if page > 1:
            out.append(f'<a href="{self.listing_url(page - 1)}"><i class="td-icon-menu-left"></i></a>')
        low, high = max(1, page - 2), min(last, page + 2)
        if low > 1:
            out.append(f'<a href="{self.listing_url(1)}" class="first" title="1">1</a>')
            if low > 2:
                out.append('<span class="extend">...</span>')
        for number in range(low, high + 1):
            if number == page:
                out.append(f'<span class="current">{number}</span>')
            else:
                out.append(f'<a href="{self.listing_url(number)}" class="page" title="{number}">{number}</a>')
        if high < last:
            if high < last - 1:
                out.append('<span class="extend">...</span>')
            out.append(f'<a href="{self.listing_url(last)}" class="last" title="{last}">{last}</a>')
        if page < last:
            out.append(f'<a href="{self.listing_url(page + 1)}"><i class="td-icon-menu-right"></i></a>')
        out.append(
            f'<span class="pages">{self.words["page"].format(page, last)}</span><div class="clearfix"></div></div>'
        )
        return "".join(out)

    def _shell(self) -> tuple[str, str, str, str, str]:
        """(before <head>, head to keep, body tag, header markup, footer markup) of the template,
        rendered as the newest article and stripped of that article's own data."""
        probe = self.n
        page = self.article_html(probe)
        marks = (self.slug(probe), str(POST_ID_BASE + probe), self.suffix(probe))
        head_start = page.index("<head")
        head_open_end = page.index(">", head_start) + 1
        head_end = page.index("</head>")
        chunks = re.findall(
            r"<script\b.*?</script>|<style\b.*?</style>|<noscript\b.*?</noscript>|<!--.*?-->|<[^>]+>|[^<]+",
            page[head_open_end:head_end],
            flags=re.DOTALL | re.IGNORECASE,
        )
        drop = re.compile(
            r"^<title|^<meta\b[^>]*\b(?:property|name|itemprop)=[\"'](?:og:|article:|twitter:|description|author)"
            r"|^<link\b[^>]*\brel=[\"'](?:canonical|shortlink|prev|next|amphtml|alternate)[\"']"
            r"|^<script\b[^>]*ld\+json",
            re.IGNORECASE,
        )
        head = "".join(c for c in chunks if not drop.search(c) and not any(m in c for m in marks))
        body_match = re.search(r"<body\b[^>]*>", page)
        assert body_match is not None
        body_tag = body_match.group(0)
        masked = _mask(page)
        wrap = re.search(r"<div\s+class=\"td-main-content-wrap\b[^\"]*\"[^>]*>", masked)
        if wrap is None:
            raise ValueError("the template has no div.td-main-content-wrap to put a listing in")
        wrap_end = _div_end(masked, wrap.start())
        header = page[body_match.end() : wrap.start()]
        footer_chunks = re.findall(r"<script\b.*?</script>|<[^<]*", page[wrap_end:], flags=re.DOTALL | re.IGNORECASE)
        footer = "".join(
            c for c in footer_chunks if not (c.lower().startswith("<script") and any(m in c for m in marks))
        )
        return page[:head_start], head, body_tag, header, footer

    def _body_tag(self, classes: str) -> str:
        tag = self.shell[2]
        match = re.search(r"\bclass=\"([^\"]*)\"", tag)
        kept = [
            c
            for c in (match.group(1).split() if match else [])
            if not re.fullmatch(
                r"single|single-post|post-template(-\S+)?|postid-\d+|single-format-\S+|article-\d+-\S+", c
            )
        ]
        new_class = f'class="{classes} {" ".join(kept)}"'
        return (
            re.sub(r"\bclass=\"[^\"]*\"", new_class, tag, count=1)
            if match
            else tag.replace("<body", f"<body {new_class}", 1)
        )

    def listing_html(self, page: int | None) -> str:
        """``page`` None: the home page; else page N of the category listing."""
        before, head, _, header, footer = self.shell
        words = self.words
        site_name = self._site_name()
        if page is None:
            url, title = f"https://{self.host}/", f"{site_name} - {words['latest']}"
            body = self._body_tag("home blog")
            numbers = range(self.n, max(self.n - self.per_page, 0), -1)
            crumbs = ""
            nav = ""
            rel = ""
        else:
            url = self.listing_url(page)
            title = f"{words['section']} Archives - {site_name}" + (
                f" - {words['page'].format(page, self.pages)}" if page > 1 else ""
            )
            paged = f" paged paged-{page} category-paged-{page}" if page > 1 else ""
            body = self._body_tag(f"archive category category-{SECTION_SLUG} category-2{paged}")
            numbers = self._page_articles(page)
            crumbs = TEMPLATES["category_header"].substitute(
                home_url=f"https://{self.host}/", home=words["home"], section=words["section"]
            )
            nav = self._page_nav(page)
            rel = (f'<link rel="prev" href="{self.listing_url(page - 1)}">\n' if page > 1 else "") + (
                f'<link rel="next" href="{self.listing_url(page + 1)}">\n' if page < self.pages else ""
            )
        head_html = TEMPLATES["listing_head"].substitute(
            title=html.escape(title, quote=False),
            url=url,
            rel=rel,
            title_attr=_attr(title),
            site_name=_attr(site_name),
            head=head,
        )
        content = TEMPLATES["listing_content"].substitute(
            crumbs=crumbs,
            modules="".join(self._module_10(i) for i in numbers),
            nav=nav,
            sidebar=self._sidebar(page or 0),
        )
        return before + head_html + body + header + content + footer

    def _site_name(self) -> str:
        return self.facts.site_name

    @property
    def shell(self) -> tuple[str, str, str, str, str]:
        if not hasattr(self, "_shell_cache"):
            self._shell_cache = self._shell()
        return self._shell_cache

    # -- writing ----------------------------------------------------------------------------------

    def path_for(self, url: str) -> Path:
        path = urlsplit(url).path
        return self.root / path.lstrip("/") / "index.html" if path.endswith("/") else self.root / path.lstrip("/")

    def estimated_bytes(self) -> int:
        article = len(self.article_html(self.n).encode("utf-8"))
        listing = len(self.listing_html(1).encode("utf-8"))
        return self.n * (article + 4096) + (self.pages + 1) * (listing + 4096)

    def pages_to_write(self) -> Iterator[tuple[str, str]]:
        for i in range(1, self.n + 1):
            yield self.url(i), self.article_html(i)
        yield f"https://{self.host}/", self.listing_html(None)
        for page in range(1, self.pages + 1):
            yield self.listing_url(page), self.listing_html(page)


def make_mirror(
    out: Path,
    host: str,
    articles: int,
    template: Path = DEFAULT_TEMPLATE,
    per_page: int = 10,
    *,
    slim: bool = False,
    clean: bool = False,
) -> MirrorInfo:
    """Write the mirror under ``out/host/`` and say what is in it (see the module docstring)."""
    if not re.fullmatch(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?", host):
        raise ValueError(f"not a host name: {host!r}")
    mirror = Mirror(Path(out), host, articles, Path(template), per_page, slim=slim)
    if mirror.root.exists() and any(mirror.root.iterdir()):
        if not clean:
            raise FileExistsError(f"{mirror.root} is not empty (clean=True / --clean deletes it first)")
        shutil.rmtree(mirror.root)
    mirror.root.mkdir(parents=True, exist_ok=True)
    needed = mirror.estimated_bytes()
    free = shutil.disk_usage(mirror.root).free
    if needed + DISK_MARGIN > free:
        raise OSError(
            f"not enough disk space: ~{needed / 1e9:.2f} GB needed, {free / 1e9:.2f} GB free under {mirror.root}"
        )
    (mirror.root / "robots.txt").write_text(ROBOTS_TXT, "utf-8")
    written = len(ROBOTS_TXT)
    count = 1
    for url, page in mirror.pages_to_write():
        path = mirror.path_for(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = page.encode("utf-8")
        path.write_bytes(data)
        written += len(data)
        count += 1
    return MirrorInfo(
        host=host,
        article_urls=[mirror.url(i) for i in range(1, articles + 1)],
        listing_urls=[mirror.listing_url(p) for p in range(1, mirror.pages + 1)],
        home_url=f"https://{host}/",
        pages_written=count,
        bytes_written=written,
        template_bytes=mirror.template_bytes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.make_mirror", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write HOST/ into")
    parser.add_argument("--host", required=True, help="public host of the synthetic site, e.g. news.example.test")
    parser.add_argument("--articles", type=int, required=True, help="number of articles (N)")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="saved tagDiv article page to copy")
    parser.add_argument("--per-page", type=int, default=10, help="articles per listing page")
    parser.add_argument("--slim", action="store_true", help="drop the template's inline CSS/JS and comments")
    parser.add_argument("--clean", action="store_true", help="delete OUT/HOST first")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        info = make_mirror(
            args.out, args.host, args.articles, args.template, args.per_page, slim=args.slim, clean=args.clean
        )
    except (OSError, ValueError) as error:
        print(f"make_mirror: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - began
    print(
        f"{args.out / info.host}: {len(info.article_urls)} articles, {len(info.listing_urls)} listing pages + home, "
        f"{info.pages_written} files, {info.bytes_written / 1e6:.1f} MB "
        f"({info.bytes_written / max(info.pages_written, 1) / 1e3:.0f} KB/page) in {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
