"""Homebrew entries (migration 0011b): a campaign's or a server's. Queries only; validation is the engine's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.errors import Conflict
from persistence.models import Campaign, HomebrewEntry


class HomebrewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, rows: Sequence[HomebrewEntry]) -> None:
        """Store the entries now (their ids are set after); `Conflict` when a name of that kind is taken."""
        self.session.add_all(rows)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise Conflict("a homebrew name is taken in this scope") from error

    async def count(self, guild_id: int, campaign_id: int | None) -> int:
        scope = HomebrewEntry.campaign_id.is_(None) if campaign_id is None else HomebrewEntry.campaign_id == campaign_id
        query = select(func.count()).select_from(HomebrewEntry).where(HomebrewEntry.guild_id == guild_id, scope)
        return int(await self.session.scalar(query) or 0)

    async def visible(self, guild_id: int, campaign_id: int | None, kind: str | None) -> Sequence[HomebrewEntry]:
        """The server's entries and, in a campaign's channel, the campaign's, by name."""
        scopes: list[ColumnElement[bool]] = [HomebrewEntry.campaign_id.is_(None)]
        if campaign_id is not None:
            scopes.append(HomebrewEntry.campaign_id == campaign_id)
        query = select(HomebrewEntry).where(HomebrewEntry.guild_id == guild_id, or_(*scopes))
        if kind is not None:
            query = query.where(HomebrewEntry.kind == kind)
        return (await self.session.scalars(query.order_by(HomebrewEntry.name_key, HomebrewEntry.id))).all()

    async def named(self, guild_id: int, campaign_id: int | None, kind: str, name_key: str) -> HomebrewEntry | None:
        """By name: the campaign's entry first, else the server's."""
        found = [e for e in await self.visible(guild_id, campaign_id, kind) if e.name_key == name_key]
        return min(found, key=lambda e: e.campaign_id is None, default=None)

    async def by_ids(self, ids: Sequence[int]) -> Sequence[HomebrewEntry]:
        if not ids:
            return []
        return (await self.session.scalars(select(HomebrewEntry).where(HomebrewEntry.id.in_(ids)))).all()

    async def delete(self, entry_id: int) -> None:
        await self.session.execute(delete(HomebrewEntry).where(HomebrewEntry.id == entry_id))

    async def campaign_row(self, channel_id: int) -> Campaign | None:
        """The channel's running (or paused) campaign."""
        query = select(Campaign).where(Campaign.channel_id == channel_id, Campaign.status != "ended")
        return (await self.session.scalars(query)).first()

    async def campaign_in(self, channel_id: int) -> int | None:
        campaign = await self.campaign_row(channel_id)
        return campaign.id if campaign is not None else None
