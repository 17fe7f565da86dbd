"""Which links the crawler follows, decided before any request, with a reason for every refusal.

Scrapy's own filters (offsite, dupefilter, URL length) drop requests without telling the
spider; this policy decides first and names the reason, so every skipped link is counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from inquirer_crawler.discovery.urls import clean_url
from inquirer_crawler.sites import bare_host

MAX_URL_LENGTH = 2083
# WordPress pages that are never articles nor listings we walk.
_NON_ARTICLE_PATH = re.compile(
    r"/(?:tag|author|feed|wp-admin|wp-json|wp-content|wp-includes|amp|comments|trackback|embed|search)(?:/|$)"
    r"|/comment-page-\d+|/xmlrpc\.php|/wp-login\.php",
    re.IGNORECASE,
)
_NON_ARTICLE_QUERY = re.compile(r"(?:^|&)(?:s|share|replytocom|print|amp|preview|p|attachment_id)=", re.IGNORECASE)
_MEDIA = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|pdf|zip|rar|7z|gz|mp3|mp4|m4a|wav|ogg|webm|avi|mov|"
    r"docx?|xlsx?|pptx?|css|js|json|xml|txt|woff2?|ttf|eot)$",
    re.IGNORECASE,
)


@dataclass
class UrlPolicy:
    """The crawl's site: its own origin, and the hosts whose links mean the same site."""

    origin: str  # scheme://host[:port] that requests go to
    # Hosts (without www.) that are the same site: the registry's domains, the pages' canonical host.
    aliases: set[str] = field(default_factory=set)

    @property
    def host(self) -> str:
        return bare_host(urlsplit(self.origin).netloc)

    def rebase(self, url: str) -> str:
        """A link to the site's public host, rewritten to the crawl's origin (a mirror, a staging copy)."""
        parts = urlsplit(url)
        if bare_host(parts.netloc) in self.aliases and bare_host(parts.netloc) != self.host:
            origin = urlsplit(self.origin)
            return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ""))
        return url

    def decide(self, href: str | None, base: str, page: bool = True) -> tuple[str | None, str]:
        """(the URL to request, "ok") or (None, reason) for a link found on ``base``.
        ``page=False`` for sitemaps and feeds: XML is what is wanted there."""
        if not href or not href.strip():
            return None, "empty"
        href = href.strip()
        scheme = urlsplit(href).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return None, "bad_scheme"
        url = self.rebase(clean_url(href, base=base))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None, "bad_scheme"
        if parts.username or parts.password:
            return None, "userinfo"
        if len(url) > MAX_URL_LENGTH:
            return None, "url_too_long"
        if bare_host(parts.netloc) != self.host:
            return None, "offsite"
        if not page:
            return url, "ok"
        if _MEDIA.search(parts.path):
            return None, "media"
        if _NON_ARTICLE_PATH.search(parts.path) or _NON_ARTICLE_QUERY.search(parts.query):
            return None, "not_article"
        return url, "ok"
