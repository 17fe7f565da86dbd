"""inquirer-crawler: tagDiv "Newspaper" article pages -> clean JSONL records.

The data flow, one folder per stage (network guards and the cron state beside it):

    sites/        site knowledge as data: domains, sections, language, time zone, phrases
       │
    spiders/      the Scrapy spiders (newspaper, inquirer) and their arguments: they route
    discovery/    which URLs to request: URL cleaning and policy, change sources (sitemaps, REST, RSS)
       │
    response/     what came back: encoding repair, offline replay, failure -> reason
       │
    pages/        page code, from an HTML string, no engine: the DOM, article and listing fields, dates
       │
    items.py      the record (ArticleItem)
       │
    pipelines/    drop_cross_promo -> clean_body -> normalize -> validate -> dedupe
       │
    feeds/        feed export: atomic JSON Lines files (schema/article.schema.json)

    middlewares/  network guards: robots.txt, pacing, private addresses, Retry-After, User-Agent
    state/        cron state: the StateStore interface and its SQLite store (one per site and origin),
                  the one writer of URL outcomes, the ledger, the lock, the verdict (and the fleet's
                  PostgreSQL store)
    fleet/        many sites on several machines: the PostgreSQL schedule, the tick, the Scrapyd queue
    extensions/   memory hygiene and the crawl's summary line
    commands/     `scrapy crawl` with argument checks, the lock and an honest exit status; `scrapy fleet`
    settings.py   Scrapy settings; environment.py: the environment variables cron gives, below `-s`
"""
