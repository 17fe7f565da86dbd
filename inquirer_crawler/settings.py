"""Scrapy settings. Reasons for the non-default values are in ../shared/RELIABILITY-NOTES.md §7."""

from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE as _SCRAPY_DOWNLOADER_MIDDLEWARES
from scrapy.settings.default_settings import EXTENSIONS_BASE as _SCRAPY_EXTENSIONS

from inquirer_crawler.items import EXPORT_FIELDS

BOT_NAME = "inquirer-crawler"
SPIDER_MODULES = ["inquirer_crawler.spiders"]
NEWSPIDER_MODULE = "inquirer_crawler.spiders"

# --- identity & politeness ----------------------------------------------------------------
# Site owners must be able to reach whoever runs the crawler: set INQUIRER_CONTACT (a URL or
# mailto:) with -s or in the environment (-s wins, environment.py); it fills {contact}
# (middlewares/user_agent.py).
INQUIRER_CONTACT = "https://github.com/inquirer-crawler/inquirer-crawler"
USER_AGENT = "inquirer-crawler/0.1 (+{contact})"
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "inquirer-crawler"
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- failures & retries --------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_FAIL_ON_DATALOSS = True
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False

# --- resource bounds -----------------------------------------------------------------------
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
URLLENGTH_LIMIT = 2083
DEPTH_LIMIT = 0
MEMUSAGE_LIMIT_MB = 1024
MEMUSAGE_WARNING_MB = 512
# Scrapy re-reads a callback's source (inspect + ast) on every response to warn about generators
# that return a value: its cache is keyed weakly on the bound method, which dies with each request.
# That cost ~0.8 ms a page here (BENCHMARKS.md); tests/test_settings.py runs the same check once.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Components this crawler keeps off (COOKIES_ENABLED, TELNETCONSOLE_ENABLED, REMOTE_CONTROL_ENABLED
# below) are left out of Scrapy's base lists too: Scrapy imports every component a list names, even
# one set to None, before it asks the component whether it is enabled, and these imports cost ~0.2 s
# of CPU at each crawl's start (aiohttp for the remote control; tldextract, requests, urllib3 for
# the cookies), which fleet mode pays for every site run (BENCHMARKS.md, "Fleet mode"). To turn one
# on, name it in DOWNLOADER_MIDDLEWARES or EXTENSIONS with its order, and set its setting.
_NEVER_LOADED = (
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.telnet.TelnetConsole",
)
DOWNLOADER_MIDDLEWARES_BASE = {k: v for k, v in _SCRAPY_DOWNLOADER_MIDDLEWARES.items() if k not in _NEVER_LOADED}
EXTENSIONS_BASE = {k: v for k, v in _SCRAPY_EXTENSIONS.items() if k not in _NEVER_LOADED}

# --- security ------------------------------------------------------------------------------
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DOWNLOAD_VERIFY_CERTIFICATES = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REFERRER_POLICY = "same-origin"
HTTPCACHE_ENABLED = False

# --- the pipeline, in data-flow order (gaps of 100 leave room for a step) -----------------
ITEM_PIPELINES = {
    # First: it recognises junk by class names that sanitising strips.
    "inquirer_crawler.pipelines.DropCrossPromoPipeline": 100,
    "inquirer_crawler.pipelines.CleanBodyPipeline": 200,
    "inquirer_crawler.pipelines.NormalizePipeline": 300,
    "inquirer_crawler.pipelines.ValidatePipeline": 400,
    # Last, so only records that pass validation are remembered as seen.
    "inquirer_crawler.pipelines.DedupePipeline": 500,
}

DOWNLOADER_MIDDLEWARES = {
    # Last before the download handler: robots.txt, retries and stats behave as in a live crawl,
    # and every request (robots.txt included) is answered from the mirror, never the network.
    "inquirer_crawler.response.replay.ReplayMiddleware": 950,
    # robots.txt that answers 5xx/429 stops the host (RFC 9309), in place of Scrapy's own.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "inquirer_crawler.middlewares.robots.StrictRobotsTxtMiddleware": 100,
    # After robots.txt: Crawl-delay and Retry-After holds per host.
    "inquirer_crawler.middlewares.pacing.HostPacing": 110,
    # No private, loopback or link-local address, but the start host: IP literals here, names in
    # the resolver (TWISTED_DNS_RESOLVER). After the retry middleware, so that a refusal is not retried.
    "inquirer_crawler.middlewares.address_guard.PublicAddressGuard": 560,
    # Scrapy's retry, plus Retry-After (capped by RETRY_AFTER_MAX seconds).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "inquirer_crawler.middlewares.retry_after.RetryAfterMiddleware": 550,
    # Above HttpCompressionMiddleware (590), so it sees the body as sent: a body shorter than its
    # Content-Length or a compressed stream that did not end is flagged truncated (response/integrity.py).
    "inquirer_crawler.response.integrity.TransportIntegrityMiddleware": 595,
    # Below it, so it reads the decoded body: WHATWG decoding and the cp1252 repair, for every
    # response (listings, articles, change sources alike; response/encoding.py).
    "inquirer_crawler.response.encoding.EncodingMiddleware": 580,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "inquirer_crawler.middlewares.user_agent.ContactUserAgentMiddleware": 500,
}
RETRY_AFTER_MAX = 120
INQUIRER_MAX_CRAWL_DELAY = 30
# Hosts allowed to resolve to private addresses besides the one named with -a start=.
INQUIRER_ALLOWED_PRIVATE_HOSTS: list[str] = []
# The private-address check at the resolution the connection uses (middlewares/address_guard.py).
TWISTED_DNS_RESOLVER = "inquirer_crawler.middlewares.address_guard.PublicOnlyResolver"

# --- feed export ----------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = EXPORT_FIELDS  # key order of every line, for -O/-o too
# A feed named with -O/-o FILE is always written, empty when nothing is new (Scrapy's default);
# only the crawl command's own per-run file (INQUIRER_OUTPUT) is skipped when empty.
FEED_STORE_EMPTY = True
# Without -o/-O, each run writes its own file (the crawl command adds it: Scrapy 2.19 would
# merge a FEEDS default here with -O's feed and write both).
INQUIRER_OUTPUT = "output/%(name)s/%(time)s.jsonl"
LOG_LEVEL = "INFO"
COMMANDS_MODULE = "inquirer_crawler.commands"

SPIDER_MIDDLEWARES = {
    # Outermost, a safety net: the spider parses each page itself (html.parse_page) and never builds
    # response.selector, but any component that does leaves a response <-> Selector cycle holding
    # the page's tree until a full garbage collection (225 MB instead of 94 MB on a 2,000-article
    # crawl when the spider still used response.selector, BENCHMARKS.md part 3). This breaks it.
    "inquirer_crawler.extensions.memory.ReleaseSelectors": 50,
}

EXTENSIONS = {
    "inquirer_crawler.extensions.memory.FreezeStartupObjects": 300,
    # Fleet mode only (a database configured): before RunState, see fleet/holds.py.
    "inquirer_crawler.fleet.holds.SiteHolds": 390,
    "inquirer_crawler.state.extension.RunState": 400,
    "inquirer_crawler.extensions.summary.CrawlSummary": 500,
}
# Cron state (state/), one per site and origin ({site}: state/scope.py). -s INQUIRER_STATE_PATH
# wins over the environment variable of that name, which wins over this (environment.py).
INQUIRER_STATE_PATH = ".state/{site}.sqlite"
# Set off by `scrapy parse`, `shell` and `check` (commands/): debugging leaves no trace.
INQUIRER_STATE_ENABLED = True
# Local files are written as <name>.part, fsync'd and renamed when complete (feeds/atomic.py).
FEED_STORAGES = {
    "": "inquirer_crawler.feeds.atomic.AtomicFileFeedStorage",
    "file": "inquirer_crawler.feeds.atomic.AtomicFileFeedStorage",
}
# Listing pages followed per listing (home, each section): a bound instead of DEPTH_LIMIT,
# which would cut a long previous/next chain.
INQUIRER_MAX_LISTING_PAGES = 1000
# Article links read from one listing page, at most (a hostile page can hold 100,000).
INQUIRER_MAX_OUTLINKS = 500
# A URL that fails for a reason worth a retry (timeout, 5xx, a body cut short) stays pending for
# the next run; after this many runs in a row it is failed for good (state/store.py fail_for_now).
INQUIRER_MAX_FAILED_RUNS = 3
# A per-run page budget: a runaway crawl ends cleanly (finish reason closespider_pagecount).
CLOSESPIDER_PAGECOUNT = 20000

# --- fleet mode (README "Fleet") ---------------------------------------------------------------
# The shared PostgreSQL; the INQUIRER_DATABASE_URL environment variable wins. Empty: SQLite state.
INQUIRER_DATABASE_URL = ""
# The worker's name in the runs table; Scrapyd's queue sets it from its node_name. Empty: host name.
INQUIRER_NODE = ""
# A robots.txt answering 5xx keeps the site out of the queue this long (seconds).
INQUIRER_FLEET_ROBOTS_HOLD = 3600
# %(site)s and %(job)s in INQUIRER_OUTPUT / FEEDS (feeds/uri_params.py), beside Scrapy's %(name)s, %(time)s.
FEED_URI_PARAMS = "inquirer_crawler.feeds.uri_params.uri_params"
