"""A throwaway PostgreSQL cluster for the tests and the benchmark, on 127.0.0.1 only.

Debian's server binaries (`make postgres` installs them): `initdb` into a fresh temporary
folder, `pg_ctl start` on a free port with the socket in that folder, stopped and removed at
the end. PostgreSQL refuses to run as root; as root (this machine and CI) the cluster belongs to
the `postgres` user that Debian's package creates, and its commands run through `runuser`.
Connections authenticate with a password (SCRAM), made up per cluster, as in production.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

from bfa_assets_tests.processes import free_port

BINARIES = Path("/usr/lib/postgresql")  # Debian's layout: <major version>/bin/
SERVER_USER = "postgres"  # created by Debian's package; runs the cluster when we are root
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Postgres:
    """A running cluster: where it listens and the superuser that the tests connect as."""

    port: int
    password: str
    user: str = "bfa"
    host: str = HOST

    def create_database(self, name: str) -> dict[str, str]:
        """A new, empty database; the environment that deploy/dagster.yaml reads it from."""
        connection = psycopg2.connect(**self._login("postgres"))
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        return self.env(name)

    def env(self, database: str) -> dict[str, str]:
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": database,
        }

    def query(self, database: str, statement: str) -> list[tuple]:
        """The rows of one read-only statement."""
        with psycopg2.connect(**self._login(database)) as connection, connection.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall()

    def _login(self, database: str) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "user": self.user,
                "password": self.password, "dbname": database}  # fmt: skip


def server_cpu_seconds(env: dict[str, str]) -> float:
    """CPU time that the server of the DAGSTER_PG_* variables has used so far: the
    postmaster's, its running processes' (connections, WAL writer, checkpointer…) and its
    exited ones', from /proc."""
    login = {"host": env["DAGSTER_PG_HOST"], "port": env["DAGSTER_PG_PORT"],
             "user": env["DAGSTER_PG_USER"], "password": env["DAGSTER_PG_PASSWORD"],
             "dbname": env["DAGSTER_PG_DB"]}  # fmt: skip
    with psycopg2.connect(**login) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    postmaster = int(_stat(backend)[1])  # every server process is a child of the postmaster
    ticks = sum(int(f) for f in _stat(postmaster)[11:15])  # utime, stime, reaped children's
    for entry in Path("/proc").iterdir():
        if (
            entry.name.isdigit()
            and (fields := _stat(int(entry.name)))
            and (int(fields[1]) == postmaster)
        ):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name: state, ppid, … (`man 5 proc`); empty
    for a process that has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def server_binaries() -> Path:
    """The folder of the newest installed major version's `initdb` and `pg_ctl`."""
    found = sorted(BINARIES.glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not found:
        raise RuntimeError(
            f"PostgreSQL's server binaries are missing ({BINARIES}/*/bin/initdb): run "
            "`make postgres` (Debian's postgresql package)"
        )
    return found[-1].parent


@contextmanager
def postgres_cluster() -> Iterator[Postgres]:
    """Start a cluster in a temporary folder; stop it and remove the folder afterwards."""
    bindir = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="bfa-postgres-"))
    try:
        owner = _give_to_server_user(folder)
        password = secrets.token_urlsafe(24)
        _initdb(bindir, folder, password, owner)
        port = free_port()
        options = f"-c listen_addresses={HOST} -p {port} -c unix_socket_directories={folder}"
        _run(owner, bindir / "pg_ctl", "start", "-D", folder / "data", "-l", folder / "log",
             "-w", "-t", "60", "-o", options, log=folder / "log")  # fmt: skip
        try:
            yield Postgres(port, password)
        finally:
            _run(owner, bindir / "pg_ctl", "stop", "-D", folder / "data", "-m", "fast", "-w")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _give_to_server_user(folder: Path) -> str | None:
    """As root, hand `folder` to the server user (the user to run as); else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root, but there is no {SERVER_USER!r} user to run PostgreSQL as "
            "(Debian's postgresql package creates it: `make postgres`)"
        ) from None
    os.chown(folder, user.pw_uid, user.pw_gid)
    return SERVER_USER


def _initdb(bindir: Path, folder: Path, password: str, owner: str | None) -> None:
    """A new cluster whose superuser logs in with `password` (given in a file, never argv)."""
    secret = folder / "password"
    secret.write_text(password)
    secret.chmod(0o600)
    if owner is not None:
        shutil.chown(secret, owner)
    try:
        _run(owner, bindir / "initdb", "-D", folder / "data", "-U", "bfa", f"--pwfile={secret}",
             "--auth=scram-sha-256", "--no-locale", "--encoding=UTF8", "--no-sync")  # fmt: skip
    finally:
        secret.unlink()


def _run(owner: str | None, *command: object, log: Path | None = None) -> None:
    """Run a PostgreSQL command as `owner` (through runuser) or as ourselves; raise with its
    output (and the server's log) if it fails."""
    args = [str(a) for a in command]
    if owner is not None:
        args = ["runuser", "-u", owner, "--", *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}"
        )
