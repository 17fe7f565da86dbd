"""Fleet mode: many sites, several machines, one PostgreSQL database (README "Fleet").

The unit of work is one site run, the same ``scrapy crawl`` as on one machine. Scrapyd runs them
on each worker; this package is what the workers share:

    database.py   where the database is (INQUIRER_DATABASE_URL) and how to reach it
    schema.sql    the tables: sites, the job queue, runs, and each site's crawl state
    sites.py      the sites and their schedule (add, from a file)
    schedule.py   the tick (queue what is due), backfill, pause
    status.py     per site: last run, exit status, counts, next due
    queue.py      the Scrapyd ``spiderqueue`` on the shared job table
    lock.py       one run per site: a PostgreSQL advisory lock
"""
