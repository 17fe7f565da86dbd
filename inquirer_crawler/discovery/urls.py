"""URL hygiene: absolute, no tracking parameters, no fragment, safely encoded."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit

from w3lib.url import canonicalize_url, safe_url_string, url_query_cleaner

TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "ref_src",
        "spm",
        "amp",
    }
)


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


# An absolute http(s) URL in lower-case scheme and host (a port at most), without query, fragment
# or ';' parameters: once its characters are safe (_NOT_SAFE_IN_URL, below), what clean_url returns
# unchanged (urljoin returns an absolute URL of the base's scheme as it is, there are no parameters
# to clean, and safe_url_string leaves it alone). Most links of a page are; the two tests cost
# ~1 µs, the full path ~8 µs.
_PLAIN_ABSOLUTE = re.compile(r"https?://[a-z0-9\-.:]+(?:/[^?#;]*)?")


def clean_url(url: str, base: str | None = None) -> str:
    """Absolute URL without tracking parameters or fragment."""
    url = url.strip()
    if _PLAIN_ABSOLUTE.fullmatch(url) and _NOT_SAFE_IN_URL.search(url) is None:
        return url
    return _cleaned(url, base)


def _cleaned(url: str, base: str | None) -> str:
    url = urljoin(base, url) if base else url
    if "?" not in url and "#" not in url:
        return _safe(url)  # nothing to clean: most links, and the costly part skipped
    query = urlsplit(url).query
    tracking = [name for name, _ in parse_qsl(query, keep_blank_values=True) if _is_tracking(name)]
    # url_query_cleaner also drops the fragment (keep_fragments=False).
    url = url_query_cleaner(url, tracking, remove=True, unique=False)
    return _safe(url)


# What safe_url_string leaves as it is: ASCII URL characters and well-formed %-escapes, with the
# scheme and host in lower case (it lowercases them). Most links already are; the test costs
# ~2 µs (a search for what is not allowed, which runs in C), safe_url_string ~10 µs, and a page
# has some thirty URLs.
_NOT_SAFE_IN_URL = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")


def _safe(url: str) -> str:
    if _NOT_SAFE_IN_URL.search(url) is None:
        scheme, _, rest = url.partition("://")
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if scheme.islower() and authority == authority.lower():
            return url
    return safe_url_string(url)


@lru_cache(maxsize=8192)  # a crawl keys each article URL ~4 times (listing, neighbours, response, export)
def url_key(url: str) -> str:
    """Identity of a URL for de-duplication: canonical form, host without www, no trailing-slash difference."""
    key = canonicalize_url(clean_url(url))
    _, _, rest = key.partition("://")
    host, slash, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}/{path.rstrip('/')}" if slash else host


def is_http_url(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def category_slug(url: str) -> str:
    """``https://site/category/monde/afrique/`` -> ``afrique``: the last segment of the path."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
