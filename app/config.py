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
    log_level: str = "info"
    cache_max_age: int = 60
    sqlite_busy_timeout_ms: int = 5000
    db_pool_size: int = 40


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
