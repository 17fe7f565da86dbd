"""Hostile cases that need a crawl of their own (robots.txt down, Crawl-delay, TLS, a full disk,
SIGTERM, a long chain, endless pagination, a dead host) and the ones a unit test settles."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from inquirer_crawler.middlewares.address_guard import PublicAddressGuard, PublicOnlyResolver, is_public
from inquirer_crawler.pages.changes import parse_sitemap
from inquirer_crawler.pages.dates import parse_visible
from inquirer_crawler.pages.listing import ListingPage
from inquirer_crawler.response.failures import NonPublicAddress, failure_reason
from tests import send_log
from tests.conftest import FAST, FIXTURES, crawl_mirror, read_jsonl, run_crawl, start_crawl, validate_record
from tests.hostile_site import hang_after_headers
from tests.mirror_server import MirrorServer
from tests.site_edits import HOST, copy_mirror
from tests.stub_resolver import ScriptedResolver

ARTICLES = 12


def assert_clean(
    result: subprocess.CompletedProcess[str], out: Path | None = None, expected: tuple[str, ...] = ()
) -> None:
    """What every server-backed test checks: no traceback in the log but the expected ones (each must
    name one of ``expected``), every output line whole and schema-valid."""
    blocks = result.stderr.split("Traceback (most recent call last):")[1:]
    unexpected = [b for b in blocks if not any(words in b for words in expected)]
    assert not unexpected, unexpected[0][:3000]
    if out is not None and out.exists():
        for record in read_jsonl(out):
            validate_record(record)


# Tracebacks that Twisted and Scrapy log themselves for these cases (not ours to silence):
# the certificate check of a self-signed host, robots.txt of a host that refuses connections,
# and the feed exporter's report of the write that filled the disk.
TLS_TRACEBACKS = ("CertificateError", "SSL routines", "certificate verify failed", "SSLError", "_sslverify")
DEAD_HOST_TRACEBACKS = ("ConnectionRefusedError",)
FULL_DISK_TRACEBACKS = ("No space left on device",)


def served_crawl(root: Path, host: str, *args: str, tmp: Path, expected: tuple[str, ...] = (), **server: object):  # type: ignore[no-untyped-def]
    out = tmp / "out.jsonl"
    with MirrorServer(root, host, **server) as mirror:  # type: ignore[arg-type]
        result = run_crawl(
            "inquirer", "-a", f"start={mirror.url}", "-O", str(out), *FAST, *args, state=tmp / "s.sqlite"
        )
    assert_clean(result, out, expected)
    return result, list(mirror.requests), list(mirror.times), out


def test_robots_txt_answering_503_stops_the_host_for_this_run(tmp_path: Path) -> None:  # row 26
    root = copy_mirror(tmp_path)
    result, requests, _, out = served_crawl(
        root, HOST, tmp=tmp_path, routes={"/robots.txt": lambda p: (503, {"Content-Type": "text/plain"}, b"busy")}
    )
    assert set(requests) == {"/robots.txt"}  # no page of the host was fetched
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert re.fullmatch(
        r"error: run failed: robots.txt of 127\.0\.0\.1:\d+ answered 503: the site is not crawled this run", errors[0]
    )
    assert out.read_bytes() == b""  # no record: -O FILE is written empty (FEED_STORE_EMPTY, Scrapy's default)


def test_crawl_delay_spaces_the_requests(tmp_path: Path) -> None:  # row 27
    root = copy_mirror(tmp_path)
    robots = root / HOST / "robots.txt"
    robots.write_text("User-agent: *\nCrawl-delay: 1\nDisallow: /wp-admin/\n", "utf-8")
    log = tmp_path / "sent.log"
    result, requests, _, _ = served_crawl(
        root,
        HOST,
        "-a",
        "sections=economie",
        "-a",
        "state=off",
        "-s",
        f"DOWNLOAD_HANDLERS={send_log.HANDLERS}",
        "-s",
        f"TESTS_SEND_LOG={log}",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sent = [(t, send_log.path_of(url)) for t, url in send_log.read_send_log(log)]
    assert sorted(path for _, path in sent) == sorted(requests)  # what was sent is what the site got
    # Spaced when the crawler sends them (tests/send_log.py: arrival times add the server's noise).
    pages = [t for t, path in sent if path != "/robots.txt"]
    gaps = [b - a for a, b in itertools.pairwise(pages)]
    assert len(pages) >= 4 and min(gaps) >= 0.9, gaps


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_self_signed_certificate_is_refused(tmp_path: Path) -> None:  # row 49
    root = copy_mirror(tmp_path)
    result, requests, _, _ = served_crawl(
        root, HOST, "-a", "state=off", tmp=tmp_path, tls=_self_signed(tmp_path), expected=TLS_TRACEBACKS
    )
    assert result.returncode == 1  # the site did not answer
    assert "tls_error" in result.stderr
    assert requests == []  # no HTTP request got through the failed handshake


def test_full_disk_fails_the_run_naming_the_file_and_leaves_no_torn_output(tmp_path: Path) -> None:  # row 40
    out = tmp_path / "articles.jsonl"
    storages = '{"": "tests.full_disk.FullDiskFeedStorage", "file": "tests.full_disk.FullDiskFeedStorage"}'
    result = run_crawl(
        "inquirer",
        "-a",
        "replay=fixtures",
        "-a",
        "state=off",
        "-O",
        str(out),
        *FAST,
        "-s",
        f"FEED_STORAGES={storages}",
        state=tmp_path / "s.sqlite",
    )
    assert_clean(result, expected=FULL_DISK_TRACEBACKS)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(out) in errors[0] and "No space left on device" in errors[0]
    assert not out.exists()  # nothing published under the name a reader trusts


def test_sigterm_stops_gracefully_and_the_rerun_completes_exactly(tmp_path: Path) -> None:  # row 42
    root = copy_mirror(tmp_path)
    state, output = tmp_path / "s.sqlite", tmp_path / "output"
    with MirrorServer(root, HOST, delay=0.1) as server:
        crawl = start_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            *FAST,
            "-s",
            f"INQUIRER_OUTPUT={output}/%(name)s/%(time)s.jsonl",
            state=state,
        )
        while len(server.requests) < 10:
            time.sleep(0.01)
        sent = time.monotonic()
        crawl.send_signal(signal.SIGTERM)
        crawl.wait(timeout=40)
        assert time.monotonic() - sent < 30 + 10  # DOWNLOAD_TIMEOUT + 10 s
    time.sleep(1.1)
    with MirrorServer(root, HOST) as server:
        rerun = run_crawl(
            "inquirer",
            "-a",
            f"start={server.url}",
            *FAST,
            "-s",
            f"INQUIRER_OUTPUT={output}/%(name)s/%(time)s.jsonl",
            state=state,
        )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert_clean(rerun)
    records = [r for path in sorted(output.rglob("*.jsonl")) for r in read_jsonl(path)]
    for record in records:
        validate_record(record)
    assert len(records) == ARTICLES and len({r["url"] for r in records}) == ARTICLES


def test_a_long_chain_is_not_cut_by_depth(tmp_path: Path) -> None:  # row 15
    from benchmarks.make_mirror import make_mirror

    host = "chaine.test"
    info = make_mirror(tmp_path / "mirror", host, articles=120, per_page=5)
    for page in (tmp_path / "mirror" / host / "category" / "actualites" / "page").glob("*"):
        for file in page.rglob("*"):
            file.unlink()
    crawl = crawl_mirror(tmp_path, "newspaper", "-a", "state=off", host=host, root=tmp_path / "mirror")
    # Only the 5 newest are listed: the other 115 are reached through 115 "Article précédent" links.
    assert len(crawl.records) == len(info.article_urls) == 120


def test_endless_pagination_stops_at_the_listing_page_limit(tmp_path: Path) -> None:  # row 16
    root = copy_mirror(tmp_path)
    page2 = (root / HOST / "category" / "internationales" / "page" / "2" / "index.html").read_text("utf-8")

    def endless(path: str) -> tuple[int, dict[str, str], bytes]:
        number = int(re.search(r"/page/(\d+)/", path).group(1))  # type: ignore[union-attr]
        body = page2.replace("/page/1/", f"/page/{number - 1}/").replace(
            '<span class="current">2</span>',
            f'<span class="current">{number}</span><a class="page" href="/category/internationales/page/{number + 1}/">'
            f'{number + 1}</a><a href="/category/internationales/page/{number + 1}/"><i class="td-icon-menu-right"></i></a>',
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    routes = {f"/category/internationales/page/{n}/": endless for n in range(2, 200)}
    result, requests, _, _ = served_crawl(
        root,
        HOST,
        "-a",
        "sections=internationales",
        "-a",
        "state=off",
        "-s",
        "INQUIRER_MAX_LISTING_PAGES=5",
        tmp=tmp_path,
        routes=routes,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    listing_pages = [p for p in requests if p.startswith("/category/internationales/")]
    assert len(listing_pages) == 5
    assert "page_limit" in result.stderr


def test_a_dead_host_fails_the_run_as_not_answering(tmp_path: Path) -> None:  # row 23
    with MirrorServer(FIXTURES, HOST) as server:
        dead = server.url  # the port is free again once the server stops
    result = run_crawl(
        "inquirer", "-a", f"start={dead}", "-a", "state=off", *FAST, "-s", "RETRY_TIMES=0", state=tmp_path / "s.sqlite"
    )
    assert_clean(result, expected=DEAD_HOST_TRACEBACKS)
    assert result.returncode == 1
    assert "connection_refused" in result.stderr
    assert "error: run failed: the site did not answer" in result.stderr


def test_a_site_whose_pages_all_fail_behind_a_robots_txt_fails_the_run(tmp_path: Path) -> None:  # row 23b
    # Was exit 0: robots.txt, served by the web server alone, counted as the site answering while
    # every page behind it answered 502 (PHP down behind nginx).
    root = tmp_path / "site"
    (root / HOST).mkdir(parents=True)
    shutil.copy(FIXTURES / HOST / "robots.txt", root / HOST / "robots.txt")
    down = {"/": lambda p: (502, {"Content-Type": "text/html"}, b"<html><body>Bad Gateway</body></html>")}
    result, requests, _, _ = served_crawl(root, HOST, "-s", "RETRY_TIMES=0", tmp=tmp_path, routes=down)
    assert "/robots.txt" in requests and "/" in requests
    assert result.returncode == 1
    assert "error: run failed: the site did not answer: no page returned 2xx" in result.stderr


@pytest.mark.parametrize("home", [b"", b"<html><head></head><body></body></html>"])
def test_a_blank_site_fails_the_run(tmp_path: Path, home: bytes) -> None:  # row 23c
    # Was exit 0 with nothing logged: a white screen of death looked like a quiet day.
    root = tmp_path / "site"
    (root / HOST).mkdir(parents=True)
    shutil.copy(FIXTURES / HOST / "robots.txt", root / HOST / "robots.txt")
    blank = {"/": lambda p: (200, {"Content-Type": "text/html; charset=utf-8"}, home)}
    result, requests, _, _ = served_crawl(root, HOST, tmp=tmp_path, routes=blank)
    assert "/" in requests
    assert result.returncode == 1
    assert "error: run failed: no article link found on the site's listings or change sources" in result.stderr


def _renamed_article(root: Path) -> tuple[str, str]:
    """(old path, new path) of one article of the mirror, copied under a new slug: a changed slug,
    which WordPress answers with a 301 from the old one."""
    old = min(p for p in (root / HOST).iterdir() if p.is_dir() and (p / "index.html").is_file() and "-" in p.name)
    shutil.copytree(old, old.with_name(old.name + "-renamed"))
    return f"/{old.name}/", f"/{old.name}-renamed/"


def test_an_article_answering_from_a_redirect_is_settled_under_the_url_requested(tmp_path: Path) -> None:  # row 17b
    # Was: exported under the redirect's target while the URL requested stayed pending, every run.
    root = copy_mirror(tmp_path)
    old, new = _renamed_article(root)
    moved = {old: lambda p: (301, {"Location": new, "Content-Type": "text/html"}, b"")}
    result, requests, _, out = served_crawl(root, HOST, tmp=tmp_path, routes=moved)
    assert old in requests and new in requests
    assert result.returncode == 0
    assert "+ pending 0;" in result.stderr and "never answered" not in result.stderr
    assert any(record["url"].endswith(old) for record in read_jsonl(out))


def test_a_url_never_answered_fails_the_run_s_accounting_and_is_given_up(tmp_path: Path) -> None:  # row 17c
    # Was: a redirect off the site is dropped by Scrapy's offsite filter without an errback; the URL
    # stayed pending, uncounted, every run (exit 0), and never reached the give-up bound.
    root = copy_mirror(tmp_path)
    old, new = _renamed_article(root)
    stderr = []
    for _ in range(3):
        with MirrorServer(root, HOST) as probe:
            other_host = f"http://localhost:{probe.port}{new}"  # another host name: off the site
        away = {old: lambda p, to=other_host: (301, {"Location": to, "Content-Type": "text/html"}, b"")}
        result, _, _, _ = served_crawl(root, HOST, tmp=tmp_path, routes=away)
        assert result.returncode == 0  # one page failed; the run did its work
        assert "failed 1 (unanswered=1)" in result.stderr and "+ pending 0;" in result.stderr
        stderr.append(result.stderr)
    assert "gave up after 3 failed runs (unanswered)" in stderr[-1]
    assert "gave up" not in stderr[0] + stderr[1]


def test_no_cookie_or_credentials_are_ever_sent(tmp_path: Path) -> None:  # row 13
    root = copy_mirror(tmp_path)
    routes = {
        "/category/economie/": lambda p: (
            302,
            {"Location": "http://localhost:1/category/economie/", "Set-Cookie": "session=secret; Path=/"},
            b"",
        )
    }
    with MirrorServer(root, HOST, routes=routes) as server:
        result = run_crawl("inquirer", "-a", f"start={server.url}", "-a", "state=off", *FAST, state=tmp_path / "s")
        headers = list(server.headers_seen)
    assert_clean(result)
    assert result.returncode == 0
    assert headers and not any("Cookie" in h or "Authorization" in h for h in headers)
    assert "localhost" not in " ".join(h.get("Host", "") for h in headers)


# -- units ----------------------------------------------------------------------------------------


def test_dns_failure_is_named() -> None:  # row 23
    failure = Failure(DNSLookupError("nope.invalid"))
    assert failure_reason(failure) == "dns_error"


@pytest.mark.parametrize("text", ["hier soir peut-être", "n'importe quoi", "le 45 brumaire", ""])
def test_unparseable_french_dates_give_no_date(text: str) -> None:  # row 30
    now = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    assert parse_visible(text, "fr", "Europe/Paris", now) is None


def test_yesterday_counts_from_the_fetch_time_in_paris() -> None:  # row 30
    now = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    parsed = parse_visible("hier", "fr", "Europe/Paris", now)
    assert parsed is not None and parsed.date() == dt.date(2026, 11, 26)


def test_private_addresses_are_refused_after_resolution_but_the_start_host() -> None:  # row 35
    assert not is_public("127.0.0.1") and not is_public("169.254.169.254") and not is_public("10.0.0.1")
    assert not is_public("100.64.0.1") and not is_public("fc00::1") and is_public("93.184.216.34")

    class Spider:
        replay_dir = None
        trusted_hosts = frozenset({"127.0.0.1"})

    crawler = get_crawler(settings_dict={"INQUIRER_ALLOWED_PRIVATE_HOSTS": ["staging.local"]})
    crawler.spider = Spider()  # type: ignore[assignment]
    assert PublicAddressGuard(crawler)._allowed_hosts() == {"127.0.0.1", "staging.local"}


def _answer(deferred: object) -> str | Failure:
    results: list[str | Failure] = []
    deferred.addBoth(results.append)  # type: ignore[attr-defined]
    return results[0]


def test_a_name_that_rebinds_to_a_private_address_is_refused_at_the_resolution_used() -> None:  # row 35, rebinding
    resolver = ScriptedResolver(
        {"rebind.example": ["93.184.216.34", "169.254.169.254"], "public.example": ["93.184.216.34"]}
    )
    assert _answer(resolver.getHostByName("rebind.example")) == "93.184.216.34"
    second = _answer(resolver.getHostByName("rebind.example"))  # TTL 0: the next answer is private
    assert isinstance(second, Failure) and second.check(NonPublicAddress)
    assert failure_reason(second) == "non_public_ip"
    assert _answer(resolver.getHostByName("public.example")) == "93.184.216.34"
    resolver.allowed.add("rebind.example")  # the start= host, or INQUIRER_ALLOWED_PRIVATE_HOSTS
    assert _answer(resolver.getHostByName("rebind.example")) == "169.254.169.254"


def test_the_guard_refuses_to_start_without_its_resolver() -> None:
    crawler = get_crawler(settings_dict={"TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingThreadedResolver"})
    with pytest.raises(TypeError, match="PublicOnlyResolver"):
        PublicAddressGuard.from_crawler(crawler)
    assert issubclass(ScriptedResolver, PublicOnlyResolver)


def test_the_address_connected_is_the_address_checked(tmp_path: Path) -> None:  # row 35, end to end
    """A name resolving to 127.0.0.1 is refused before any connection; allowed, the crawl connects to
    exactly what the resolver answered (the local server) and exports the page."""
    url = "/burkina-faso-des-militaires-annoncent-avoir-pris-le-pouvoir-et-suspendu-la-constitution/"
    with MirrorServer(FIXTURES, HOST) as server:
        page = f"http://news.test:{server.port}{url}"
        resolver = ["-s", "TWISTED_DNS_RESOLVER=tests.stub_resolver.LoopbackNames", "-a", "state=off"]
        refused = run_crawl("inquirer", "-a", f"urls={page}", *FAST, *resolver, "-O", str(tmp_path / "a.jsonl"))
        seen_refused = list(server.requests)
        allowed = run_crawl(
            "inquirer",
            "-a",
            f"urls={page}",
            *FAST,
            *resolver,
            "-s",
            "INQUIRER_ALLOWED_PRIVATE_HOSTS=news.test",
            "-O",
            str(tmp_path / "b.jsonl"),
        )
        seen_allowed = list(server.requests)
    assert_clean(refused, tmp_path / "a.jsonl")
    assert seen_refused == []  # not even robots.txt: the connection was never made
    assert "non_public_ip" in refused.stderr
    assert_clean(allowed, tmp_path / "b.jsonl")
    assert url in seen_allowed
    assert len(read_jsonl(tmp_path / "b.jsonl")) == 1


def test_robots_txt_unreachable_stops_the_host_for_this_run(tmp_path: Path) -> None:  # RFC 9309 §2.3.1.4
    root = copy_mirror(tmp_path)
    result, requests, _, _ = served_crawl(
        root,
        HOST,
        "-s",
        "DOWNLOAD_TIMEOUT=1",
        "-s",
        "RETRY_TIMES=0",
        tmp=tmp_path,
        raw_routes={"/robots.txt": hang_after_headers},
        expected=("TimeoutError", "DownloadTimeoutError"),
    )
    assert set(requests) == {"/robots.txt"}  # an unreachable robots.txt is a complete disallow
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert re.fullmatch(
        r"error: run failed: the site did not answer: robots.txt of 127\.0\.0\.1:\d+ is unreachable "
        r"\(timeout\): the site is not crawled this run",
        errors[0],
    ), errors
    assert "robots_unavailable" in result.stderr


def test_sitemap_entities_are_never_expanded() -> None:  # row 45
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.test/&xxe;&b;</loc></url></urlset>'
    )
    entries = parse_sitemap(xxe).entries
    assert all("root:" not in e.url and "aaaaaaaaaa" not in e.url for e in entries)


def test_gzipped_sitemap_bomb_is_cut_by_the_size_limit(tmp_path: Path) -> None:  # row 46
    root = copy_mirror(tmp_path)
    bomb = gzip.compress(b"<urlset>" + b" " * (40 * 1024 * 1024) + b"</urlset>")
    routes = {
        "/wp-sitemap-posts-post-1.xml": lambda p: (
            200,
            {"Content-Type": "application/xml", "Content-Encoding": "gzip"},
            bomb,
        )
    }
    result, _, _, out = served_crawl(root, HOST, "-s", "DOWNLOAD_MAXSIZE=4194304", tmp=tmp_path, routes=routes)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "decompression_bomb" in result.stderr
    records = read_jsonl(out)
    for record in records:
        validate_record(record)
    assert len(records) == ARTICLES  # the listings and the chain still find everything


def test_a_page_with_100k_links_is_read_up_to_the_outlink_cap(tmp_path: Path) -> None:  # row 50
    links = "".join(f'<h3 class="entry-title td-module-title"><a href="/a-{n}/">t</a></h3>' for n in range(100_000))
    html = f'<html><body><div class="td-ss-main-content">{links}</div></body></html>'
    from parsel import Selector

    started = time.process_time()
    entries = ListingPage("https://x.test/", Selector(text=html)).article_dates(limit=500)
    assert len(entries) == 501 and time.process_time() - started < 20  # linear: ~4 s here
    root = tmp_path / "mirror"
    (root / "x.test").mkdir(parents=True)
    (root / "x.test" / "index.html").write_text(html, "utf-8")
    crawl_result = run_crawl(
        "newspaper",
        "-a",
        "replay=" + str(root),
        "-a",
        "start=https://x.test/",
        "-a",
        "state=off",
        "-O",
        str(tmp_path / "o.jsonl"),
        *FAST,
        "-s",
        "INQUIRER_MAX_OUTLINKS=50",
        "-s",
        "CLOSESPIDER_PAGECOUNT=60",
        state=tmp_path / "s",
    )
    assert "outlinks_truncated" in crawl_result.stderr
    assert_clean(crawl_result)
