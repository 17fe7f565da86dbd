-- The fleet's shared state (README "Fleet"). Every statement is idempotent: `scrapy fleet setup`
-- runs this whole file again on an existing database without changing what is there.

CREATE TABLE IF NOT EXISTS fleet_sites (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,              -- the state's name for the site: its host, no www., no port
    spider      text NOT NULL,
    start_url   text NOT NULL UNIQUE,
    interval_s  integer NOT NULL CHECK (interval_s > 0),
    site_group  text,                              -- sites of one group never run at the same time
    paused      boolean NOT NULL DEFAULT false,
    next_due    timestamptz NOT NULL DEFAULT now(),
    hold_until  timestamptz,                       -- a Retry-After beyond the cap, a robots.txt 5xx
    hold_reason text,
    added       timestamptz NOT NULL DEFAULT now()
);

-- Scrapyd's queue of pending jobs, shared by every node (fleet/queue.py). A popped job stays here,
-- claimed, until its crawl has taken the site's lock and begun its run: a node that dies in between
-- leaves a claim the tick gives back to the queue.
CREATE TABLE IF NOT EXISTS fleet_jobs (
    job         text PRIMARY KEY,                  -- Scrapyd's job id, passed to the crawl as -a _job=
    project     text NOT NULL,
    site_id     bigint UNIQUE REFERENCES fleet_sites (id) ON DELETE CASCADE,  -- a site is never queued twice
    priority    double precision NOT NULL DEFAULT 0,
    message     jsonb NOT NULL,                    -- what ISpiderQueue.pop returns: name, _job, spider arguments
    queued      timestamptz NOT NULL DEFAULT clock_timestamp(),
    claimed_by  text,
    claimed_at  timestamptz
);
CREATE INDEX IF NOT EXISTS fleet_jobs_waiting ON fleet_jobs (project, priority DESC, queued) WHERE claimed_by IS NULL;

-- Every run of a site, on any node: what Scrapyd does not keep.
CREATE TABLE IF NOT EXISTS fleet_runs (
    id           bigserial PRIMARY KEY,
    site_id      bigint NOT NULL REFERENCES fleet_sites (id) ON DELETE CASCADE,
    job          text,                             -- Scrapyd job id (none when started by hand)
    node         text NOT NULL,
    pid          integer NOT NULL,
    mode         text,                             -- RunInfo.mode: complete, urls, since+sections, …
    queued       timestamptz,                      -- when the tick queued its job: queued -> started is the wait
    claimed      timestamptz,                      -- when a node's Scrapyd took the job: claimed -> started is its start-up
    started      timestamptz NOT NULL DEFAULT now(),
    ended        timestamptz,
    exit_status  integer,
    reason       text,
    counts       jsonb,                            -- exported, new, changed, unchanged, failed, pending, …
    output_part  text,                             -- set once the output is fsync'd and about to be renamed
    output_final text,
    published    boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS fleet_runs_site ON fleet_runs (site_id, id DESC);
ALTER TABLE fleet_runs ADD COLUMN IF NOT EXISTS claimed timestamptz;  -- a database set up before it

-- The crawl state of every site (state/postgres.py): the same tables as the SQLite store, keyed by site.
CREATE TABLE IF NOT EXISTS fleet_articles (
    site_id       bigint NOT NULL REFERENCES fleet_sites (id) ON DELETE CASCADE,
    key           text NOT NULL,
    url           text NOT NULL,
    post_id       bigint,
    published     text,
    modified      text,
    content_hash  text,
    lastmod       text,
    first_seen    timestamptz NOT NULL,
    last_exported timestamptz,
    PRIMARY KEY (site_id, key)
);
CREATE TABLE IF NOT EXISTS fleet_urls (
    site_id bigint NOT NULL REFERENCES fleet_sites (id) ON DELETE CASCADE,
    key     text NOT NULL,
    url     text NOT NULL,
    state   text NOT NULL CHECK (state IN ('pending', 'staged', 'exported', 'failed', 'skipped')),
    reason  text,
    run_id  bigint,
    record  jsonb,
    updated timestamptz NOT NULL,
    failures integer NOT NULL DEFAULT 0,           -- runs in a row that failed it for a reason that may heal
    PRIMARY KEY (site_id, key)
);
CREATE INDEX IF NOT EXISTS fleet_urls_open ON fleet_urls (site_id, state) WHERE state IN ('pending', 'staged');
CREATE TABLE IF NOT EXISTS fleet_run_urls (
    run_id bigint NOT NULL REFERENCES fleet_runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    state  text NOT NULL,
    reason text,
    PRIMARY KEY (run_id, key)
);
-- The baseline (state/store.py): what the last complete, successful run saw of the site's own dates.
CREATE TABLE IF NOT EXISTS fleet_sitemaps (
    site_id bigint NOT NULL REFERENCES fleet_sites (id) ON DELETE CASCADE,
    url     text NOT NULL,
    lastmod text NOT NULL,
    run_id  bigint NOT NULL,
    PRIMARY KEY (site_id, url)
);
CREATE TABLE IF NOT EXISTS fleet_facts (
    site_id bigint NOT NULL REFERENCES fleet_sites (id) ON DELETE CASCADE,
    name    text NOT NULL,
    value   text NOT NULL,
    run_id  bigint NOT NULL,
    PRIMARY KEY (site_id, name)
);
