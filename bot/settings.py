"""The one settings object, read once at startup from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
EMBEDDED_DATABASE_URL = "sqlite+aiosqlite:///./data/dmbot.sqlite3"


class Settings(BaseSettings):
    """Every setting of the bot. `docs/CONFIGURATION.md` and `.env.example` describe each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Discord
    discord_token: SecretStr | None = None
    discord_api_base_url: str = DISCORD_API_BASE_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    discord_test_guild_id: int | None = None
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None

    # Storage
    database_url: str = EMBEDDED_DATABASE_URL
    database_pool_size: int = Field(default=10, ge=1)
    redis_url: str = ""
    redis_failure_mode: Literal["fallback", "refuse"] = "fallback"

    # Narrator (no key: the offline narrator)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=60.0, gt=0)
    openai_max_retries: int = Field(default=2, ge=0)

    # Limits: token buckets (capacity, refill per second) and command costs
    rate_user_capacity: int = Field(default=20, ge=1)
    rate_user_refill_per_second: float = Field(default=0.5, gt=0)
    rate_guild_capacity: int = Field(default=300, ge=1)
    rate_guild_refill_per_second: float = Field(default=5.0, gt=0)
    rate_command_costs: dict[str, int] = Field(default_factory=lambda: {"roll": 1, "narrate": 5})
    rate_redis_key_prefix: str = "dmbot:rl:"
    redis_socket_timeout_seconds: float = Field(default=0.25, gt=0)
    redis_retry_interval_seconds: float = Field(default=1.0, gt=0)

    # Operations
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8080, ge=0, le=65535)
    health_max_loop_lag_seconds: float = Field(default=1.0, gt=0)
    health_check_timeout_seconds: float = Field(default=1.0, gt=0)
    environment: Literal["development", "production"] = "development"

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        # "0,1,2" in the environment is friendlier than JSON
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not value.startswith("["):
                return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @model_validator(mode="after")
    def _check_sharding(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def offline_narrator(self) -> bool:
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()

    def ensure_data_dir(self) -> None:
        """Create the folder of an embedded SQLite file so the first run just works."""
        if self.is_sqlite and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
