"""Edits to a copy of the theinquirer.fr fixture mirror, as the site's editors would make them:
publish a new article, correct an existing one. Used by the cron tests."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import FIXTURES

HOST = "theinquirer.fr"
# The newest article of the mirror (4112), the model for new ones.
NEWEST = "la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars"
NEWEST_TITLE = "La Fed ouvre la voie à une hausse de ses taux dès le mois de mars"


def copy_mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    shutil.copytree(FIXTURES / HOST, root / HOST)
    return root


def _page(root: Path, slug: str) -> Path:
    return root / HOST / slug / "index.html"


def _sitemap(root: Path) -> Path:
    return root / HOST / "wp-sitemap-posts-post-1.xml"


def published_at(number: int) -> str:
    """When new article n°``number`` was published: one an hour from 2022-01-27 09:00 UTC."""
    return (datetime(2022, 1, 27, 8, tzinfo=UTC) + timedelta(hours=number)).isoformat()


def date_sitemap_index(root: Path, lastmod: str) -> None:
    """The index dates its post sitemap (as Yoast and RankMath do; WordPress core does not)."""
    index = root / HOST / "wp-sitemap.xml"
    child = f"<loc>https://{HOST}/wp-sitemap-posts-post-1.xml</loc>"
    text = re.sub(
        rf"{re.escape(child)}(<lastmod>[^<]*</lastmod>)?",
        f"{child}<lastmod>{lastmod}</lastmod>",
        index.read_text("utf-8"),
    )
    index.write_text(text, "utf-8")


def add_article(root: Path, number: int) -> str:
    """Publish article n°``number`` (post id 5000+n), listed in the sitemap and on the Économie listing.
    Returns its path."""
    slug = f"nouvel-article-numero-{number}"
    title = f"Nouvel article numéro {number} sur les marchés"
    html = _page(root, NEWEST).read_text("utf-8")
    html = html.replace(f"https://{HOST}/{NEWEST}/", f"https://{HOST}/{slug}/")
    html = html.replace(NEWEST_TITLE, title).replace("4112", str(5000 + number))
    published = published_at(number)
    html = html.replace("2022-01-26T20:30:00+00:00", published)
    _page(root, slug).parent.mkdir(parents=True)
    _page(root, slug).write_text(html, "utf-8")
    if _sitemap(root).exists():
        sitemap = _sitemap(root).read_text("utf-8")
        entry = f"<url><loc>https://{HOST}/{slug}/</loc><lastmod>{published}</lastmod></url>\n"
        _sitemap(root).write_text(sitemap.replace("</urlset>", entry + "</urlset>"), "utf-8")
    listing = root / HOST / "category" / "economie" / "index.html"
    text = listing.read_text("utf-8")
    module = f'<div class="td_module_10 td_module_wrap"><h3 class="entry-title td-module-title"><a href="https://{HOST}/{slug}/" rel="bookmark">{title}</a></h3></div>'
    listing.write_text(
        text.replace('<div class="td-ss-main-content">', '<div class="td-ss-main-content">' + module, 1), "utf-8"
    )
    return f"/{slug}/"


def correct_article(root: Path, slug: str, new_modified: str = "2022-02-01T09:00:00+00:00") -> str:
    """An editor's correction: one more sentence in the body, a new modified date, a new sitemap lastmod."""
    page = _page(root, slug)
    html = page.read_text("utf-8")
    modified = f'<meta property="article:modified_time" content="{new_modified}">'
    if "article:modified_time" in html:
        html = re.sub(r'<meta property="article:modified_time" content="[^"]*">', modified, html)
    else:  # never modified before: the SEO plugin prints the tag from now on
        html = re.sub(r'(<meta property="article:published_time"[^>]*>)', rf"\1{modified}", html)
    html = html.replace("</p>", " Correction : ce paragraphe a été précisé.</p>", 1)
    page.write_text(html, "utf-8")
    if _sitemap(root).exists():
        sitemap = _sitemap(root).read_text("utf-8")
        sitemap = re.sub(
            rf"(<loc>https://{HOST}/{re.escape(slug)}/</loc><lastmod>)[^<]*", rf"\g<1>{new_modified}", sitemap
        )
        _sitemap(root).write_text(sitemap, "utf-8")
    return f"/{slug}/"
