"""Saved rolls (migration 0005): a user's own, or a server's. Queries only; the rules are the engine's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Alias


def owned_by(owner_id: int | None, guild_id: int | None) -> ColumnElement[bool]:
    """A user's aliases (`owner_id`) or a server's (`guild_id`): pass exactly one."""
    if (owner_id is None) == (guild_id is None):
        raise ValueError("an alias belongs to a user or to a server")
    return Alias.owner_id == owner_id if owner_id is not None else Alias.guild_id == guild_id


class AliasRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, alias: Alias) -> None:
        self.session.add(alias)

    async def of(self, *, owner_id: int | None = None, guild_id: int | None = None) -> Sequence[Alias]:
        query = select(Alias).where(owned_by(owner_id, guild_id)).order_by(Alias.name_key)
        return (await self.session.scalars(query)).all()

    async def named(self, name_key: str, *, owner_id: int | None = None, guild_id: int | None = None) -> Alias | None:
        query = select(Alias).where(owned_by(owner_id, guild_id), Alias.name_key == name_key)
        return (await self.session.scalars(query)).first()

    async def count(self, *, owner_id: int | None = None, guild_id: int | None = None) -> int:
        query = select(func.count()).select_from(Alias).where(owned_by(owner_id, guild_id))
        return int(await self.session.scalar(query) or 0)

    async def delete(self, alias: Alias) -> None:
        await self.session.delete(alias)
