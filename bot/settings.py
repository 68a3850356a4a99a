"""The one settings object, read once at startup from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
EMBEDDED_DATABASE_URL = "sqlite+aiosqlite:///./data/dmbot.sqlite3"
PLACEHOLDERS = {"changeme", "change-me", "your-token-here", "your_token_here", "token", "xxx", "secret", "..."}


class Settings(BaseSettings):
    """Every setting of the bot. `docs/CONFIGURATION.md` and `.env.example` describe each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # Discord
    discord_token: SecretStr | None = Field(
        default=None,
        description="Bot token (Developer Portal → your app → Bot → Reset Token); `dmbot run` and `dmbot sync` need it",
    )
    discord_api_base_url: str = Field(
        default=DISCORD_API_BASE_URL,
        description="Discord REST base URL; point it at a proxy or at the local Discord in bot/sandbox",
    )
    discord_gateway_url: str = Field(
        default=DISCORD_GATEWAY_URL, description="Discord gateway websocket URL; a proxy or the local Discord"
    )
    shard_count: int | None = Field(
        default=None, ge=1, description="Total shards over all bot processes; empty: one shard"
    )
    shard_ids: list[int] | None = Field(
        default=None, description="Shards this process runs, e.g. 0,1 (needs SHARD_COUNT); empty: all of them"
    )

    # Storage
    database_url: str = Field(
        default=EMBEDDED_DATABASE_URL,
        description="SQLAlchemy async URL: postgresql+asyncpg://user:password@host/db, or the embedded SQLite file",
    )
    database_pool_size: int = Field(
        default=15, ge=1, description="Database connections kept open per bot process (up to twice as many under load)"
    )
    database_max_connections: int | None = Field(
        default=None,
        ge=2,
        description="Postgres connections all bot processes may hold together; each process takes its shards' "
        "share (SHARD_IDS of SHARD_COUNT) instead of DATABASE_POOL_SIZE; empty: DATABASE_POOL_SIZE each",
    )
    redis_url: str = Field(
        default="",
        description="Redis for shared rate limits, e.g. redis://:password@host:6379/0; empty: limits in this process",
    )
    redis_failure_mode: Literal["fallback", "refuse"] = Field(
        default="fallback",
        description="When Redis can't be reached: fallback (in-process buckets) or refuse (commands wait)",
    )

    # Narrator (no key: the offline narrator)
    narrator: Literal["auto", "openai", "local", "offline"] = Field(
        default="auto",
        description="Who tells the story: auto (the OpenAI-compatible API when OPENAI_API_KEY is set, else offline), "
        "openai, local (a GGUF model the bot runs itself: LOCAL_MODEL_PATH, needs pip install 'dmbot[local]') "
        "or offline (rule-based)",
    )
    local_model_path: Path | None = Field(
        default=None, description="The GGUF model file for NARRATOR=local (scripts/fetch-model assembles one)"
    )
    local_model_context_tokens: int = Field(
        default=8192, ge=1024, description="Context window the local model is run with (NARRATOR=local)"
    )
    local_model_threads: int | None = Field(
        default=None, ge=1, description="CPU threads for the local model; empty: llama.cpp's own choice"
    )
    local_model_timeout_seconds: float = Field(
        default=300.0, gt=0, description="Seconds one call to the local model may take (CPUs are slow readers)"
    )
    openai_api_key: SecretStr | None = Field(
        default=None, description="Key of an OpenAI-compatible API; empty: the offline narrator tells the story"
    )
    openai_base_url: str | None = Field(
        default=None, description="URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp); empty: OpenAI itself"
    )
    openai_model: str = Field(default="gpt-4o-mini", description="The model the narrator asks for")
    openai_timeout_seconds: float = Field(
        default=300.0, gt=0, description="Seconds one call to the LLM API may take in all, first token included"
    )
    openai_max_retries: int = Field(
        default=2,
        ge=0,
        description="Retries of a failed LLM request (keep it low for local servers with slow cold starts)",
    )
    narrator_max_tokens: int = Field(default=800, ge=1, description="Most tokens one narration may produce")
    narrator_decision_mode: Literal["auto", "json_schema", "tools", "text"] = Field(
        default="auto",
        description="How a turn asks the model for its mechanics before the prose: json_schema (response_format, "
        "a grammar on llama.cpp), tools (native tool calls in one loop), text (JSON read from the text); auto: "
        "json_schema, then text if the server refuses or ignores it",
    )
    narrator_first_token_seconds: float = Field(
        default=240.0,
        gt=0,
        description="Seconds to wait for a model's first token (a CPU reads a long prompt silently for a while)",
    )
    openai_context_tokens: int | None = Field(
        default=None,
        ge=1024,
        description="The model's context window in tokens; empty: read from the server (llama.cpp /props, "
        "Ollama /api/show, vLLM /v1/models) when it says",
    )
    narrator_breaker_failures: int = Field(
        default=3, ge=1, description="LLM failures in a row before the narrator falls back to offline for a while"
    )
    narrator_breaker_reset_seconds: float = Field(
        default=30.0, ge=0, description="Seconds before the LLM is tried again after that fallback"
    )
    # USD per 1M (prompt, completion) tokens, merged over the defaults in bot/narrator/cost.py
    narrator_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description='USD per 1M (prompt, completion) tokens by model, JSON, e.g. {"my-model": [0.1, 0.4]}',
    )
    narrator_models: list[str] = Field(
        default_factory=list,
        description='Models a DM may pick with /dm settings besides OPENAI_MODEL, JSON, e.g. ["gpt-4o"]',
    )

    # Campaigns and turns
    prompt_token_budget: int = Field(
        default=6000,
        ge=1500,
        description="Tokens one turn's prompt may use (tool schemas included); the oldest memory is left out first",
    )
    summary_refresh_events: int = Field(
        default=20, ge=1, description="Events between two refreshes of a campaign's rolling summary"
    )
    max_tool_rounds: int = Field(
        default=3, ge=0, le=10, description="Rounds of tool calls the narrator may make in one turn"
    )
    turn_max_damage: int = Field(
        default=30, ge=0, description="Default bound: hit points of damage the narrator may deal in one turn"
    )
    turn_max_heal: int = Field(
        default=30, ge=0, description="Default bound: hit points the narrator may heal in one turn"
    )
    turn_max_xp: int = Field(
        default=1000, ge=0, description="Default bound: XP the narrator may award one character in one turn"
    )
    turn_max_items: int = Field(
        default=5, ge=0, description="Default bound: items the narrator may give or take in one turn"
    )
    approval_bound: int = Field(
        default=10,
        ge=0,
        description="Default for new campaigns: damage or items taken above this wait for the DM (gains always wait)",
    )
    turn_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        description="Most time one whole turn (decision, rolls, narration) may take before the offline narrator "
        "takes over",
    )
    turn_queue_limit: int = Field(
        default=5,
        ge=0,
        description="Turns of one campaign that may wait behind the one being resolved; more are refused with a reply",
    )
    turn_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a turn waits for another bot process's turn in the same campaign before it is refused",
    )
    lease_ttl_seconds: float = Field(
        default=30.0,
        gt=1,
        description="Life of a turn or export lease unless renewed: how long a crashed process blocks its campaign",
    )
    export_max_mb: int = Field(
        default=50,
        ge=1,
        description="Largest `/campaign export` in MiB (both files; sent 10 MiB a message); larger is refused",
    )
    max_npcs_per_campaign: int = Field(
        default=200, ge=1, description="NPCs one campaign keeps (the DM's and the narrator's together)"
    )
    max_canon_facts: int = Field(default=50, ge=1, description="Canon facts one campaign pins")
    max_characters_per_user: int = Field(default=20, ge=1, description="Characters one player keeps on one server")
    max_campaigns_per_guild: int = Field(default=50, ge=1, description="Campaigns one server runs at once (not ended)")
    max_pending_changes: int = Field(
        default=25, ge=1, description="Narrator changes one campaign keeps waiting for the DM's approval"
    )
    daily_token_budget: int = Field(
        default=200_000,
        ge=0,
        description="LLM tokens a server may use per day (UTC) unless its admins set another; 0: offline only",
    )
    narration_edit_interval_seconds: float = Field(
        default=1.25,
        gt=0,
        description="Least time between two edits of a streaming narration (Discord rate-limits message edits)",
    )

    # Limits: token buckets (capacity, refill per second) and command costs
    rate_user_capacity: int = Field(
        default=20, ge=1, description="Per-user bucket: command cost a user may spend in a burst"
    )
    rate_user_refill_per_second: float = Field(
        default=0.5, gt=0, description="Per-user bucket: cost units given back each second"
    )
    rate_guild_capacity: int = Field(
        default=300, ge=1, description="Per-server bucket: command cost a whole server may spend in a burst"
    )
    rate_guild_refill_per_second: float = Field(
        default=5.0, gt=0, description="Per-server bucket: cost units given back each second"
    )
    rate_command_costs: dict[str, int] = Field(
        default_factory=lambda: {"roll": 1, "narrate": 5},
        description="Cost of each command as JSON; commands not listed cost 1",
    )
    rate_redis_key_prefix: str = Field(
        default="dmbot:rl:", description="Prefix of the rate-limit keys in Redis (one per deployment sharing a Redis)"
    )
    redis_socket_timeout_seconds: float = Field(
        default=0.25, gt=0, description="Timeout of one rate-limit call to Redis; past it Redis counts as down"
    )
    redis_retry_interval_seconds: float = Field(
        default=1.0, gt=0, description="Seconds between reconnect attempts while Redis is down"
    )

    # Operations
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL")
    log_format: Literal["json", "console"] = Field(
        default="console", description="console (readable) or json (one object per line, for log collectors)"
    )
    health_host: str = Field(
        default="127.0.0.1", description="Address the health sidecar listens on; 0.0.0.0 inside a container"
    )
    health_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of /live, /ready, /health and /metrics (0: any free port)"
    )
    health_max_loop_lag_seconds: float = Field(
        default=1.0, gt=0, description="/live answers 503 when the event loop lags longer than this"
    )
    health_check_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Time /ready and /health give each database and Redis probe"
    )
    health_llm_cache_seconds: float = Field(
        default=30.0, ge=0, description="How long /health reuses its last LLM probe (GET /models); 0: every request"
    )
    environment: Literal["development", "production"] = Field(
        default="development", description="development or production (production refuses placeholder secrets)"
    )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        # "0,1,2" in the environment is friendlier than JSON
        if isinstance(value, int):  # SHARD_IDS=0 arrives decoded as JSON, i.e. the number 0
            return [value]
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
    def _refuse_placeholders(self) -> Settings:
        """Outside development, a secret copied unedited from .env.example is a mistake, not a value."""
        if self.environment != "production":
            return self
        for name in ("discord_token", "openai_api_key"):
            secret = getattr(self, name)
            if secret is not None and secret.get_secret_value().strip().lower() in PLACEHOLDERS:
                raise ValueError(f"{name.upper()} is still a placeholder; set the real value or leave it empty")
        return self

    @model_validator(mode="after")
    def _check_narrator(self) -> Settings:
        if self.narrator == "local" and self.local_model_path is None:
            raise ValueError("NARRATOR=local needs LOCAL_MODEL_PATH, a GGUF file (scripts/fetch-model makes one)")
        if self.narrator == "openai" and (self.openai_api_key is None or not self.openai_api_key.get_secret_value()):
            raise ValueError("NARRATOR=openai needs OPENAI_API_KEY (any non-empty value for a server that ignores it)")
        return self

    @model_validator(mode="after")
    def _check_sharding(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        budget = self.database_max_connections
        if budget is not None and budget < 2 * self.process_count:
            raise ValueError(
                f"DATABASE_MAX_CONNECTIONS={budget} leaves fewer than 2 connections for each of the "
                f"{self.process_count} bot processes (SHARD_COUNT / the SHARD_IDS of one)"
            )
        return self

    @property
    def process_count(self) -> int:
        """How many bot processes share the shards, when each runs as many as this one."""
        if self.shard_count is None or self.shard_ids is None:
            return 1
        return -(-self.shard_count // max(1, len(self.shard_ids)))

    @property
    def pool_limits(self) -> tuple[int, int]:
        """(connections kept open, extra ones under load) for this process's pool.

        With DATABASE_MAX_CONNECTIONS the processes split it by shards, so N shards never ask
        Postgres for more than the budget, however the shards are spread over processes.
        """
        if self.database_max_connections is None:
            return self.database_pool_size, self.database_pool_size
        shards_here = len(self.shard_ids) if self.shard_ids is not None else (self.shard_count or 1)
        share = self.database_max_connections * shards_here // (self.shard_count or 1)
        return share // 2, share - share // 2

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def offline_narrator(self) -> bool:
        if self.narrator != "auto":
            return self.narrator == "offline"
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()

    def ensure_data_dir(self) -> None:
        """Create the folder of an embedded SQLite file so the first run just works."""
        if self.is_sqlite and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
