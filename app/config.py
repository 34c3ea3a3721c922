"""Settings: the only place that reads the environment."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    response_cache_bytes: int = 64 * 1024 * 1024
    # How often each worker reads the data version: a change shows everywhere within this.
    data_version_poll_seconds: float = 0.25
    sqlite_busy_timeout_ms: int = 5000
    # Where `borderstatus serve` and `start` listen, and how many worker processes they run.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # `borderstatus start` brings the store in line with seed_data/ before serving.
    seed_on_start: bool = True
    db_pool_size: int = 40


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
