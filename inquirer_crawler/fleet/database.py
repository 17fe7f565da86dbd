"""Where the fleet's database is, and connecting to it with a clear error when it cannot be reached.

The DSN is ``INQUIRER_DATABASE_URL``: ``-s INQUIRER_DATABASE_URL=…``, else the environment
variable, else the setting; none, and the crawler keeps its SQLite state. A worker's Scrapyd passes
its environment to every job, so the DSN (and its password) is never on a command line.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

ENVIRONMENT = "INQUIRER_DATABASE_URL"
CONNECT_TIMEOUT = 10  # seconds: an unreachable database is exit 75 soon, not a hung cron job


class FleetUnavailable(RuntimeError):
    """The database cannot be reached (or psycopg is not installed); the message says which."""


def database_url(settings: Any = None) -> str | None:
    """The configured DSN, or None: no database, SQLite mode. ``-s`` over the environment over
    the settings file (environment.py)."""
    if settings is None:
        return os.environ.get(ENVIRONMENT) or None
    from inquirer_crawler.environment import setting

    return setting(settings, ENVIRONMENT) or None


def connect(dsn: str, **options: Any) -> Any:
    """A psycopg connection, or FleetUnavailable naming the host and what went wrong."""
    try:
        import psycopg
    except ImportError:
        raise FleetUnavailable('the fleet database needs psycopg: pip install -e ".[fleet]"') from None
    try:
        return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT, **options)
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FleetUnavailable(f"the fleet database cannot be reached: {first}") from None


def schema_sql() -> str:
    return resources.files("inquirer_crawler.fleet").joinpath("schema.sql").read_text("utf-8")


# One advisory lock key space for the project (the first of the two int4 keys); the second is
# the site's id (site lock) or 0 (the tick, the schema set-up).
LOCK_CLASS = 0x1A51
TICK_LOCK = 0


def set_up(db: Any) -> None:
    """Create the tables (idempotent). Serialised: concurrent CREATE ... IF NOT EXISTS can collide."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, TICK_LOCK))
        db.execute(schema_sql())
