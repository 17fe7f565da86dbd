"""Offline replay: wget --mirror layout, 404 for what is missing, nothing outside the folder."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from inquirer_crawler.response.replay import mirror_path, replay_response


def test_mirror_layout(tmp_path: Path) -> None:
    assert mirror_path(tmp_path, "https://theinquirer.fr/") == tmp_path / "theinquirer.fr/index.html"
    assert mirror_path(tmp_path, "https://theinquirer.fr/a/b/") == tmp_path / "theinquirer.fr/a/b/index.html"
    assert mirror_path(tmp_path, "https://theinquirer.fr/robots.txt") == tmp_path / "theinquirer.fr/robots.txt"
    assert (
        mirror_path(tmp_path, "https://theinquirer.fr/feed/?paged=2")
        == tmp_path / "theinquirer.fr/feed/index.html?paged=2"
    )
    assert mirror_path(tmp_path, "http://127.0.0.1:8080/x/") == tmp_path / "127.0.0.1:8080/x/index.html"


def test_a_url_cannot_read_outside_the_mirror(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    mirror = tmp_path / "mirror"
    (mirror / "theinquirer.fr").mkdir(parents=True)
    for url in ("https://theinquirer.fr/../secret.txt", "https://theinquirer.fr/%2e%2e/%2E%2E/secret.txt"):
        assert mirror_path(mirror, url) is None
        response = replay_response(mirror, Request(url))
        assert response.status == 404 and b"secret" not in response.body


def test_saved_page_is_served_as_html_and_missing_page_is_404(tmp_path: Path) -> None:
    page = tmp_path / "theinquirer.fr" / "article" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html><head><meta charset='utf-8'></head><body><p>Été</p></body></html>", "utf-8")
    found = replay_response(tmp_path, Request("https://theinquirer.fr/article/"))
    assert isinstance(found, HtmlResponse) and found.status == 200
    assert "Été" in found.text
    missing = replay_response(tmp_path, Request("https://theinquirer.fr/absent/"))
    assert missing.status == 404


def test_robots_txt_is_served_as_text(tmp_path: Path) -> None:
    robots = tmp_path / "theinquirer.fr" / "robots.txt"
    robots.parent.mkdir(parents=True)
    robots.write_text("User-agent: *\nDisallow: /wp-admin/\n", "utf-8")
    response = replay_response(tmp_path, Request("https://theinquirer.fr/robots.txt"))
    assert isinstance(response, TextResponse) and not isinstance(response, HtmlResponse)
    assert b"Disallow" in response.body
