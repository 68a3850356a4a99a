"""Repositories: the only place that builds queries. They know nothing of Discord or of rules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.db import Database
from persistence.models import Character, Guild, RollLog


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


class CharacterRepository:
    """Characters by owner and guild; `lock=True` selects FOR UPDATE so concurrent changes queue up."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, character: Character) -> None:
        self.session.add(character)

    async def by_name(self, guild_id: int, owner_id: int, name_key: str, *, lock: bool = False) -> Character | None:
        query = select(Character).where(
            Character.guild_id == guild_id, Character.owner_id == owner_id, Character.name_key == name_key
        )
        return await self._one(query, lock)

    async def active(self, guild_id: int, owner_id: int, *, lock: bool = False) -> Character | None:
        query = select(Character).where(
            Character.guild_id == guild_id, Character.owner_id == owner_id, Character.active.is_(True)
        )
        return await self._one(query, lock)

    async def list_for(self, guild_id: int, owner_id: int, *, lock: bool = False) -> Sequence[Character]:
        query = (
            select(Character)
            .where(Character.guild_id == guild_id, Character.owner_id == owner_id)
            .order_by(Character.name_key)
        )
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).all()

    async def search_names(self, guild_id: int, owner_id: int, prefix: str, limit: int = 25) -> Sequence[str]:
        query = (
            select(Character.name)
            .where(Character.guild_id == guild_id, Character.owner_id == owner_id)
            .where(Character.name_key.contains(prefix, autoescape=True))
            .order_by(Character.name_key)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def deactivate_all(self, guild_id: int, owner_id: int) -> None:
        """Clear the active flag first, so the one-active index never sees two."""
        await self.session.execute(
            update(Character)
            .where(Character.guild_id == guild_id, Character.owner_id == owner_id, Character.active.is_(True))
            .values(active=False)
        )

    async def delete(self, character: Character) -> None:
        await self.session.delete(character)

    async def _one(self, query: Select[tuple[Character]], lock: bool) -> Character | None:
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()


class Reads:
    """Sessions for single reads in autocommit mode: no BEGIN/COMMIT round trips on the hot path.

    One SELECT sees a consistent snapshot on its own; anything that reads to write uses
    `Database.transaction()` with row locks instead.
    """

    def __init__(self, db: Database) -> None:
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session
