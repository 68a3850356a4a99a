"""Server admins' controls: the DM role, the guild's defaults (kept in `guilds.settings`), and the stats.

The caller's Manage Server permission arrives as a plain flag from the cog and is checked here on every
call: Discord's default permissions only hide `/admin`, and a server may grant it to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.engine.campaign_info import CONTENT_RATINGS
from bot.engine.usage import BUDGET_KEY, UsageService
from bot.errors import Forbidden, InvalidInput
from persistence.db import Database
from persistence.repositories import GuildRepository, Reads, StatsRepository, UsageRepository, find_guild

# What `guilds.settings` holds: only defaults something reads (rate limits are the host's, in Settings).
KEYS = frozenset({"dm_role_id", "require_dm_role", "narrator_model", "content_rating", BUDGET_KEY})


@dataclass(frozen=True)
class GuildDefaults:
    dm_role_id: int | None = None
    require_dm_role: bool = False
    narrator_model: str | None = None  # None: the host's default
    content_rating: str = "teen"
    daily_token_budget: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GuildDefaults:
        def number(key: str) -> int | None:
            value = data.get(key)
            return int(value) if isinstance(value, int) else None

        rating = data.get("content_rating")
        return cls(
            number("dm_role_id"),
            bool(data.get("require_dm_role")),
            data.get("narrator_model") or None,
            rating if rating in CONTENT_RATINGS else "teen",
            number(BUDGET_KEY),
        )


@dataclass(frozen=True)
class GuildStats:
    campaigns: Mapping[str, int]  # by status
    characters: int
    turns_today: int
    tokens_today: int
    budget: int


class AdminService:
    def __init__(self, db: Database, usage: UsageService, models: tuple[str, ...]) -> None:
        self.db = db
        self.reads = Reads(db)
        self.usage = usage
        self.models = models  # the host's default model first, then the others it allows

    async def defaults(self, guild_id: int | None, manage: bool) -> GuildDefaults:
        guild = _check(guild_id, manage)
        async with self.reads.session() as session:
            row = await find_guild(session, guild)
            return GuildDefaults.from_json((row.settings or {}) if row is not None else {})

    async def set_dm_role(self, guild_id: int | None, manage: bool, role_id: int) -> GuildDefaults:
        return await self.update(guild_id, manage, {"dm_role_id": role_id})

    async def update(self, guild_id: int | None, manage: bool, changes: Mapping[str, Any]) -> GuildDefaults:
        """None leaves a value as it is; a model of `default` goes back to the host's."""
        guild = _check(guild_id, manage)
        clean = self._clean(changes)
        async with self.db.transaction() as session:
            row = await GuildRepository(session).get_or_create(guild)
            settings = {**(row.settings or {}), **clean}
            row.settings = {k: v for k, v in settings.items() if v is not None}
            return GuildDefaults.from_json(row.settings)

    def _clean(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(changes) - KEYS)
        if unknown:
            raise InvalidInput(f"No such server setting: {', '.join(unknown)}.")
        out: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        model = out.get("narrator_model")
        if model is not None:
            if model not in (*self.models, "default"):
                raise InvalidInput(f"This bot's host allows these models: {', '.join(self.models)} (or `default`).")
            out["narrator_model"] = None if model in ("default", self.models[0]) else model
        if "content_rating" in out and out["content_rating"] not in CONTENT_RATINGS:
            raise InvalidInput(f"A content rating is one of {', '.join(CONTENT_RATINGS)}.")
        if BUDGET_KEY in out:
            self.usage.check_budget(int(out[BUDGET_KEY]))
        return out

    async def stats(self, guild_id: int | None, manage: bool) -> GuildStats:
        guild = _check(guild_id, manage)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        async with self.reads.session() as session:
            repo = StatsRepository(session)
            campaigns = await repo.campaigns(guild)
            characters = await repo.characters(guild)
            turns = await repo.turns_since(guild, today)
            tokens = await UsageRepository(session).tokens_since(guild, today)
        return GuildStats(campaigns, characters, turns, tokens, await self.usage.budget(guild))


def _check(guild_id: int | None, manage: bool) -> int:
    if guild_id is None:
        raise InvalidInput("Use the admin commands in a server.")
    if not manage:
        raise Forbidden("Only members with the Manage Server permission can use `/admin`.")
    return guild_id
