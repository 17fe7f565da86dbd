"""Extraction for listing pages (home, category, /page/N/): article links and the next page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector

from inquirer_crawler.discovery.urls import clean_url

# Containers whose module titles are not the listing's own: menus, sidebars, footers.
_OUTSIDE_MAIN = (
    "ancestor::*[self::header or self::footer or self::aside or self::nav"
    " or contains(@class,'td-header') or contains(@class,'td-mega-menu') or contains(@class,'td-main-sidebar')"
    " or contains(@class,'td-footer') or contains(@class,'td-sub-footer') or contains(@class,'tdb_header')"
    " or contains(@class,'td_block_related_posts') or contains(@class,'widget')]"
)
# The listing's own loop, when the page has one (archives); home pages are built of blocks instead.
_LOOPS = "//*[contains(@class,'tdb-category-loop-posts') or contains(@class,'td-ss-main-content')]"
# One descendant step with an ancestor test: ".//*[title]//a" makes libxml2 merge a node set per
# title, quadratic on a page of 100,000 links (measured: 200 s); this form stays linear.
_TITLE_LINKS = (
    ".//a[@href][ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' td-module-title ')]]"
    f"[not({_OUTSIDE_MAIN})]"
)
# The module (one listed article) around a title link.
_MODULE = (
    "ancestor::*[contains(@class,'td_module_') or contains(@class,'td-module-container')"
    " or contains(@class,'tdb_module_loop')][1]"
)
_NEXT_LINKS = (
    "//div[contains(@class,'page-nav')]//a[i[contains(@class,'td-icon-menu-right')]]/@href",
    "//div[contains(@class,'page-nav')]//a[contains(translate(@aria-label,'NEXT','next'),'next')]/@href",
    "//div[contains(@class,'page-nav')]//span[contains(@class,'current')]/following-sibling::a[contains(@class,'page')][1]/@href",
    "//link[@rel='next']/@href",
)
# Script-driven pagination of the listing itself (not of a menu or sidebar block).
_SCRIPT_PAGINATION = (
    f"//a[contains(@class,'td_ajax_load_more')][not({_OUTSIDE_MAIN})]"
    f" | //*[contains(@class,'td-next-prev-wrap')][not({_OUTSIDE_MAIN})]//a"
)
# Category links of the site's menus: the sections of a site with no registry entry.
_MENU_SECTIONS = "//*[contains(@class,'menu')]//a[contains(@href,'/category/')]/@href"
_PAGE_NAV = f"//div[contains(@class,'page-nav')][not({_OUTSIDE_MAIN})]"
_PAGE_IN_PATH = re.compile(r"/page/(\d+)/?$")


@dataclass(frozen=True)
class ListingPage:
    url: str
    selector: Selector

    def article_urls(self) -> list[str]:
        """Absolute article links in page order, each once."""
        return list(self.article_dates())

    def article_dates(self, limit: int | None = None) -> dict[str, str | None]:
        """Article link -> the ``datetime`` its module shows (None when the module shows no date),
        in page order. Used by the ``since`` stop rule. Reading stops after ``limit`` + 1 links:
        a hostile page can hold 100,000."""
        entries: dict[str, str | None] = {}
        roots = self.selector.xpath(_LOOPS) or [self.selector]
        for link in (link for root in roots for link in root.xpath(_TITLE_LINKS)):
            if limit is not None and len(entries) > limit:
                break
            href = (link.attrib.get("href") or "").strip()
            if not href:
                continue
            module = link.xpath(_MODULE)
            when = module[0].xpath(".//time/@datetime").get() if module else None
            url = clean_url(href, base=self.url)
            if entries.get(url) is None:
                entries[url] = when
        return entries

    def next_page_url(self, build_when_scripted: bool = True) -> str | None:
        """The next listing page: the page-nav's link; with no page-nav but script-driven pagination,
        ``/page/N+1/`` built by hand (WordPress serves it; the crawl stops at its 404 or empty page)."""
        found = self.next_page(build_when_scripted)
        return found[0] if found else None

    def next_page(self, build_when_scripted: bool = True) -> tuple[str, bool] | None:
        """(URL, built by hand?) of the next listing page: see next_page_url."""
        for xpath in _NEXT_LINKS:
            if href := self.selector.xpath(xpath).get():
                return urljoin(self.url, href.strip()), False
        scripted = not self.selector.xpath(_PAGE_NAV) and self.selector.xpath(_SCRIPT_PAGINATION)
        if build_when_scripted and scripted and self.article_urls():
            built = self.numbered_page(self.page_number() + 1)
            return built, built not in self.linked_urls()
        return None

    def linked_urls(self) -> set[str]:
        return {urljoin(self.url, h.strip()) for h in self.selector.xpath("//a/@href | //link/@href").getall()}

    def page_number(self) -> int:
        match = _PAGE_IN_PATH.search(urlsplit(self.url).path)
        return int(match.group(1)) if match else 1

    def numbered_page(self, number: int) -> str:
        parts = urlsplit(self.url)
        path = _PAGE_IN_PATH.sub("/", parts.path)
        path = (path if path.endswith("/") else path + "/") + f"page/{number}/"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def menu_section_urls(self) -> list[str]:
        """The hrefs of the category links in the page's menus, as written."""
        return self.selector.xpath(_MENU_SECTIONS).getall()

    def canonical_host(self) -> str | None:
        href = self.selector.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content").get()
        return urlsplit(href).netloc if href else None
