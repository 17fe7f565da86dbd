"""Bad input, round two (issue 12): each finding as a unit, with the inputs real sites send.

1. declared non-Latin charsets; 2. mojibake holding "à" in a body; 3. a whole page without
``</html>`` and a truncation told by the transport; 7. entities left in text fields and the
run-time schema check. (4, field isolation: tests/test_field_isolation.py and
tests/test_page_properties.py; 5 and 6, robots.txt and DNS: tests/test_hostile_runs.py.)
A URL that keeps failing is given up after a bounded number of runs: the state store here, the
crawl in tests/test_bad_input_runs.py.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import re
import sqlite3
import zlib
from pathlib import Path

import brotli
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler

from inquirer_crawler.items import EXPORT_FIELDS, ArticleDropped
from inquirer_crawler.pipelines.validate import BODY_HTML_FORBIDDEN, forbidden_markup, record_error
from inquirer_crawler.response.encoding import (
    _MOJIBAKE,
    UTF8_CP1252,
    EncodingMiddleware,
    fix_mojibake,
    has_mojibake,
)
from inquirer_crawler.response.integrity import TransportIntegrityMiddleware, stream_ended, unusable
from inquirer_crawler.state.scope import ScopeError
from inquirer_crawler.state.sqlite import SqliteStateStore as StateStore
from inquirer_crawler.state.store import ExportedRecord, RunInfo
from tests.conftest import SCHEMA, build_pipelines, run_crawl, run_pipelines
from tests.test_pipelines import KEPT, body_after, item

URL = "https://theinquirer.fr/un-article/"


def page(title: str, meta: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body><h1>{title}</h1></body></html>"


def downloaded_with_stats(body: bytes, content_type: str = "text/html") -> tuple[TextResponse, dict[str, object]]:
    """The response as the spider gets it (through the encoding middleware), and the stats."""
    crawler = get_crawler()
    crawler.stats.open_spider()
    response = HtmlResponse(URL, body=body, headers={"Content-Type": content_type}, request=Request(URL))
    out = EncodingMiddleware(crawler).process_response(response.request, response)
    assert isinstance(out, TextResponse)
    return out, crawler.stats.get_stats()


def downloaded(body: bytes, content_type: str = "text/html") -> TextResponse:
    return downloaded_with_stats(body, content_type)[0]


# -- 1. charsets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        ("Привет мир", "windows-1251"),
        ("Zażółć gęślą jaźń", "iso-8859-2"),
        ("Καλημέρα κόσμε", "iso-8859-7"),
        ("مرحبا بالعالم", "windows-1256"),
        ("Příliš žluťoučký kůň", "windows-1250"),
        ("日本語のページ", "shift_jis"),
        ("Здраво свете", "koi8-r"),
        ("Été à Montréal", "iso-8859-15"),
    ],
)
def test_a_declared_charset_is_honoured_whatever_it_is(text: str, charset: str) -> None:
    # Was: every charset but Latin-1/cp1252/8859-15 failed the UTF-8 check and was re-read as
    # cp1252 ("Привет мир" -> "Ïðèâåò ìèð").
    body = page(text).encode(charset)
    assert text in downloaded(body, f"text/html; charset={charset}").text
    in_meta = page(text, f'<meta charset="{charset}">').encode(charset)
    assert text in downloaded(in_meta).text
    http_equiv = page(text, f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">').encode(charset)
    assert text in downloaded(http_equiv).text


def test_the_http_charset_wins_over_the_meta_and_a_bom_over_both() -> None:
    body = page("Привет мир", '<meta charset="iso-8859-2">').encode("windows-1251")
    assert "Привет мир" in downloaded(body, "text/html; charset=windows-1251").text
    with_bom = codecs.BOM_UTF8 + page("Été", '<meta charset="windows-1251">').encode("utf-8")
    assert "Été" in downloaded(with_bom, "text/html; charset=iso-8859-2").text


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html"])
def test_a_page_that_says_utf8_or_nothing_and_is_not_is_read_as_cp1252_and_counted(content_type: str) -> None:
    response, stats = downloaded_with_stats(page("Œuvre citée à Noël").encode("cp1252"), content_type)
    assert "Œuvre citée à Noël" in response.text and "\ufffd" not in response.text
    assert stats["encoding/fallback_cp1252"] == 1


@pytest.mark.parametrize(
    "stray",
    [
        b"<!-- caf\xe9 -->",  # a plugin's Latin-1 comment
        b"<p>Caf\xe9 du coin</p>",  # a Latin-1 word pasted into the text
        b"<p>\x9d</p>",  # a byte cp1252 has no character for
    ],
)
def test_a_utf8_page_with_a_stray_byte_stays_utf8(stray: bytes) -> None:
    # Was: one invalid byte re-read the whole page as cp1252; the "”" of English pages (E2 80 9D) then
    # held a byte cp1252 lacks, and became "â€\ufffd", which no repair can undo.
    text = "passage très proche” de l’astéroïde, observé depuis Łódź et Ísafjörður"
    body = page(text, '<meta charset="utf-8">').encode("utf-8").replace(b"</body>", stray + b"</body>")
    for content_type in ("text/html; charset=UTF-8", "text/html"):
        response, stats = downloaded_with_stats(body, content_type)
        assert text in response.text and "\ufffd" not in response.text
        assert stats["encoding/utf8_with_stray_bytes"] == 1 and "encoding/fallback_cp1252" not in stats
    assert "Caf\xe9 du coin" in downloaded(body.replace(stray, b"<p>Caf\xe9 du coin</p>")).text


def test_a_cp1252_page_with_a_chance_utf8_sequence_is_still_cp1252() -> None:
    # "Ã©" is two cp1252 letters that happen to be a UTF-8 sequence: one valid against many invalid.
    text = "Été à Noël, où l'œuvre citée: « Ã© » est écrit ainsi"
    response, stats = downloaded_with_stats(page(text).encode("cp1252"))
    assert text in response.text
    assert stats["encoding/fallback_cp1252"] == 1


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-8"])
def test_a_meta_charset_the_bytes_agree_with_is_honoured_late_or_against_a_utf8_header(content_type: str) -> None:
    # Scrapy reads a <meta> in the first 4 KiB only, and the header before it: a windows-1251 page whose
    # <meta> came later, or whose server said UTF-8, was re-read as cp1252 ("Àñòåðîèä").
    late = page("Астероид диаметром", "<!-- a long head -->" * 400 + '<meta charset="windows-1251">')
    response, stats = downloaded_with_stats(late.encode("cp1251"), content_type)
    assert "Астероид диаметром" in response.text
    assert stats["encoding/meta_charset"] == 1
    early = page("Астероид диаметром", '<meta charset="windows-1251">').encode("cp1251")
    assert "Астероид диаметром" in downloaded(early, content_type).text


@pytest.mark.parametrize("label", ["iso-8859-1", "latin1", "windows-1252", "us-ascii"])
def test_a_latin_meta_charset_leaves_the_page_to_the_cp1252_reading(label: str) -> None:
    text = "Œuvre citée à Noël"
    response, stats = downloaded_with_stats(
        page(text, "<!-- x -->" * 500 + f'<meta charset="{label}">').encode("cp1252")
    )
    assert text in response.text
    assert stats["encoding/fallback_cp1252"] == 1


@given(st.text())
def test_the_stray_byte_reading_is_utf8_on_valid_utf8(text: str) -> None:
    assert text.encode("utf-8").decode(UTF8_CP1252) == text


@given(st.lists(st.tuples(st.characters(max_codepoint=0x7F), st.integers(0x80, 0xFF))))
def test_the_stray_byte_reading_is_cp1252_where_no_byte_starts_a_utf8_sequence(pairs: list[tuple[str, int]]) -> None:
    # Each high byte followed by ASCII is an invalid sequence of one byte: read as cp1252.
    body = b"".join(bytes([high]) + char.encode("ascii") for char, high in pairs)
    assert body.decode(UTF8_CP1252) == body.decode("cp1252", "ignore")


def test_valid_utf8_is_left_as_it_is() -> None:
    response, stats = downloaded_with_stats(page("Привет, été").encode("utf-8"))
    assert "Привет, été" in response.text
    assert "encoding/fallback_cp1252" not in stats


# -- 2. mojibake in bodies ---------------------------------------------------------------------------


def test_mojibake_holding_a_grave_is_repaired_in_body_and_body_html() -> None:
    # Was: nh3 rewrote the NBSP that ends "à" read as cp1252 ("Ã\xa0") as &nbsp; before the repair.
    broken = "Il est allé à Paris, où l’été dure.".encode().decode("cp1252")
    record = body_after(f"<p>{broken}</p>")
    assert record.body == "Il est allé à Paris, où l’été dure."
    assert record.body_html == "<p>Il est allé à Paris, où l’été dure.</p>"


def test_text_that_mixes_mojibake_with_characters_cp1252_lacks_is_repaired_by_ftfy() -> None:
    # The whole-text round trip cannot encode "Ω" in cp1252: the broken stretch is repaired alone.
    assert fix_mojibake("Ω: Ã©tÃ© Ã\xa0 MontrÃ©al") == ("Ω: été à Montréal", True)
    assert fix_mojibake("Ω: été") == ("Ω: été", False)


def test_the_mojibake_detector_answers_as_its_regex_alone() -> None:
    # Its substring pre-check may only say "no" where the regex finds nothing: every UTF-8
    # character's cp1252 reading (what the regex looks for), each after every lead and near miss.
    readings = []
    for code in range(0x80, 0x3000):
        with contextlib.suppress(UnicodeDecodeError):
            readings.append(chr(code).encode().decode("cp1252"))
    texts = [f"{before}{reading}{after}" for reading in readings for before in ("", "x", "é") for after in ("", ".")]
    texts += [f"{lead}{chr(code)}" for lead in ("Ã", "Â", "â", "â€", "Ãƒ") for code in range(0x20, 0x2200)]
    assert sum(map(has_mojibake, texts)) > 500  # it does find some
    assert [text for text in texts if has_mojibake(text) != (_MOJIBAKE.search(text) is not None)] == []


# -- 3. truncation by the transport -------------------------------------------------------------------

WHOLE = page("Sans fin de document").replace("</body></html>", "").encode() + b"<p>" + b"texte " * 4000 + b"</p>"


def through_integrity(response: Response, maxsize: int = 0) -> Response:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": maxsize})
    crawler.stats.open_spider()
    return TransportIntegrityMiddleware(crawler).process_response(response.request, response)  # type: ignore[arg-type]


def test_a_whole_page_without_closing_html_is_a_page() -> None:
    # Was: any article whose last 16 KiB lacked "</html" failed as truncated_body, every run.
    response = through_integrity(
        HtmlResponse(URL, body=WHOLE, headers={"Content-Length": str(len(WHOLE))}, request=Request(URL))
    )
    assert b"</html" not in WHOLE and unusable(response) is None


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        (b"gzip", gzip.compress),
        (b"deflate", zlib.compress),
        (b"deflate", lambda b: zlib.compress(b, wbits=-15)),
        (b"br", brotli.compress),
    ],
)
def test_a_compressed_stream_that_did_not_end_is_truncated(coding: bytes, compress: object) -> None:
    whole = compress(WHOLE)  # type: ignore[operator]
    assert stream_ended(whole, coding, 0) is True
    for cut in (len(whole) // 2, len(whole) - 2):
        assert stream_ended(whole[:cut], coding, 0) is False
        response = HtmlResponse(URL, body=whole[:cut], headers={"Content-Encoding": coding}, request=Request(URL))
        assert unusable(through_integrity(response)) == "truncated_body"
    response = HtmlResponse(URL, body=whole, headers={"Content-Encoding": coding}, request=Request(URL))
    assert unusable(through_integrity(response)) is None


def test_a_gzip_body_of_several_members_is_whole_only_when_its_last_member_ended() -> None:
    # Was: the check stopped at the end of the first member, while Scrapy decodes them all: a cut
    # second member passed as a whole page.
    first, second = gzip.compress(WHOLE[:5000]), gzip.compress(WHOLE[5000:])
    assert stream_ended(first + second, b"gzip", 0) is True
    assert stream_ended(first + second[: len(second) // 2], b"gzip", 0) is False
    assert stream_ended(first + second + b"\0\0\0\0", b"gzip", 0) is True  # padding after the last member
    response = HtmlResponse(URL, body=first + second[:-8], headers={"Content-Encoding": b"gzip"}, request=Request(URL))
    assert unusable(through_integrity(response)) == "truncated_body"


def test_the_outermost_of_several_codings_is_the_stream_checked() -> None:
    whole = gzip.compress(gzip.compress(WHOLE))
    for header in (b"gzip, gzip", b"GZIP,gzip", b"identity, gzip"):
        cut = HtmlResponse(
            URL, body=whole[: len(whole) // 2], headers={"Content-Encoding": header}, request=Request(URL)
        )
        assert unusable(through_integrity(cut)) == "truncated_body", header
        ok = HtmlResponse(URL, body=whole, headers={"Content-Encoding": header}, request=Request(URL))
        assert unusable(through_integrity(ok)) is None, header


def test_a_bomb_is_left_to_the_decompression_limit() -> None:
    bomb = gzip.compress(b"\0" * (4 * 1024 * 1024))
    assert stream_ended(bomb, b"gzip", 1024 * 1024) is None
    response = HtmlResponse(URL, body=bomb, headers={"Content-Encoding": b"gzip"}, request=Request(URL))
    assert "truncated" not in through_integrity(response, maxsize=1024 * 1024).flags


def test_fewer_bytes_than_content_length_or_scrapys_dataloss_flag_is_truncated() -> None:
    short = HtmlResponse(URL, body=WHOLE[:100], headers={"Content-Length": str(len(WHOLE))}, request=Request(URL))
    assert unusable(through_integrity(short)) == "truncated_body"
    flagged = HtmlResponse(URL, body=WHOLE, flags=["dataloss"], request=Request(URL))
    assert unusable(flagged) == "truncated_body"


# -- a URL that keeps failing --------------------------------------------------------------------------


def test_a_url_that_keeps_failing_is_given_up_after_the_bounded_number_of_runs(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite")
    for run in (1, 2, 3):
        store.begin_run(RunInfo("newspaper", "complete"))
        store.discover("site/a", "https://site/a/")
        given_up = store.fail_for_now("site/a", "https://site/a/", "truncated_body", limit=3)
        assert given_up == (run == 3)
        assert store.pending() == ([("site/a", "https://site/a/")] if run < 3 else [])
    assert store.ledger_state("site/a") == "failed"
    # A success in between starts the count again.
    store.discover("site/b", "https://site/b/")
    store.fail_for_now("site/b", "https://site/b/", "timeout", limit=2)
    store.stage(
        "site/b",
        ExportedRecord(
            url="https://site/b/", post_id=None, published=None, modified=None, content_hash="h", lastmod=None
        ),
    )
    store.discover("site/b", "https://site/b/")
    assert store.fail_for_now("site/b", "https://site/b/", "timeout", limit=2) is False


@pytest.mark.parametrize("kind", ["newer", "corrupt"])
def test_a_state_file_it_cannot_read_stops_the_run_with_one_line_and_is_left_as_it_is(
    tmp_path: Path, kind: str
) -> None:
    # Was: a file of a newer format was used and relabelled as this version's (silently downgraded);
    # a file that is no database stopped the run with a traceback.
    path = tmp_path / "inquirer.sqlite"
    if kind == "newer":
        StateStore(path).close()
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA user_version = 7")
    else:
        path.write_bytes(bytes(range(256)) * 16)
    before = path.read_bytes()
    result = run_crawl("inquirer", "-a", "start=http://127.0.0.1:9/", state=path)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert ("newer than this inquirer-crawler reads" if kind == "newer" else "is not a readable state file") in errors[
        0
    ]
    assert path.read_bytes() == before
    with pytest.raises(ScopeError):  # the store itself, as every entry point opens it
        StateStore(path)
    assert path.read_bytes() == before


def test_a_state_file_from_before_the_failure_count_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    store = StateStore(path)
    store.begin_run(RunInfo("newspaper", "complete"))
    store.discover("site/a", "https://site/a/")
    store.close()
    db = sqlite3.connect(path)  # the format before this one: no failures column, user_version 1
    db.execute("ALTER TABLE urls DROP COLUMN failures")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = StateStore(path)
    store.begin_run(RunInfo("newspaper", "complete"))
    assert store.pending() == [("site/a", "https://site/a/")]
    assert store.fail_for_now("site/a", "https://site/a/", "timeout", limit=1) is True


# -- 7. entities and the run-time schema check -----------------------------------------------------------


def test_every_text_field_has_its_entities_decoded_once() -> None:
    record = run_pipelines(
        item(
            "<p>Tom &amp;#038; Jerry</p>",
            title="News &#038; Analysis",
            subtitle="A &amp;amp; B",
            section="Économie &#038; Bourse",
            author="Jean &#038; Marie",
            summary="R&amp;D",
            tags=["A &#038; B"],
            categories=["Vie &#038; Santé"],
            previous={"url": URL + "p/", "title": "Avant &#038; après"},
        )
    )
    assert (record.title, record.subtitle, record.section, record.author, record.summary) == (
        "News & Analysis",
        "A &amp; B",
        "Économie & Bourse",
        "Jean & Marie",
        "R&D",
    )
    assert (record.tags, record.categories, record.previous["title"]) == (["A & B"], ["Vie & Santé"], "Avant & après")
    assert record.body == "Tom & Jerry"


def test_an_invalid_record_is_dropped_as_schema_invalid_and_counted() -> None:
    crawler, pipelines = build_pipelines()
    bad = item(KEPT, language="français", post_id=-3)  # the schema wants a language code and a positive id
    with pytest.raises(ArticleDropped) as dropped:
        run_pipelines(bad, pipelines)
    assert dropped.value.reason == "schema_invalid"
    assert crawler.stats.get_value("articles/dropped/schema_invalid") == 1


def test_the_compiled_validator_agrees_with_jsonschema(replay_records: dict[str, dict[str, object]]) -> None:
    # The oracle: every fixture record, and each one broken a few ways, judged alike by both.
    oracle = jsonschema.validators.validator_for(SCHEMA)(SCHEMA, format_checker=jsonschema.FormatChecker())
    breakages = [
        ("title", 7),
        ("published", "hier"),
        ("word_count", -1),
        ("images", [{"url": 1}]),
        ("url", None),
        ("extra", "field"),
        ("categories", "Économie"),
        ("fetched_at", "2026-01-01T00:00:00+01:00"),
        ("body_html", "<p>x</p><DIV>y</div>"),
        ("body_html", '<p onClick = "x">y</p>'),
        ("body_html", "<p>a\u00a0class= b</p>"),
        ("title", "Titre\u2028coupé"),
    ]
    assert replay_records
    for record in replay_records.values():
        for broken in [dict(record), *({**record, key: value} for key, value in breakages)]:
            assert (record_error(broken) is None) == oracle.is_valid(broken), broken
    assert set(EXPORT_FIELDS) == set(SCHEMA["properties"])


def test_the_forbidden_markup_check_answers_as_the_schema_pattern() -> None:
    # The fast check against the schema's own pattern: random strings over the characters that
    # matter, and every fixture body with forbidden markup put in and left out.
    import random

    pattern = re.compile(BODY_HTML_FORBIDDEN)
    alphabet = list("<>=  \t\n\xa0\u2028onONclassCLASSſscriptdivspanStyleiframe_é1x")
    rng = random.Random()
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert forbidden_markup(text) == (pattern.search(text) is not None), repr(text)
    for record in replay_bodies():
        for html in (
            record,
            record.replace("<p>", "<p onclick=x>", 1),
            record.replace("<p>", "<Span>", 1),
            record + "<p>2 class = 3</p>",
        ):
            assert forbidden_markup(html) == (pattern.search(html) is not None)


def replay_bodies() -> list[str]:
    from inquirer_crawler.pages.article import ArticlePage
    from inquirer_crawler.response.replay import mirror_path
    from tests.conftest import EXPECTATIONS, FIXTURES

    pipelines = build_pipelines()[1]
    bodies = []
    for expectation in EXPECTATIONS:
        path = mirror_path(FIXTURES, expectation.url)
        assert path is not None
        page_item = ArticlePage.from_html(path.read_bytes(), expectation.url).to_item()
        for pipeline in pipelines[:3]:  # up to the body's final form
            page_item = pipeline.process_item(page_item)
        bodies.append(page_item.body_html)
    return bodies
