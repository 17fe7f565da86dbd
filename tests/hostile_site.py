"""A small hostile site for the reliability tests: one listing that links to every bad case of
../shared/RELIABILITY-NOTES.md §4 that one crawl can hold, served on 127.0.0.1.

Valid article pages are the theinquirer.fr fixture 4112 under new URLs and titles, so a case is
exported exactly when the crawler handles it right.
"""

from __future__ import annotations

import gzip
import itertools
import time
from http.server import BaseHTTPRequestHandler

import brotli

from tests.conftest import FIXTURES

HOST = "hostile.test"
TEMPLATE = (
    FIXTURES / "theinquirer.fr" / "la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars" / "index.html"
)
TEMPLATE_URL = "https://theinquirer.fr/la-fed-ouvre-la-voie-a-une-hausse-de-ses-taux-des-le-mois-de-mars/"
TEMPLATE_TITLE = "La Fed ouvre la voie à une hausse de ses taux dès le mois de mars"
PUBLISHED = "2022-01-26T20:30:00+00:00"
MAX_SIZE = 2 * 1024 * 1024  # DOWNLOAD_MAXSIZE of the sweep (the 100k-div page is 1.1 MB)


_PREVIOUS = (
    '<div class="tdb-next-post tdb-next-post-bg tdb-post-prev"><span>Article précédent</span>'
    '<a href="https://theinquirer.fr/le-telescope-spatial-james-webb-a-atteint-son-poste-dobservation-a-15-million-de-'
    'kilometres-de-la-terre/">Le télescope spatial James Webb a atteint son poste d’observation, à 1,5 million de '
    'kilomètres de la Terre</a></div><div class="tdb-next-post tdb-post-next"></div>'
)


def article(path: str, title: str, published: str = PUBLISHED, previous: str = "", next_: str = "") -> str:
    """The template under a new URL and title; previous/next only where a case wants them."""
    html = TEMPLATE.read_text("utf-8")
    assert _PREVIOUS in html
    nav = (
        f'<div class="tdb-next-post tdb-next-post-bg tdb-post-prev"><span>Article précédent</span><a href="{previous}">Avant</a></div>'
        if previous
        else '<div class="tdb-next-post tdb-post-prev"></div>'
    ) + (
        f'<div class="tdb-next-post tdb-next-post-bg tdb-post-next"><span>Article suivant</span><a href="{next_}">Après</a></div>'
        if next_
        else '<div class="tdb-next-post tdb-post-next"></div>'
    )
    html = html.replace(_PREVIOUS, nav)
    html = html.replace(TEMPLATE_URL, f"https://{HOST}{path}").replace(TEMPLATE_TITLE, title)
    html = html.replace(PUBLISHED, published).replace("2022-01-27T08:15:00+00:00", published)
    html = html.replace("postid-4112", f"postid-{abs(hash(path)) % 90000 + 10000}")
    # The template's other links (sidebar, menus) lead nowhere the crawler follows.
    return html.replace("https://theinquirer.fr/", f"https://{HOST}/elsewhere/")


def listing(links: list[str]) -> str:
    modules = "".join(
        f'<div class="td_module_10 td_module_wrap"><h3 class="entry-title td-module-title">'
        f'<a href="{href}" rel="bookmark">Lien {n}</a></h3></div>'
        for n, href in enumerate(links)
    )
    return (
        f'<!DOCTYPE html><html lang="fr-FR"><head><meta charset="UTF-8"><title>Hostile</title>'
        f'<link rel="canonical" href="https://{HOST}/"></head><body class="home">'
        f'<div class="td-main-content-wrap"><div class="td-ss-main-content">{modules}</div></div></body></html>'
    )


# -- raw answers -------------------------------------------------------------------------------


def _head(handler: BaseHTTPRequestHandler, headers: dict[str, str], status: int = 200) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def lying_length(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, {"Content-Type": "text/html", "Content-Length": "5000"})
    handler.wfile.write(b"<html><head><title>cut")
    handler.wfile.flush()


def huge_declared(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, {"Content-Type": "text/html", "Content-Length": str(50 * 1024 * 1024)})
    handler.wfile.write(b"<html>" + b" " * 1024)


def huge_undeclared(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, {"Content-Type": "text/html"})  # HTTP/1.0: the body ends when the socket closes
    chunk = b"<p>" + b"x" * 65533
    for _ in range(2 * MAX_SIZE // len(chunk) + 2):
        handler.wfile.write(chunk)


def slow_drip(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, {"Content-Type": "text/html"})
    for byte in itertools.islice(itertools.cycle(b"<html>"), 40):
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.5)


def hang_after_headers(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, {"Content-Type": "text/html", "Content-Length": "1000"})
    handler.wfile.flush()
    time.sleep(8)


def fixed(status: int, headers: dict[str, str], body: bytes = b""):  # type: ignore[no-untyped-def]
    return lambda path: (status, headers, body)


def bombs() -> dict[str, tuple[int, dict[str, str], bytes]]:
    zeros = b"\0" * (20 * 1024 * 1024)
    compressed = gzip.compress(article("/a-truncated-gzip/", "Coupé en deux").encode())
    return {
        "/a-gzip-bomb/": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(zeros)),
        "/a-brotli-bomb/": (200, {"Content-Type": "text/html", "Content-Encoding": "br"}, brotli.compress(zeros)),
        "/a-truncated-gzip/": (
            200,
            {"Content-Type": "text/html", "Content-Encoding": "gzip"},
            compressed[: len(compressed) // 2],
        ),
    }
