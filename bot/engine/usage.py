"""What the narrator costs: every model call recorded per guild and campaign, and a daily token budget.

The budget is checked before each call (`allowance`); past it the turn engine lets the offline
narrator answer and says why. Days and months are UTC, from an injectable clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.errors import InvalidInput
from bot.narrator import PriceTable, Usage
from persistence.db import Database
from persistence.models import LlmUsage
from persistence.repositories import (
    CampaignRepository,
    GuildRepository,
    Reads,
    UsageRepository,
    UsageTotals,
    find_guild,
)

BUDGET_KEY = "daily_token_budget"
MAX_BUDGET = 1_000_000_000


class UsageMetrics(Protocol):
    def add_llm_usage(
        self, model: str, prompt_tokens: int, completion_tokens: int, cost: float, seconds: float
    ) -> None: ...


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    used: int
    budget: int

    @property
    def reason(self) -> str:
        if self.budget == 0:
            return "this server's admins set the narrator's daily token budget to 0"
        return f"this server's daily token budget is spent ({self.used:,} of {self.budget:,} tokens today, UTC)"


@dataclass(frozen=True)
class CampaignSpend:
    name: str
    tokens: int
    cost_usd: float


@dataclass(frozen=True)
class UsageReport:
    day: UsageTotals
    month: UsageTotals
    budget: int
    campaigns: tuple[CampaignSpend, ...]  # this month, biggest first

    @property
    def left_today(self) -> int:
        return max(0, self.budget - self.day.tokens)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UsageService:
    def __init__(
        self,
        db: Database,
        *,
        prices: PriceTable,
        default_budget: int,
        metrics: UsageMetrics | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.reads = Reads(db)
        self.prices = prices
        self.default_budget = default_budget
        self.metrics = metrics
        self.clock = clock

    def _day(self) -> datetime:
        return self.clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def _month(self) -> datetime:
        return self._day().replace(day=1)

    async def budget(self, guild_id: int) -> int:
        """The guild's budget today: its admins' choice, never above the host's (DAILY_TOKEN_BUDGET), which
        pays for the tokens; a value stored before the host lowered theirs counts as the host's."""
        async with self.reads.session() as session:
            guild = await find_guild(session, guild_id)
        value = (guild.settings or {}).get(BUDGET_KEY) if guild is not None else None
        return min(int(value), self.default_budget) if value is not None else self.default_budget

    def check_budget(self, tokens: int) -> None:
        """A server's admins may lower the host's daily budget for their server, not raise it."""
        if not 0 <= tokens <= min(MAX_BUDGET, self.default_budget):
            raise InvalidInput(
                f"A daily token budget runs from 0 (offline narrator only) to {self.default_budget:,}, the most "
                "this bot's host allows a server (DAILY_TOKEN_BUDGET); ask the host for more."
            )

    async def set_budget(self, guild_id: int, tokens: int) -> int:
        """For the guild's admins (the cog checks who asks): tokens a day; 0 keeps the narrator offline."""
        self.check_budget(tokens)
        async with self.db.transaction() as session:
            guild = await GuildRepository(session).get_or_create(guild_id)
            guild.settings = {**(guild.settings or {}), BUDGET_KEY: tokens}
        return tokens

    async def allowance(self, guild_id: int, upcoming: int = 0) -> Allowance:
        """May a call of about `upcoming` prompt tokens go out for this guild today?"""
        budget = await self.budget(guild_id)
        async with self.reads.session() as session:
            used = await UsageRepository(session).tokens_since(guild_id, self._day())
        return Allowance(budget > 0 and used + upcoming <= budget, used, budget)

    async def record(
        self,
        guild_id: int,
        usage: Usage,
        *,
        narrator: str,
        campaign_id: int | None = None,
        turn_id: int | None = None,
    ) -> LlmUsage:
        cost = usage.cost_usd or self.prices.estimate_cost(usage.model, usage.prompt_tokens, usage.completion_tokens)
        row = LlmUsage(
            guild_id=guild_id,
            campaign_id=campaign_id,
            turn_id=turn_id,
            narrator=narrator,
            model=usage.model[:100],
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            estimated=usage.estimated,
            latency_ms=round(usage.seconds * 1000),
            cost_usd=cost,
            created_at=self.clock(),
        )
        async with self.db.transaction() as session:
            UsageRepository(session).add(row)
        if self.metrics is not None:
            self.metrics.add_llm_usage(usage.model, usage.prompt_tokens, usage.completion_tokens, cost, usage.seconds)
        return row

    async def report(self, guild_id: int) -> UsageReport:
        budget = await self.budget(guild_id)
        async with self.reads.session() as session:
            repo = UsageRepository(session)
            day = await repo.totals(guild_id, self._day())
            month = await repo.totals(guild_id, self._month())
            spenders = await repo.by_campaign(guild_id, self._month())
            campaigns = CampaignRepository(session)
            named = []
            for campaign_id, tokens, cost in spenders:
                row = await campaigns.get(campaign_id) if campaign_id is not None else None
                named.append(CampaignSpend(row.name if row else "(no campaign)", tokens, cost))
        return UsageReport(day, month, budget, tuple(named))
