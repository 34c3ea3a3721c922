"""Settings: the only place that reads the environment."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Service settings, read from the environment (or a `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'borderstatus.db'}"
    seed_dir: Path = PROJECT_ROOT / "seed_data"
    log_level: str = "info"
    # Cache-Control max-age (seconds) that clients and CDNs may reuse an answer for.
    cache_max_age: int = 5
    # Keep answers in memory until the data changes; off measures the uncached path.
    response_cache: bool = True
    response_cache_bytes: int = 64 * 1024 * 1024
    # How often each worker reads the data version: a change shows everywhere within this.
    data_version_poll_seconds: float = 0.25
    sqlite_busy_timeout_ms: int = 5000
    db_pool_size: int = 40
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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
