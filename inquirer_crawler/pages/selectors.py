"""The article page's selector chains, as data (the way fundus keeps a publisher's selectors apart
from its code). Each chain is tried in order, most reliable source first (SITE-NOTES §9); each step
names where it looks:

- ``page``: page-wide; a group that starts with a theme block class (``.tdb_title``, ``.td-post-…``)
  is answered inside the post's region only (pages/query.py);
- ``scope``: inside the post's container (``article#post-N``, else the main column);
- ``header``: inside the classic ``.td-post-header`` (else the scope).

Both template families are here: the classic one (``td-post-header``, ``td-post-content``,
``td-post-next-prev``, ``author-box-wrap``) and the Cloud Library "tdb" blocks (``tdb_title``,
``tdb_single_date``, ``tdb_single_content`` …). Sources that are not CSS (metas, JSON-LD, the
``<title>``) are in the field code of pages/article.py, in the same order as there.
"""

from __future__ import annotations

from typing import Literal

Where = Literal["page", "scope", "header"]
Chain = tuple[tuple[Where, str], ...]

# A page is an article when it has one of these headlines (besides its metas and body classes).
ARTICLE_HEADLINE = "h1.entry-title, h1.tdb-title-text"

TITLE: Chain = (
    ("page", ".tdb_title h1, h1.tdb-title-text"),
    ("header", "h1.entry-title"),
    ("scope", "h1.entry-title"),
)
SUBTITLE: Chain = (
    ("page", ".tdb_single_subtitle .tdb-block-inner"),
    ("header", ".td-post-sub-title"),
)
AUTHOR_LINK: Chain = (
    ("page", ".tdb_single_author .tdb-author-name-wrap a, .tdb_single_author a.tdb-author-name"),
    ("header", ".td-post-author-name a"),
    ("scope", ".td-post-author-name a"),
    ("scope", ".author-box-wrap .td-author-name a, .author-box-wrap .fn a"),
    ("page", ".tdb-author-box a.tdb-author-name, .tdb_single_author_box a.tdb-author-name"),
    # Hidden byline: the theme still prints the author's vcard when the meta line is switched off.
    ("scope", ".td-author-name.vcard .fn a"),
)
AUTHOR_MICRODATA: Chain = (("scope", '[itemprop="author"] meta[itemprop="name"]::attr(content)'),)
BREADCRUMB: Chain = (
    ("page", ".tdb_breadcrumbs a.tdb-entry-crumb"),
    ("page", ".td-crumb-container a.entry-crumb, .entry-crumbs a.entry-crumb"),
)
CATEGORIES: Chain = (
    ("header", "ul.td-category li.entry-category a"),
    ("page", ".tdb_single_categories a.tdb-entry-category"),
    ("scope", '[class*="post-categories"] a[href*="/category/"]'),  # a child theme's own list of them
)
TAGS: Chain = (
    ("scope", ".td-post-source-tags ul.td-tags li a"),
    ("page", ".tdb_single_tags ul.tdb-tags li a"),
)
# The visible date blocks; their <time datetime> and their text are read in that order.
PUBLISHED_BLOCK: Chain = (
    ("page", ".tdb_single_date"),
    ("header", ".td-post-date"),
    ("scope", ".td-post-date"),
)
MODIFIED_BLOCK: Chain = (("page", ".tdb_single_modified_date"),)
# A child theme's own date block ("single-post-date"; the field code leaves out other posts' dates).
OWN_POST_DATE: Chain = (("scope", '[class*="post-date"]'),)
# The date blocks whose <time datetime> may state the post's UTC offset.
STATED_DATE_BLOCKS: Chain = (
    ("page", ".tdb_single_date, .tdb_single_modified_date"),
    ("header", ".td-post-date"),
)
# itemprop=<name> of the post, on a <meta content> or a <time datetime>.
DATE_PUBLISHED_MICRODATA: Chain = (("scope", '[itemprop="datePublished"]'),)
DATE_MODIFIED_MICRODATA: Chain = (("scope", '[itemprop="dateModified"]'),)
DATE_CREATED_MICRODATA: Chain = (("scope", '[itemprop="dateCreated"]'),)
MICRODATA: dict[str, Chain] = {
    "datePublished": DATE_PUBLISHED_MICRODATA,
    "dateModified": DATE_MODIFIED_MICRODATA,
    "dateCreated": DATE_CREATED_MICRODATA,
}
# Counters, by class and never by position: the number's own span first, then the block's text.
VIEWS_NUMBER: Chain = (
    ("header", '.td-post-views span[class*="td-nr-views-"]::text'),
    ("page", '.tdb_single_post_views span[class*="td-nr-views-"]::text'),
)
VIEWS_TEXT: Chain = (
    ("header", ".td-post-views"),
    ("page", ".tdb_single_post_views .tdb-block-inner"),
)
COMMENTS_TEXT: Chain = (("header", ".td-post-comments"),)
COMMENTS_SPANS: Chain = (("page", ".tdb_single_comments_count .tdb-block-inner span"),)  # the last one
COMMENTS_BLOCK: Chain = (("page", ".tdb_single_comments_count .tdb-block-inner"),)
PREVIOUS: Chain = (
    ("scope", ".td-post-next-prev .td-post-prev-post a"),
    ("page", ".tdb_single_next_prev .tdb-post-prev a"),
)
NEXT: Chain = (
    ("scope", ".td-post-next-prev .td-post-next-post a"),
    ("page", ".tdb_single_next_prev .tdb-post-next a"),
)
# The post's own body, most specific container first, each in the scope before page-wide
# (tdb pages usually have no <article>, or one that carries the *template's* id).
BODY: Chain = (
    ("scope", ".tdb_single_content .tdb-block-inner"),
    ("page", ".tdb_single_content .tdb-block-inner"),
    ("scope", ".td-post-content"),  # inside article#post-N first: scoped lookups come before page-wide ones
    ("page", ".td-post-content"),
    ("scope", '[itemprop="articleBody"]'),
    ("page", '[itemprop="articleBody"]'),
    ("scope", ".entry-content"),
    ("page", ".entry-content"),
)
FEATURED_IMAGE: Chain = (
    ("page", ".tdb_single_featured_image"),
    ("scope", ".td-post-featured-image"),
)
# Inside the featured image block (parsel on that block).
FEATURED_IMG = "img"
FEATURED_CAPTION = "figcaption, .wp-caption-text, .tdb-caption-text"
# The containers themselves (pages/query.py): the main column when there is no post article,
# and the classic header.
MAIN_COLUMN: Chain = (("page", ".td-ss-main-content"), ("page", ".td-main-content"))
HEADER: Chain = (("scope", ".td-post-header"), ("page", ".td-post-header"))

# Every chain, by name: what tests/test_query.py compares with parsel on every fixture.
CHAINS: dict[str, Chain] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, tuple)
}
