"""A real PostgreSQL server for the tests, started from nothing and thrown away afterwards.

PostgreSQL refuses to run as root, and CI runs as root: the cluster lives in a temporary folder
owned by the ``postgres`` user and every server program runs as that user (``runuser``). As any
other user the programs run as that user. The server listens on a free loopback port and on a
Unix socket inside its folder, never elsewhere; fsync is off (a test cluster needs no durability
against power loss, and a kill -9 of a *client* is what the tests are about).

    with PostgresServer() as server:
        dsn = server.create_database("t1")     # postgresql://postgres@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

# Debian's layout; PG_BIN overrides it on other machines.
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_OPTIONS = (
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=32MB",
)


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL programs are missing or would not start; the message says which."""


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self, user: str = "postgres") -> None:
        if not (PG_BIN / "initdb").exists():
            raise PostgresUnavailable(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing; set PG_BIN)")
        self.user = user
        self.folder = Path(tempfile.mkdtemp(prefix="inquirer-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.host = "127.0.0.1"
        if os.geteuid() == 0:
            account = pwd.getpwnam(user)
            os.chown(self.folder, account.pw_uid, account.pw_gid)

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def _as_owner(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A server program, as the cluster's owner when we are root (PostgreSQL refuses root)."""
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False, cwd=self.folder
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(command[0]).name} failed: {(result.stderr or result.stdout)[-1500:]}")
        return result

    def start(self) -> None:
        self._as_owner(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = " ".join(
            ("-p", str(self.port), "-k", str(self.folder), "-c", f"listen_addresses={self.host}", *SERVER_OPTIONS)
        )
        self._as_owner(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new, empty database; its DSN."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.dsn_for(name)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
