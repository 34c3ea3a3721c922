"""Settings: the only place that reads the environment (and the curator tokens file)."""

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

TOKEN_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MIN_TOKEN_LENGTH = 16
# RFC 6750's b64token, what `Authorization: Bearer` carries: a token with any other character
# (a space, a control character, anything beyond ASCII) could never be sent as it was set.
BEARER_CHARACTERS = re.compile(r"[A-Za-z0-9._~+/-]")


class Settings(BaseSettings):
    """Service settings, read from the environment (or a `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'borderstatus.db'}"
    seed_dir: Path = PROJECT_ROOT / "seed_data"
    # Alembic's scripts; an installed (non-editable) package is told where they were copied.
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    log_level: str = "info"
    # Cache-Control max-age (seconds) that clients and CDNs may reuse an answer for.
    cache_max_age: int = 5
    # Keep answers in memory until the data changes; off measures the uncached path.
    response_cache: bool = True
    # The answers' keys, headers and bodies count against it (app.cache).
    response_cache_bytes: int = 64 * 1024 * 1024
    # At most this many answers are kept; past either bound the oldest go first.
    response_cache_entries: int = Field(10_000, ge=0)
    # How often each worker reads the data version: a change shows everywhere within this.
    data_version_poll_seconds: float = 0.25
    # An answer whose newest supporting article is older than this many days, on the date it
    # answers for, is marked `stale`.
    stale_after_days: int = Field(180, ge=0)
    sqlite_busy_timeout_ms: int = 5000
    # How long a write waits for its turn behind the other writes of its process before it
    # answers 503 busy (it has changed nothing then).
    write_wait_seconds: float = 10.0
    # Python's thread switch interval while serving (its default is 0.005). A write runs in a
    # worker thread while the event loop serves reads; each time the write's thread gives up
    # the interpreter lock (every SQL statement), it waits up to this long to get it back, and
    # it holds the database's write lock all the while (docs/reliability.md, Load).
    switch_interval_seconds: float = Field(0.0005, gt=0)
    # Where `borderstatus serve` and `start` listen, and how many worker processes they run.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Addresses (comma-separated, or *) whose X-Forwarded-For and X-Forwarded-Proto uvicorn
    # believes: the reverse proxy's. Empty: none, the client is the peer of the connection.
    forwarded_allow_ips: str = ""
    # A connection must finish its request line and headers within this many seconds of
    # opening, or of its first byte after a keep-alive pause, or it is closed.
    header_timeout_seconds: float = Field(10.0, gt=0)
    # Connections and requests in flight a worker takes; past this, uvicorn answers 503.
    limit_concurrency: int = Field(1000, ge=1)
    # Connections the kernel queues for a worker before it accepts them.
    backlog: int = Field(2048, ge=1)
    # One structured line per request (app.access_log), written off the request path; off
    # leaves warnings and errors only. ACCESS_LOG_FORMAT: json (one object a line) or text.
    access_log: bool = True
    access_log_format: Literal["json", "text"] = "json"
    # `borderstatus start` brings the store in line with seed_data/ before serving.
    seed_on_start: bool = True
    # At least the number of worker threads, so every thread can hold a connection.
    db_pool_size: int = 40
    # Threads for blocking work (sync routes, database reads that are not quick ones). Unset:
    # 2 on SQLite, whose reads are CPU work under one interpreter lock, so more threads only
    # make each other and the writes wait (docs/reliability.md, Load); db_pool_size on
    # PostgreSQL, where a thread mostly waits on the network.
    worker_threads: int | None = Field(None, ge=1)
    # How long a request waits for a database connection to open, or for one from the pool,
    # before it answers 503 (libpq's connect timeout has a floor of 2 seconds).
    db_connect_timeout_seconds: int = 2
    db_pool_timeout_seconds: float = 2.0
    # PostgreSQL cancels a statement of the service's after this long (0: never).
    db_statement_timeout_ms: int = 5000
    # Request bodies above this are refused with a 413.
    max_body_bytes: int = 1024 * 1024
    # Origins whose pages may send writes (POST, PUT, PATCH, DELETE), comma-separated;
    # every origin may read.
    cors_write_origins: Annotated[list[str], NoDecode] = []
    # Interactive documentation at /docs and /redoc (the schema stays at /openapi.json).
    docs_enabled: bool = True

    @field_validator("cors_write_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    # Curators' bearer tokens as `name:token` pairs, comma-separated. Kept hashed in memory.
    curator_tokens: str = ""
    # A file of `name sha256-of-token` lines ('#' starts a comment), for tokens kept out of
    # the environment.
    curator_tokens_file: Path | None = None
    # Rates in the `limits` notation ("60/minute", "10 per hour"), per process.
    write_rate_limit: str = "60/minute"
    auth_failure_rate_limit: str = "10/minute"
    # A PATCH without If-Match is a 428: a curator sends the ETag of the record as read (or
    # `*`), so one can't overwrite another's change unseen. Off: If-Match may be left out.
    require_if_match: bool = True

    def curator_token_hashes(self) -> dict[str, str]:
        """Each curator's name and the sha256 (hex) of their token; empty: writes disabled.

        ValueError names the entry at fault: a malformed pair or line, a short token, or a
        name given twice.
        """
        hashes: dict[str, str] = {}

        def add(name: str, digest: str, where: str) -> None:
            if not TOKEN_NAME.match(name):
                raise ValueError(f"{where}: curator name {name!r} must be 1-64 of A-Z a-z 0-9 ._@-")
            if name in hashes:
                raise ValueError(f"{where}: curator {name!r} is given twice")
            hashes[name] = digest

        for n, pair in enumerate(p.strip() for p in self.curator_tokens.split(",")):
            if not pair:
                continue
            name, sep, token = pair.partition(":")
            where = f"CURATOR_TOKENS entry {n + 1}"
            if not sep or not token:
                raise ValueError(f"{where}: expected name:token")
            if len(token) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"{where}: the token is shorter than {MIN_TOKEN_LENGTH} characters"
                )
            _check_bearer(token, where)
            add(name.strip(), hashlib.sha256(token.encode()).hexdigest(), where)
        if self.curator_tokens_file is not None:
            lines = self.curator_tokens_file.read_text(encoding="utf-8").splitlines()
            for n, line in enumerate(lines, start=1):
                entry = line.split("#", 1)[0].split()
                if not entry:
                    continue
                where = f"{self.curator_tokens_file.name} line {n}"
                if len(entry) != 2 or not SHA256_HEX.match(entry[1].lower()):
                    raise ValueError(f"{where}: expected `name sha256-hex`")
                add(entry[0], entry[1].lower(), where)
        return hashes


def _check_bearer(token: str, where: str) -> None:
    """ValueError, naming `where` and the position (never the token itself), unless `token` is
    an RFC 6750 b64token: letters, digits and - . _ ~ + /, then any number of =."""
    body = token.rstrip("=")
    for position, character in enumerate(body, start=1):
        if not BEARER_CHARACTERS.fullmatch(character):
            raise ValueError(
                f"{where}: character {position} of the token can't be sent in a bearer token "
                "(RFC 6750 allows A-Z a-z 0-9 - . _ ~ + / and = at the end only)"
            )
    if not body:
        raise ValueError(f"{where}: the token is nothing but =")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
