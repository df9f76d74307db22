"""One typed settings class, read once from the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
# Shot writes in flight at once for a whole server, shared by its processes.
WRITES_IN_FLIGHT = 2


class Settings(BaseSettings):
    """Every knob of the service. Environment names are the field names in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL is started in DATA_DIR.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded PostgreSQL keeps its data."
    )
    pg_bin_dir: Path | None = Field(
        default=None,
        description="Where `backup` and `restore` find pg_dump, pg_restore and psql. Unset: "
        "the embedded server's own, or for DATABASE_URL the first recent enough on PATH, "
        "in /usr/lib/postgresql/*/bin or in the wheel.",
    )
    pg_pool_min: int = Field(default=1, ge=0)
    pg_pool_max: int = Field(default=10, ge=1)
    pg_acquire_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for a pooled connection (or a new one); then 503.",
    )
    pg_statement_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Longest statement of a request (PostgreSQL's statement_timeout); then 503.",
    )
    api_max_concurrent_requests: int = Field(
        default=100, ge=1, description="Requests handled at once; more wait in line."
    )
    dev_mode: bool = Field(default=False, description="Development mode: verbose errors in logs.")
    log_level: LogLevel = "INFO"
    access_log: bool = Field(default=True, description="One JSON log line per HTTP request.")
    token_lifetime_hours: int = Field(default=24 * 30, ge=1)
    max_body_bytes: int = Field(
        default=65_536,
        ge=1024,
        description="Largest JSON body of a route that takes no batch (posts of shots and of "
        "sensor events take what their batch holds).",
    )
    import_max_bytes: int = Field(
        default=64 * 1_048_576,
        ge=1024,
        description="Largest CSV accepted by POST /import/shots.csv.",
    )
    import_body_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest time a CSV upload to POST /import/shots.csv may take to arrive "
        "(408 after it); the body is read and checked before any database connection is taken.",
    )
    import_max_sessions: int = Field(
        default=10_000, ge=1, description="Most distinct sessions in one imported file (else 422)."
    )
    import_max_targets: int = Field(
        default=20_000, ge=1, description="Most distinct targets in one imported file (else 422)."
    )
    import_max_arrows: int = Field(
        default=2_000,
        ge=1,
        description="Most distinct arrow identifiers in one imported file (else 422).",
    )
    exchange_statement_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="statement_timeout of an import's transaction and of an export's COPY "
        "(longer than the API's general one: these statements are large by design).",
    )
    exchange_max_running: int = Field(
        default=2,
        ge=1,
        description="Imports and exports using a database connection at once, per process; "
        "more wait their turn (503 with Retry-After after 30 s).",
    )
    export_max_bytes: int = Field(
        default=1024 * 1_048_576,
        ge=1_048_576,
        description="Largest CSV an export writes to its spool file; a larger one is stopped.",
    )
    export_send_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A download whose client reads nothing for this long is dropped.",
    )
    spool_dir: Path | None = Field(
        default=None,
        description="Directory of the temporary files of imports and exports (unset: the "
        "system's temporary directory). Point it at a disk if that is a RAM-backed tmpfs.",
    )
    session_max_shots: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Most shots one session may hold (posts, the assembler, CSV import).",
    )
    shot_writes_in_flight: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="Shot writes one process has in flight at once; posts arriving meanwhile "
        "are written together, one statement and one commit for many archers. Unset: 2 "
        "shared by the server's processes (WEB_CONCURRENCY), at least 1 each.",
    )
    web_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes serving this database together (`serve --workers` "
        "sets it for its processes).",
    )
    hot_path: bool = Field(
        default=True,
        description="Answer the busiest reads ahead of FastAPI's request path (same answers).",
    )
    headers_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A connection must send a request's headers within this (silent ones too).",
    )
    body_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time allowed for a request body, plus its length at…"
    )
    body_min_rate: int = Field(
        default=65_536, ge=1, description="…this many bytes per second; then 408 and closed."
    )
    keep_alive_timeout_seconds: float = Field(
        default=5.0, gt=0, description="An idle keep-alive connection is closed after this."
    )
    max_connections: int = Field(
        default=0,
        ge=0,
        description="Open connections per process; 0: derived from the open-file limit.",
    )
    max_connections_per_address: int = Field(
        default=0,
        ge=0,
        description="Open connections per process from one client address (IPv4, or IPv6 "
        "/64); 0: a quarter of MAX_CONNECTIONS.",
    )
    board_viewers_per_link: int = Field(
        default=1000,
        ge=1,
        description="Viewers of one public board link at once, per process (more: 4429).",
    )
    board_viewers_per_address: int = Field(
        default=50,
        ge=1,
        description="Public board link viewers at once from one client address, per process "
        "(more: 4429).",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the service answers to (comma-separated; `*`: any). "
        "Empty: HOST, localhost and IP addresses.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins besides the request's own whose cookie-authenticated writes are "
        "accepted (comma-separated, e.g. https://archery.example.org).",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    cookie_secure: bool = Field(
        default=False, description="Mark the login cookie Secure (set when served over HTTPS)."
    )
    login_max_attempts: int = Field(
        default=10,
        ge=1,
        description="Failed logins allowed per account from one client address, per window.",
    )
    login_address_max_attempts: int = Field(
        default=50, ge=1, description="Failed logins allowed per client address (any accounts)."
    )
    login_account_max_attempts: int = Field(
        default=100,
        ge=1,
        description="Failed logins allowed per account from addresses it never signed in from.",
    )
    login_window_seconds: int = Field(default=300, ge=1)
    register_max_attempts: int = Field(
        default=30,
        ge=1,
        description="Registrations allowed per client address, per window (registrations "
        "with a working club invite code do not count).",
    )
    register_window_seconds: int = Field(default=3600, ge=1)
    password_hash_concurrency: int = Field(
        default=2, ge=1, le=64, description="Password hashes computed at once per process."
    )
    password_hash_queue: int = Field(
        default=32,
        ge=0,
        description="Password checks allowed to wait for a hashing slot; more answer 429.",
    )
    token_use_flush_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often a token's last use is written (at most once per token).",
    )
    assembler_enabled: bool = Field(
        default=True,
        description="Run the shot assembler inside `serve` (one process of all assembles).",
    )
    assembler_tick_ms: int = Field(
        default=200, ge=10, le=60_000, description="Longest wait between two assembler passes."
    )
    assembler_identify_ms: int = Field(
        default=1000,
        ge=0,
        le=60_000,
        description="How long before an engage an arrow identification still counts.",
    )
    assembler_engage_timeout_s: int = Field(
        default=60, ge=1, description="An engage not released within this is set aside."
    )
    assembler_late_ms: int = Field(
        default=250,
        ge=0,
        le=60_000,
        description="Grace for readers' commits before the database clock decides a miss.",
    )
    assembler_lock_retry_ms: int = Field(
        default=1000, ge=10, description="How often a standby assembler tries to take over."
    )
    assembler_batch: int = Field(
        default=20_000, ge=100, description="Most pending sensor events read in one pass."
    )
    public_url: str | None = Field(
        default=None,
        description="The address archers open the app at (e.g. https://archery.example.org), "
        "for the links it hands out (password reset). Unset: the address of the request, or "
        "for the CLI http://HOST:PORT.",
    )
    password_reset_hours: int = Field(
        default=24, ge=1, le=24 * 14, description="How long a one-time password reset link works."
    )
    ws_heartbeat_seconds: float = Field(
        default=30.0, gt=0, description="Seconds between WebSocket heartbeat frames."
    )

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_URL must start with http:// or https://")
        return value

    @property
    def writes_in_flight(self) -> int:
        """Shot writes in flight per process: SHOT_WRITES_IN_FLIGHT, else 2 for the whole
        server (more at once would only make each joint write smaller: more statements and
        commits per post for the same work), at least 1 per process."""
        if self.shot_writes_in_flight is not None:
            return self.shot_writes_in_flight
        return max(1, WRITES_IN_FLIGHT // self.web_concurrency)

    @model_validator(mode="after")
    def _pool_bounds(self) -> Settings:
        if self.pg_pool_min > self.pg_pool_max:
            raise ValueError("PG_POOL_MIN must not exceed PG_POOL_MAX")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
