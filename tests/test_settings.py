"""Settings that matter for users and site owners: polite defaults, safe defaults, the record's key order."""

from __future__ import annotations

import json

import scrapy
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from inquirer_crawler.items import EXPORT_FIELDS
from inquirer_crawler.middlewares.user_agent import ContactUserAgentMiddleware
from tests.conftest import REPO_ROOT


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("inquirer_crawler.settings", priority="project")
    return settings


def test_scrapy_is_the_pinned_secure_release() -> None:
    assert tuple(int(x) for x in scrapy.__version__.split(".")[:2]) >= (2, 19)


def test_live_crawl_defaults_are_polite_and_bounded() -> None:
    s = project_settings()
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2 and s.getfloat("DOWNLOAD_DELAY") >= 1
    assert {429, 500, 502, 503, 504} <= set(s.getlist("RETRY_HTTP_CODES"))
    assert 0 < s.getint("DOWNLOAD_TIMEOUT") <= 60
    assert 0 < s.getint("DOWNLOAD_MAXSIZE") <= 32 * 1024 * 1024
    assert not s.getbool("HTTPCACHE_ENABLED")
    assert s.getint("DEPTH_LIMIT") == 0  # a long previous/next chain must not be cut


def test_secure_defaults() -> None:
    s = project_settings()
    assert not s.getbool("TELNETCONSOLE_ENABLED") and not s.getbool("REMOTE_CONTROL_ENABLED")
    assert not s.getbool("COOKIES_ENABLED") and s.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
    handlers = s.getdict("DOWNLOAD_HANDLERS")
    assert all(handlers[scheme] is None for scheme in ("file", "data", "ftp", "s3"))


def test_user_agent_names_the_crawler_and_a_contact(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("INQUIRER_CONTACT", raising=False)
    user_agent = project_settings()["USER_AGENT"]
    crawler = get_crawler(settings_dict={"USER_AGENT": user_agent, "INQUIRER_CONTACT": "mailto:ops@example.org"})
    assert (
        ContactUserAgentMiddleware.from_crawler(crawler).user_agent == "inquirer-crawler/0.1 (+mailto:ops@example.org)"
    )
    monkeypatch.setenv("INQUIRER_CONTACT", "https://example.org/bot")
    assert (
        ContactUserAgentMiddleware.from_crawler(crawler).user_agent == "inquirer-crawler/0.1 (+https://example.org/bot)"
    )


def test_every_line_has_the_schema_fields_in_the_record_order() -> None:
    schema = json.loads((REPO_ROOT / "schema" / "article.schema.json").read_text("utf-8"))
    assert project_settings().getlist("FEED_EXPORT_FIELDS") == EXPORT_FIELDS == schema["required"]
    assert project_settings()["FEED_EXPORT_ENCODING"] == "utf-8"


def test_parsed_pages_are_released_after_their_callback() -> None:
    from scrapy.http import HtmlResponse

    from inquirer_crawler.extensions.memory import ReleaseSelectors

    assert project_settings().getdict("SPIDER_MIDDLEWARES") == {
        "inquirer_crawler.extensions.memory.ReleaseSelectors": 50
    }
    response = HtmlResponse("https://theinquirer.fr/a/", body=b"<html><body><h1>t</h1></body></html>")
    assert response.css("h1::text").get() == "t" and response._cached_selector is not None
    assert list(ReleaseSelectors().process_spider_output(response, iter([1, 2]))) == [1, 2]
    assert response._cached_selector is None  # the tree is freed now, not at the next full GC


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    """The check Scrapy would run on every response (switched off in settings.py for its cost), run once."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    from inquirer_crawler.spiders.inquirer import InquirerSpider
    from inquirer_crawler.spiders.newspaper import NewspaperSpider

    callbacks = [
        member
        for spider in (NewspaperSpider, InquirerSpider)
        for name, member in inspect.getmembers(spider, inspect.isgeneratorfunction)
        if name.startswith(("parse", "on_"))
    ]
    assert len(callbacks) >= 3  # parse_listing, parse_article and the change-source callbacks at least
    assert not [c.__qualname__ for c in callbacks if is_generator_with_return_value(c)]
