"""Repositories: the only place that builds queries. They know nothing of Discord or of rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Guild, RollLog


class GuildRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_or_create(self, guild_id: int) -> Guild:
        guild = await self.session.get(Guild, guild_id)
        if guild is None:
            guild = Guild(id=guild_id, settings={})
            self.session.add(guild)
            await self.session.flush()
        return guild


class RollLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: RollLog) -> None:
        self.session.add(entry)

    async def recent(self, *, user_id: int, guild_id: int | None, limit: int = 20) -> Sequence[RollLog]:
        query = (
            select(RollLog)
            .where(RollLog.user_id == user_id, RollLog.guild_id == guild_id)
            .order_by(RollLog.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()
