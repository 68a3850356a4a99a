"""What the health sidecar asks of the running bot: its shards, its database, Redis and the LLM."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import bot as package

if TYPE_CHECKING:
    from bot.app import DMBot
    from bot.services import Services


class BotProbes:
    """Implements `bot.health.HealthChecks` on the live bot and its services."""

    def __init__(self, bot: DMBot, services: Services) -> None:
        self._bot = bot
        self._services = services
        self._started_at = time.time()

    @property
    def version(self) -> str:
        return package.__version__

    @property
    def started_at(self) -> float:
        return self._started_at

    def shard_latencies(self) -> dict[int, float | None]:
        return self._bot.shard_latencies()

    async def check_database(self) -> float:
        return await self._services.db.ping()

    async def check_redis(self) -> float | None:
        limiter = self._services.limiter
        return await limiter.ping() if limiter.uses_redis else None

    async def check_llm(self) -> float | None:
        narrator = self._services.campaign.turns.narrators.default
        return None if narrator.name == "offline" else await narrator.probe()  # offline needs no endpoint
