"""What /stats reads (migration 0011b adds the combat outcomes): queries only; the sums are the engine's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Campaign, CampaignSession, CombatOutcome, RollLog

ROLL_COLUMNS = (
    RollLog.user_id,
    RollLog.channel_id,
    RollLog.expression,
    RollLog.label,
    RollLog.total,
    RollLog.breakdown,
)


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_outcome(self, outcome: CombatOutcome) -> None:
        self.session.add(outcome)

    async def rolls_of(self, guild_id: int | None, user_id: int, limit: int) -> Sequence[Row[Any]]:
        """A user's latest rolls on one server (`None`: in direct messages), newest first."""
        where = RollLog.guild_id.is_(None) if guild_id is None else RollLog.guild_id == guild_id
        query = select(*ROLL_COLUMNS).where(where, RollLog.user_id == user_id)
        return (await self.session.execute(query.order_by(RollLog.id.desc()).limit(limit))).all()

    async def rolls_in(self, channel_id: int, since: datetime, limit: int) -> Sequence[Row[Any]]:
        """The latest rolls made in a channel since a moment (a campaign's start), newest first."""
        query = select(*ROLL_COLUMNS).where(RollLog.channel_id == channel_id, RollLog.created_at >= since)
        return (await self.session.execute(query.order_by(RollLog.id.desc()).limit(limit))).all()

    async def campaigns_of(self, guild_id: int) -> Sequence[Row[Any]]:
        query = select(Campaign.id, Campaign.channel_id, Campaign.name, Campaign.created_at)
        return (await self.session.execute(query.where(Campaign.guild_id == guild_id).order_by(Campaign.id))).all()

    async def campaign_in(self, channel_id: int) -> Campaign | None:
        """The channel's campaign: the running one, else the last that ended there."""
        query = select(Campaign).where(Campaign.channel_id == channel_id)
        rows = (await self.session.scalars(query.order_by(Campaign.id.desc()))).all()
        return next((c for c in rows if c.status != "ended"), rows[0] if rows else None)

    async def last_ended_session(self, campaign_id: int) -> CampaignSession | None:
        query = select(CampaignSession).where(
            CampaignSession.campaign_id == campaign_id, CampaignSession.ended_at.is_not(None)
        )
        return (await self.session.scalars(query.order_by(CampaignSession.id.desc()).limit(1))).first()

    async def outcomes(self, campaign_id: int, limit: int, since: datetime | None = None) -> Sequence[CombatOutcome]:
        query = select(CombatOutcome).where(CombatOutcome.campaign_id == campaign_id)
        if since is not None:
            query = query.where(CombatOutcome.created_at >= since)
        return (await self.session.scalars(query.order_by(CombatOutcome.id.desc()).limit(limit))).all()
