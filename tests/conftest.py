"""Test fixtures: a real PostgreSQL started for the run, migrated once, emptied after each test.

Set TEST_DATABASE_URL to use an existing (disposable!) database instead of the embedded one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from arch_stats.app import create_app
from arch_stats.auth.tokens import COOKIE_NAME, PREFIX_LOGIN, token_hash
from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.core.embedded import start_embedded
from arch_stats.core.settings import Settings

# One argon2 hash computed once: archers made by fixtures skip the deliberately slow hashing.
PASSWORD = "correct horse battery"
_HASH: str | None = None

# Free space /dev/shm needs for the run's files (the suite's PostgreSQL's among them).
SHM_ROOM = 4 * 2**30

TABLES = (
    "archer, auth_token, auth_limit, arrow, session, target, target_face, shot, sensor_event, club"
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Each run gets a temporary directory of its own (in memory when there is room:
    `_in_memory`), unless --basetemp names one (xdist names one for each of its workers).

    Whenever a pytest run starts it makes /tmp/pytest-of-$USER private (0700) again, and the
    embedded PostgreSQL runs as another user: a run going on at the same time could then no
    longer start a server below it."""
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        path = tempfile.mkdtemp(prefix="arch-stats-tests-", dir=_in_memory())
        config.option.basetemp = os.path.join(path, "t")
        config.add_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))


# Tests that run for tens of seconds, started first, the longest first: with two workers
# (scripts/test), a long test that starts last keeps one of them busy alone at the end. Each
# is a test's node id without its parameters; a whole run fails when one names no test.
LONG = (
    "tests/web/test_accessibility.py::test_every_page_has_no_serious_or_critical_axe_finding",
    "tests/core/test_backup.py::test_backup_restored_into_a_new_data_dir_exports_byte_identical_csv",
    "tests/shots/test_multiprocess.py::test_two_processes_posting_for_the_same_archers_never_deadlock",
    "tests/core/test_connections.py::test_silent_connection_closed_well_before_25_s_by_default",
    "tests/core/test_embedded.py::test_sigterm_stops_serve_like_ctrl_c_ws_told_1001_postgres_stopped",
    "tests/core/test_embedded.py::test_after_kill_9_a_new_serve_adopts_postgres_and_its_ctrl_c_stops_it",
    "tests/core/test_backup.py::test_restore_into_an_external_database_and_refused_while_in_use",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The LONG tests first, in its order; the others keep theirs."""
    rank = {name: n for n, name in enumerate(LONG)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("[", 1)[0], len(LONG)))
    whole_run = not config.args or config.args == list(config.getini("testpaths"))
    if whole_run and not config.option.keyword and not config.option.markexpr:
        missing = set(LONG) - {item.nodeid.split("[", 1)[0] for item in items}
        if missing:
            raise pytest.UsageError(f"tests/conftest.py LONG names no test: {sorted(missing)}")


def _in_memory() -> str | None:
    """The shared-memory tmpfs (RAM) when it has room, else None (the system's temporary
    directory). The run's directory in it is made by `mkdtemp`: private, unpredictable.

    The suite's PostgreSQL keeps its data there: a commit still waits for its WAL to be
    flushed (fsync, synchronous_commit as in production), but a flush to memory costs
    microseconds where a disk shared with other test runs took milliseconds, and most tests
    commit many times."""
    shm = "/dev/shm"  # noqa: S108 (only the parent of mkdtemp's directory)
    if os.path.isdir(shm) and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= SHM_ROOM:
        return shm
    return None


def password_hash() -> str:
    global _HASH
    if _HASH is None:
        from pwdlib import PasswordHash

        _HASH = PasswordHash.recommended().hash(PASSWORD)
    return _HASH


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    # A short path keeps the server's unix socket path under the OS limit.
    base = Path(tmp_path_factory.mktemp("pg", numbered=True))
    server = start_embedded(base, cleanup="delete", database="arch_stats_test")
    yield server.dsn
    server.stop()


@pytest.fixture(scope="session")
async def migrated(pg_dsn: str) -> str:
    conn = await migrations.connect(pg_dsn)
    try:
        await migrations.up(conn)
    finally:
        await conn.close()
    return pg_dsn


@pytest.fixture
async def scratch(migrated: str) -> AsyncIterator[str]:
    """A fresh, empty database on the suite's server, dropped afterwards."""
    name = f"scratch_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(migrated)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = migrated.replace("/arch_stats_test?", f"/{name}?", 1)
    assert dsn != migrated
    try:
        yield dsn
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def settings(migrated: str) -> Settings:
    return Settings(
        database_url=migrated,
        pg_pool_min=1,
        pg_pool_max=5,
        login_max_attempts=5,
        login_address_max_attempts=8,
        login_account_max_attempts=12,
        # Long: a limit gives one attempt back every window / max (GCRA); a slow machine
        # must not see any come back in the middle of a test.
        login_window_seconds=3600,
        # Fewer than the default: the test of that limit hashes every registration it allows.
        register_max_attempts=10,
        import_max_bytes=3 * 1_048_576,
        assembler_enabled=False,
        # The host names of the test clients (httpx: test, schemathesis: testserver) and the usual.
        allowed_hosts=["test", "testserver", "localhost", "127.0.0.1", "::1"],
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, access_log=False)
    async with application.router.lifespan_context(application):
        yield application


async def _truncate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {TABLES} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def client(app: FastAPI, migrated: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await _truncate(migrated)


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[Connection]:
    conn = await migrations.connect(migrated)
    try:
        yield conn
    finally:
        await conn.close()
        await _truncate(migrated)


@dataclass(frozen=True)
class ArcherCtx:
    id: UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE_NAME}={self.token}"}


MakeArcher = Callable[..., Awaitable[ArcherCtx]]


async def new_archer(
    conn: Connection,
    name: str = "Test Archer",
    *,
    bowstyle: str = "recurve",
    gender: str = "male",
    age_group: str = "adult",
) -> ArcherCtx:
    """An archer (password PASSWORD) with a login token, in the database of `conn`."""
    email = f"archer-{secrets.token_hex(4)}@example.org"
    archer_id = await conn.fetchval(
        "INSERT INTO archer (email, password_hash, name, bowstyle, gender, age_group) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        email,
        password_hash(),
        name,
        bowstyle,
        gender,
        age_group,
    )
    token = PREFIX_LOGIN + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO auth_token (archer_id, token_hash, scope, expires_at) "
        "VALUES ($1, $2, 'login', now() + interval '1 day')",
        archer_id,
        token_hash(token),
    )
    return ArcherCtx(id=archer_id, email=email, token=token)


@pytest.fixture
async def make_archer(migrated: str) -> AsyncIterator[MakeArcher]:
    conn = await migrations.connect(migrated)

    async def make(
        name: str = "Test Archer",
        *,
        bowstyle: str = "recurve",
        gender: str = "male",
        age_group: str = "adult",
    ) -> ArcherCtx:
        return await new_archer(conn, name, bowstyle=bowstyle, gender=gender, age_group=age_group)

    try:
        yield make
    finally:
        await conn.close()


@pytest.fixture
async def archer(make_archer: MakeArcher, client: httpx.AsyncClient) -> ArcherCtx:
    """A logged-in archer; `client` is requested too so that the test is cleaned up."""
    return await make_archer("Alice")


@pytest.fixture
async def other(make_archer: MakeArcher, client: httpx.AsyncClient) -> ArcherCtx:
    """A second archer, to prove that one never sees the other's data."""
    return await make_archer("Bob")
