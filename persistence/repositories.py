"""Repositories: the only place that builds queries. They know nothing of Discord or of rules.

Row locks are `FOR NO KEY UPDATE` (`key_share=True`): they queue our own changes to a row like `FOR UPDATE`
would, but never block a foreign key's check of it. With `FOR UPDATE`, a change holding a campaign row and
wanting a character deadlocked against one holding that character and inserting an event of the campaign.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from persistence.db import Database
from persistence.errors import Conflict
from persistence.models import (
    Campaign,
    CampaignEvent,
    CampaignSession,
    CampaignTurn,
    CanonFact,
    Character,
    Combat,
    Combatant,
    Guild,
    LlmUsage,
    Npc,
    PendingChange,
    RollLog,
    utcnow,
)


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

    async def users_in_channel_since(self, channel_id: int, since: datetime) -> Sequence[int]:
        """Everyone who rolled in a channel since a moment (who played a session, fights included)."""
        query = select(RollLog.user_id).where(RollLog.channel_id == channel_id, RollLog.created_at >= since)
        return (await self.session.scalars(query.distinct())).all()


class CharacterRepository:
    """Characters by owner and guild; `lock=True` selects FOR UPDATE so concurrent changes queue up."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, character: Character) -> None:
        """Store a new character now, so its id is known; `Conflict` if the owner has that name (or an active
        character) already, which a second click at the same moment can make past any check beforehand."""
        self.session.add(character)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise Conflict(f"character {character.name_key!r} of owner {character.owner_id}") from error

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
            query = query.with_for_update(key_share=True)
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
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()


class Reads:
    """Sessions for single reads in autocommit mode: no BEGIN/COMMIT round trips on the hot path.

    One SELECT sees a consistent snapshot on its own; anything that reads to write uses
    `Database.transaction()` with row locks instead.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A bare connection for Core selects: no session, no identity map, no ORM objects."""
        async with self._engine.connect() as connection:
            yield connection


# What a sheet is built from (and `created_at`, part of its stamp): every column but the two only
# writes and lookups need, so a column added to the table later is read too.
_CHARACTERS = Character.__table__
SHEET_COLUMNS = tuple(c for c in _CHARACTERS.c if c.name not in ("name_key", "updated_at"))
# What tells a cached sheet from its row now: `version` is bumped by every write of the sheet's facts;
# `active` and `campaign_id` change without a bump; `created_at` tells a new character from a deleted
# one whose id SQLite gave out again.
STAMP_COLUMNS = (
    _CHARACTERS.c.id,
    _CHARACTERS.c.version,
    _CHARACTERS.c.active,
    _CHARACTERS.c.campaign_id,
    _CHARACTERS.c.created_at,
)


@dataclass(frozen=True, slots=True)
class StampRow:
    id: int
    version: int
    active: bool
    campaign_id: int | None
    created_at: Any


_STAMP_SQL = (
    f"SELECT {', '.join(c.name for c in STAMP_COLUMNS)} FROM {Character.__tablename__}"
    " WHERE guild_id = $1 AND owner_id = $2"
)
STAMP_OF_ACTIVE = _STAMP_SQL + " AND active"
STAMP_BY_NAME = _STAMP_SQL + " AND name_key = $3"


async def character_stamp(reads: Reads, guild_id: int, owner_id: int, name_key: str | None) -> StampRow | None:
    """A character's stamp in one round trip: on asyncpg directly where the database has hot reads."""
    if reads.db.has_hot_reads and not reads.db.hot_saturated:
        if name_key is None:
            record = await reads.db.fetchrow(STAMP_OF_ACTIVE, guild_id, owner_id)
        else:
            record = await reads.db.fetchrow(STAMP_BY_NAME, guild_id, owner_id, name_key)
        return None if record is None else StampRow(*record.values())
    async with reads.connection() as connection:
        row = await CharacterRows(connection).stamp(guild_id, owner_id, name_key)
    return None if row is None else StampRow(*row)


class CharacterRows:
    """One character as a plain row, by name or the active one, in one Core select each."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def sheet_row(self, guild_id: int, owner_id: int, name_key: str | None) -> Row[Any] | None:
        return await self._first(select(*SHEET_COLUMNS), guild_id, owner_id, name_key)

    async def stamp(self, guild_id: int, owner_id: int, name_key: str | None) -> Row[Any] | None:
        return await self._first(select(*STAMP_COLUMNS), guild_id, owner_id, name_key)

    async def _first(self, query: Select[Any], guild_id: int, owner_id: int, name_key: str | None) -> Row[Any] | None:
        c = _CHARACTERS.c
        which = c.active.is_(True) if name_key is None else c.name_key == name_key
        query = query.where(c.guild_id == guild_id, c.owner_id == owner_id, which)
        return (await self.connection.execute(query)).first()


# --- Campaigns (migration 0003) ------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, campaign: Campaign) -> None:
        self.session.add(campaign)

    async def create(self, campaign: Campaign) -> None:
        """Write a new campaign now (its id is set after); `Conflict` when its channel already has an
        active one (the unique index catches a second create at the same moment)."""
        self.session.add(campaign)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise Conflict(f"channel {campaign.channel_id} already has an active campaign") from error

    async def get(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        query = select(Campaign).where(Campaign.id == campaign_id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def in_channel(self, channel_id: int, *, lock: bool = False) -> Campaign | None:
        query = select(Campaign).where(Campaign.channel_id == channel_id, Campaign.status != "ended")
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def with_rounds(self) -> Sequence[Campaign]:
        """The campaigns that have not ended and keep a round's state (open or not: the caller reads it)."""
        query = select(Campaign).where(Campaign.status != "ended", Campaign.round_state.is_not(None))
        return (await self.session.scalars(query)).all()

    async def running_in_guild(self, guild_id: int) -> int:
        """How many of the guild's campaigns have not ended."""
        query = (
            select(func.count()).select_from(Campaign).where(Campaign.guild_id == guild_id, Campaign.status != "ended")
        )
        return int((await self.session.scalar(query)) or 0)

    async def in_guild(self, guild_id: int, limit: int = 25) -> Sequence[Campaign]:
        query = (
            select(Campaign)
            .where(Campaign.guild_id == guild_id, Campaign.status != "ended")
            .order_by(Campaign.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def dm_of(self, campaign_id: int) -> int | None:
        return (await self.session.scalars(select(Campaign.dm_id).where(Campaign.id == campaign_id))).first()


class PartyRepository:
    """The characters playing in a campaign."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def members(self, campaign_id: int, *, lock: bool = False) -> Sequence[Character]:
        query = select(Character).where(Character.campaign_id == campaign_id).order_by(Character.id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).all()

    async def by_id(self, character_id: int, *, lock: bool = False) -> Character | None:
        query = select(Character).where(Character.id == character_id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def of_player(self, campaign_id: int, owner_id: int, *, lock: bool = False) -> Character | None:
        query = (
            select(Character)
            .where(Character.campaign_id == campaign_id, Character.owner_id == owner_id)
            .order_by(Character.active.desc(), Character.id)
        )
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()


class EventRepository:
    """The append-only event log. Rows are added, and flagged `retconned`; never deleted."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, event: CampaignEvent) -> None:
        self.session.add(event)

    def add_all(self, events: Sequence[CampaignEvent]) -> None:
        self.session.add_all(events)

    async def add_with_changes_of(self, event: dict[str, Any], rows: Sequence[Any]) -> None:
        """Add the event (its columns) and write the changed columns of `rows` (the fight's combat, combatant
        and character rows) in the same statement, each row's UPDATE a CTE of the INSERT: one round trip where
        the flush would make one per table. SQLite has no UPDATE in a CTE: there the flush writes them."""
        changes = [(row, _changed(row)) for row in rows] if self.session.bind.dialect.name == "postgresql" else []
        changes = [(row, changed) for row, changed in changes if changed]
        row = {"actor_id": None, "character_id": None, "data": {}, "retconned": False, "created_at": utcnow(), **event}
        statement = insert(EVENTS).values(row)
        for n, (changed_row, changed) in enumerate(changes):
            statement = statement.add_cte(_update_of(changed_row, changed, n).cte(f"change_{n}"))
        with self.session.no_autoflush:  # the changes are in this statement, not in a flush before it
            await self.session.execute(statement)
        for changed_row, changed in changes:  # what the rows now hold: nothing left for the flush to write
            for key, value in changed.items():
                set_committed_value(changed_row, key, value)

    async def recent(self, campaign_id: int, limit: int, *, before_id: int | None = None) -> Sequence[CampaignEvent]:
        """The newest live events, newest first."""
        query = select(CampaignEvent).where(
            CampaignEvent.campaign_id == campaign_id, CampaignEvent.retconned.is_(False)
        )
        if before_id is not None:
            query = query.where(CampaignEvent.id < before_id)
        return (await self.session.scalars(query.order_by(CampaignEvent.id.desc()).limit(limit))).all()

    async def since(
        self, campaign_id: int, after_id: int, *, limit: int = 10_000, live_only: bool = True
    ) -> Sequence[CampaignEvent]:
        """Events after `after_id`, oldest first."""
        query = select(CampaignEvent).where(CampaignEvent.campaign_id == campaign_id, CampaignEvent.id > after_id)
        if live_only:
            query = query.where(CampaignEvent.retconned.is_(False))
        return (await self.session.scalars(query.order_by(CampaignEvent.id).limit(limit))).all()

    async def all_for(self, campaign_id: int) -> Sequence[CampaignEvent]:
        query = select(CampaignEvent).where(CampaignEvent.campaign_id == campaign_id).order_by(CampaignEvent.id)
        return (await self.session.scalars(query)).all()

    async def page(self, campaign_id: int, after_id: int, limit: int) -> Sequence[Row[Any]]:
        """A keyset page of the whole log (retconned too), oldest first, as plain rows: id, turn_id, kind,
        text, data, retconned, created_at. Each page is an index range scan, however deep into the log."""
        e = CampaignEvent
        query = (
            select(e.id, e.turn_id, e.kind, e.text, e.data, e.retconned, e.created_at)
            .where(e.campaign_id == campaign_id, e.id > after_id)
            .order_by(e.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).all()

    async def of_turn(self, turn_id: int) -> Sequence[CampaignEvent]:
        query = select(CampaignEvent).where(CampaignEvent.turn_id == turn_id).order_by(CampaignEvent.id)
        return (await self.session.scalars(query)).all()

    async def last_id(self, campaign_id: int) -> int:
        query = select(func.max(CampaignEvent.id)).where(CampaignEvent.campaign_id == campaign_id)
        return int((await self.session.scalar(query)) or 0)

    async def count(self, campaign_id: int) -> int:
        query = select(func.count()).select_from(CampaignEvent).where(CampaignEvent.campaign_id == campaign_id)
        return int((await self.session.scalar(query)) or 0)

    async def search(
        self, campaign_id: int, words: Sequence[str], *, before_id: int, limit: int
    ) -> Sequence[CampaignEvent]:
        """Live events older than `before_id` that mention any of `words` (plain alphanumeric words).

        Postgres ranks matches of the generated tsvector column (GIN index); SQLite has no full-text
        column here, so it falls back to LIKE and takes the newest matches.
        """
        if not words:
            return []
        query = select(CampaignEvent).where(
            CampaignEvent.campaign_id == campaign_id,
            CampaignEvent.retconned.is_(False),
            CampaignEvent.id < before_id,
        )
        if _dialect(self.session) == "postgresql":
            tsquery = func.to_tsquery("english", " | ".join(words))
            search = column("search", TSVECTOR)
            query = query.where(search.op("@@")(tsquery)).order_by(
                func.ts_rank(search, tsquery).desc(), CampaignEvent.id.desc()
            )
        else:
            query = query.where(or_(*(CampaignEvent.text.contains(w, autoescape=True) for w in words)))
            query = query.order_by(CampaignEvent.id.desc())
        return (await self.session.scalars(query.limit(limit))).all()

    async def mark_retconned(self, event_ids: Sequence[int]) -> None:
        if event_ids:
            await self.session.execute(
                update(CampaignEvent).where(CampaignEvent.id.in_(list(event_ids))).values(retconned=True)
            )

    async def actors_since(self, campaign_id: int, after_id: int) -> Sequence[tuple[int | None, int | None]]:
        """(user id, character id) of everyone who acted after `after_id`."""
        query = (
            select(CampaignEvent.actor_id, CampaignEvent.character_id)
            .where(CampaignEvent.campaign_id == campaign_id, CampaignEvent.id > after_id)
            .where(CampaignEvent.retconned.is_(False))
            .distinct()
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]


class TurnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, turn: CampaignTurn) -> None:
        """Write a new turn now: its id is set after, for the turn's events to point at."""
        self.session.add(turn)
        await self.session.flush()

    async def get(self, turn_id: int) -> CampaignTurn | None:
        return await self.session.get(CampaignTurn, turn_id)

    async def running(self, campaign_id: int) -> Sequence[CampaignTurn]:
        query = select(CampaignTurn).where(CampaignTurn.campaign_id == campaign_id, CampaignTurn.status == "running")
        return (await self.session.scalars(query)).all()

    async def last_done(self, campaign_id: int) -> CampaignTurn | None:
        query = (
            select(CampaignTurn)
            .where(CampaignTurn.campaign_id == campaign_id, CampaignTurn.status == "done")
            .order_by(CampaignTurn.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(query)).first()


class CanonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, fact: CanonFact) -> None:
        self.session.add(fact)

    async def of(self, campaign_id: int) -> Sequence[CanonFact]:
        query = select(CanonFact).where(CanonFact.campaign_id == campaign_id).order_by(CanonFact.id)
        return (await self.session.scalars(query)).all()

    async def delete(self, fact: CanonFact) -> None:
        await self.session.delete(fact)


class NpcRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, npc: Npc) -> None:
        self.session.add(npc)

    async def by_key(self, campaign_id: int, name_key: str) -> Npc | None:
        query = select(Npc).where(Npc.campaign_id == campaign_id, Npc.name_key == name_key)
        return (await self.session.scalars(query)).first()

    async def of(self, campaign_id: int, limit: int = 500) -> Sequence[Npc]:
        query = select(Npc).where(Npc.campaign_id == campaign_id).order_by(Npc.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def count(self, campaign_id: int) -> int:
        query = select(func.count()).select_from(Npc).where(Npc.campaign_id == campaign_id)
        return int((await self.session.scalar(query)) or 0)

    async def delete(self, npc: Npc) -> None:
        await self.session.delete(npc)


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, row: CampaignSession) -> None:
        """Write a new session now, so the reads after it in the same transaction count it."""
        self.session.add(row)
        await self.session.flush()

    async def open(self, campaign_id: int) -> CampaignSession | None:
        query = select(CampaignSession).where(
            CampaignSession.campaign_id == campaign_id, CampaignSession.ended_at.is_(None)
        )
        return (await self.session.scalars(query.order_by(CampaignSession.id.desc()))).first()

    async def last_ended(self, campaign_id: int) -> CampaignSession | None:
        query = select(CampaignSession).where(
            CampaignSession.campaign_id == campaign_id, CampaignSession.ended_at.is_not(None)
        )
        return (await self.session.scalars(query.order_by(CampaignSession.id.desc()))).first()

    async def count(self, campaign_id: int) -> int:
        query = select(func.count()).select_from(CampaignSession).where(CampaignSession.campaign_id == campaign_id)
        return int((await self.session.scalar(query)) or 0)


class PendingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: PendingChange) -> None:
        self.session.add(row)

    async def count_waiting(self, campaign_id: int) -> int:
        query = select(func.count()).select_from(PendingChange)
        query = query.where(PendingChange.campaign_id == campaign_id, PendingChange.status == "pending")
        return int((await self.session.scalar(query)) or 0)

    async def waiting(self, campaign_id: int) -> Sequence[PendingChange]:
        query = select(PendingChange).where(PendingChange.campaign_id == campaign_id, PendingChange.status == "pending")
        return (await self.session.scalars(query.order_by(PendingChange.id))).all()

    async def get(self, campaign_id: int, pending_id: int, *, lock: bool = False) -> PendingChange | None:
        query = select(PendingChange).where(PendingChange.campaign_id == campaign_id, PendingChange.id == pending_id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def of_turn(self, turn_id: int) -> Sequence[PendingChange]:
        query = select(PendingChange).where(PendingChange.turn_id == turn_id, PendingChange.status == "pending")
        return (await self.session.scalars(query)).all()


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float  # mean

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: LlmUsage) -> None:
        self.session.add(row)

    async def tokens_since(self, guild_id: int, since: datetime) -> int:
        query = select(func.coalesce(func.sum(LlmUsage.prompt_tokens + LlmUsage.completion_tokens), 0)).where(
            LlmUsage.guild_id == guild_id, LlmUsage.created_at >= since
        )
        return int((await self.session.scalar(query)) or 0)

    async def totals(self, guild_id: int, since: datetime) -> UsageTotals:
        query = select(
            func.count(LlmUsage.id),
            func.coalesce(func.sum(LlmUsage.prompt_tokens), 0),
            func.coalesce(func.sum(LlmUsage.completion_tokens), 0),
            func.coalesce(func.sum(LlmUsage.cost_usd), 0.0),
            func.coalesce(func.avg(LlmUsage.latency_ms), 0.0),
        ).where(LlmUsage.guild_id == guild_id, LlmUsage.created_at >= since)
        row = (await self.session.execute(query)).one()
        return UsageTotals(int(row[0]), int(row[1]), int(row[2]), float(row[3]), float(row[4]))

    async def by_campaign(self, guild_id: int, since: datetime) -> Sequence[tuple[int | None, int, float]]:
        """(campaign id, tokens, cost) since `since`, the biggest spender first."""
        tokens = func.sum(LlmUsage.prompt_tokens + LlmUsage.completion_tokens)
        query = (
            select(LlmUsage.campaign_id, tokens, func.sum(LlmUsage.cost_usd))
            .where(LlmUsage.guild_id == guild_id, LlmUsage.created_at >= since)
            .group_by(LlmUsage.campaign_id)
            .order_by(tokens.desc())
            .limit(10)
        )
        return [(row[0], int(row[1] or 0), float(row[2] or 0.0)) for row in (await self.session.execute(query)).all()]


@functools.cache
def _fight_rows(lock: bool) -> Select[tuple[Combatant, Character]]:
    """A fight's combatants joined to their characters' rows, built once (its column proxies are costly).

    The characters are locked (when `lock`) in a CTE ordered by id, so every transaction locks them in
    the same order; Postgres refuses FOR UPDATE on the nullable side of the outer join itself.
    """
    combat_id: BindParameter[int] = bindparam("combat_id")
    in_fight = select(Combatant.character_id).where(Combatant.combat_id == combat_id)
    chosen = select(Character).where(Character.id.in_(in_fight)).order_by(Character.id)
    if lock:
        chosen = chosen.with_for_update(key_share=True)
    locked = aliased(Character, chosen.cte("fight_characters"))
    return (
        select(Combatant, locked)
        .outerjoin(locked, locked.id == Combatant.character_id)
        .where(Combatant.combat_id == combat_id)
        .order_by(Combatant.position, Combatant.id)
    )


EVENTS: Table = CampaignEvent.__table__  # type: ignore[assignment]


def _changed(row: Any) -> dict[str, Any]:
    """The columns of a stored row given new values in this transaction (none for a row not stored yet): the
    attributes whose loaded values the ORM kept aside when they were set."""
    state = inspect(row)
    if not state.modified or not state.persistent:
        return {}
    columns = _column_keys(row.__class__)
    return {key: state.dict[key] for key in state.committed_state if key in columns}


@functools.cache
def _column_keys(mapped: Any) -> frozenset[str]:
    return frozenset(c.key for c in inspect(mapped).column_attrs)


@functools.cache
def _row_alias(mapped: Any, n: int) -> Any:
    """The table of `mapped` under the name `row_<n>` (built once: an alias's columns cost to make)."""
    return inspect(mapped).local_table.alias(f"row_{n}")


def _update_of(row: Any, changed: dict[str, Any], n: int) -> Any:
    """A Core UPDATE of one row's changed columns, with bind parameters of its own and the table under an alias
    of its own (several UPDATEs of one table share a statement)."""
    mapper = inspect(type(row))
    table = _row_alias(row.__class__, n)
    columns = {key: table.c[mapper.column_attrs[key].columns[0].name] for key in changed}
    values = {columns[key]: literal(value, columns[key].type) for key, value in changed.items()}
    return update(table).where(table.c.id == literal(row.id, table.c.id.type)).values(values).returning(table.c.id)


Which = Literal["combat_id", "channel_id", "campaign_id"]  # how a fight is found (see `_which`)


def _which(combat: type[Combat] | Any, by: Which) -> tuple[ColumnElement[bool], ...]:
    """Which fight: by id, or the running one of a campaign or a channel (`combat` may be an alias); the
    value is the bind parameter named `by`."""
    if by == "combat_id":
        return (combat.id == bindparam(by),)
    if by == "campaign_id":
        return (combat.campaign_id == bindparam(by), combat.status == "active")
    return (combat.channel_id == bindparam(by), combat.status == "active")


def _found_by(combat_id: int | None, channel_id: int | None, campaign_id: int | None) -> tuple[Which, int | None]:
    if combat_id is not None:
        return "combat_id", combat_id
    if campaign_id is not None:
        return "campaign_id", campaign_id
    return "channel_id", channel_id


@functools.cache
def _fight_locked(by: Which, lock: bool) -> Select[Any]:
    """The fight, its campaign's DM and status, and the turn as the statement first saw it: built once (its
    column proxies are costly)."""
    seen = aliased(Combat)
    current = and_(Combatant.combat_id == seen.id, Combatant.position == seen.turn_index)
    before = (
        select(seen.id, seen.round, Combatant.id.label("current"))
        .outerjoin(Combatant, current)
        .where(*_which(seen, by))
        .cte("seen")
    )
    query = (
        select(Combat, Campaign.dm_id, Campaign.status, before.c.round, before.c.current)
        .outerjoin(Campaign, Campaign.id == Combat.campaign_id)
        .join(before, before.c.id == Combat.id)
        .where(*_which(Combat, by))
    )
    return query.with_for_update(of=Combat, key_share=True) if lock else query


@functools.cache
def _fight_read(by: Which) -> Select[Any]:
    """The fight with its campaign's DM and status, its combatants and their characters: built once."""
    return (
        select(Combat, Campaign.dm_id, Campaign.status, Combatant, Character)
        .outerjoin(Campaign, Campaign.id == Combat.campaign_id)
        .outerjoin(Combatant, Combatant.combat_id == Combat.id)
        .outerjoin(Character, Character.id == Combatant.character_id)
        .where(*_which(Combat, by))
        .order_by(Combat.id, Combatant.position, Combatant.id)
    )


class CombatRepository:
    """Fights and their combatants. A change locks the combat row first, so changes to one fight queue up."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Combat | Combatant) -> None:
        self.session.add(row)

    async def insert(self, *rows: Combat | Combatant) -> None:
        """Add rows and write them now (they get their ids). Raises `Conflict` when a unique key refuses one:
        a second running fight in a campaign or channel, or a combatant already in the fight."""
        self.session.add_all(rows)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise Conflict(str(error.orig)) from error

    async def combat(self, combat_id: int, *, lock: bool = False) -> Combat | None:
        query = select(Combat).where(Combat.id == combat_id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def combat_and_campaign(
        self,
        *,
        combat_id: int | None = None,
        channel_id: int | None = None,
        campaign_id: int | None = None,
        lock: bool = False,
    ) -> tuple[Combat, int | None, str | None, tuple[int, int | None]] | None:
        """A fight (by id, or the running one of a channel or a campaign) with its campaign's DM and status, and
        the turn as it was when the query started (round, the id of the combatant whose turn it was), in one query.

        The lock covers the combat row only, never the campaign's. A query that waits for the lock returns the
        combat row as the other transaction left it, but the turn it saw before waiting: the two differ when
        another `/combat next` ended the turn meanwhile (compare-and-set without a read of its own).
        """
        by, value = _found_by(combat_id, channel_id, campaign_id)
        query = _fight_locked(by, lock)
        row = (await self.session.execute(query, {by: value})).first()
        return (row[0], row[1], row[2], (row[3], row[4])) if row is not None else None

    async def fight_as_read(
        self, *, combat_id: int | None = None, channel_id: int | None = None, campaign_id: int | None = None
    ) -> tuple[Combat, int | None, str | None, list[Combatant], list[Character]] | None:
        """For a read (nothing locked): the fight as `combat_and_campaign` finds it, with its combatants in
        initiative order and their characters' rows, in one query (one snapshot, so they agree)."""
        by, value = _found_by(combat_id, channel_id, campaign_id)
        rows = (await self.session.execute(_fight_read(by), {by: value})).all()
        if not rows:
            return None
        combat, dm, status = rows[0][0], rows[0][1], rows[0][2]
        mine = [r for r in rows if r[0] is combat]  # a channel has one running fight; by id, one
        combatants = [r[3] for r in mine if r[3] is not None]
        return combat, dm, status, combatants, [r[4] for r in mine if r[4] is not None]

    async def turn_key(
        self, *, combat_id: int | None = None, channel_id: int | None = None, campaign_id: int | None = None
    ) -> tuple[int, int, int | None] | None:
        """(combat id, round, id of the combatant whose turn it is) in one query."""
        current = and_(Combatant.combat_id == Combat.id, Combatant.position == Combat.turn_index)
        query = select(Combat.id, Combat.round, Combatant.id).outerjoin(Combatant, current)
        if combat_id is not None:
            query = query.where(Combat.id == combat_id)
        elif campaign_id is not None:
            query = query.where(Combat.campaign_id == campaign_id, Combat.status == "active")
        else:
            query = query.where(Combat.channel_id == channel_id, Combat.status == "active")
        row = (await self.session.execute(query)).first()
        return (row[0], row[1], row[2]) if row is not None else None

    async def active_in_channel(self, channel_id: int) -> Combat | None:
        query = select(Combat).where(Combat.channel_id == channel_id, Combat.status == "active")
        return (await self.session.scalars(query)).first()

    async def character_fighting(self, character_id: int) -> bool:
        """Whether the character is a combatant of a running fight (any: a campaign's or a channel's)."""
        query = (
            select(Combatant.id)
            .join(Combat, Combat.id == Combatant.combat_id)
            .where(Combatant.character_id == character_id, Combat.status == "active")
            .limit(1)
        )
        return (await self.session.scalar(query)) is not None

    async def active_for_campaign(self, campaign_id: int, *, lock: bool = False) -> Combat | None:
        query = select(Combat).where(Combat.campaign_id == campaign_id, Combat.status == "active")
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def combatants(self, combat_id: int) -> Sequence[Combatant]:
        """In initiative order."""
        query = select(Combatant).where(Combatant.combat_id == combat_id).order_by(Combatant.position, Combatant.id)
        return (await self.session.scalars(query)).all()

    async def combatants_and_characters(
        self, combat_id: int, *, lock: bool = False
    ) -> tuple[list[Combatant], list[Character]]:
        """The combatants in initiative order and their characters' rows, in one query (see `_fight_rows`)."""
        pairs = (await self.session.execute(_fight_rows(lock), {"combat_id": combat_id})).all()
        return [row for row, _ in pairs], [character for _, character in pairs if character is not None]

    async def characters(self, ids: Sequence[int], *, lock: bool = False) -> Sequence[Character]:
        """Characters by id, in id order (a fixed order, so two transactions lock them alike)."""
        if not ids:
            return []
        query = select(Character).where(Character.id.in_(ids)).order_by(Character.id)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).all()

    async def campaign_character(self, campaign_id: int, name_key: str, *, lock: bool = False) -> Character | None:
        query = select(Character).where(Character.campaign_id == campaign_id, Character.name_key == name_key)
        if lock:
            query = query.with_for_update(key_share=True)
        return (await self.session.scalars(query)).first()

    async def fight_effects(self, character_id: int) -> list[dict[str, Any]]:
        """The timed effects on the character's combatant in a running fight (none when it isn't in one)."""
        query = (
            select(Combatant.effects)
            .join(Combat, Combat.id == Combatant.combat_id)
            .where(Combatant.character_id == character_id, Combat.status == "active")
        )
        return list((await self.session.scalars(query.limit(1))).first() or [])

    async def in_active_fight(self, character_id: int) -> bool:
        """Whether the character is a combatant of a running fight."""
        query = (
            select(Combatant.id)
            .join(Combat, Combat.id == Combatant.combat_id)
            .where(Combatant.character_id == character_id, Combat.status == "active")
        )
        return (await self.session.scalars(query.limit(1))).first() is not None

    async def campaign_dm(self, campaign_id: int) -> int | None:
        return (await self.session.scalars(select(Campaign.dm_id).where(Campaign.id == campaign_id))).first()

    async def campaign_status(self, campaign_id: int) -> str | None:
        return (await self.session.scalars(select(Campaign.status).where(Campaign.id == campaign_id))).first()

    async def delete_combatant(self, row: Combatant) -> None:
        await self.session.delete(row)

    async def delete_combat(self, combat_id: int) -> None:
        await self.session.execute(delete(Combat).where(Combat.id == combat_id))


async def find_guild(session: AsyncSession, guild_id: int) -> Guild | None:
    """The guild's row if the bot has stored one (reads never create it)."""
    return await session.get(Guild, guild_id)


class StatsRepository:
    """Counts for `/admin stats`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def campaigns(self, guild_id: int) -> dict[str, int]:
        query = select(Campaign.status, func.count()).where(Campaign.guild_id == guild_id).group_by(Campaign.status)
        return {str(status): int(n) for status, n in (await self.session.execute(query)).all()}

    async def characters(self, guild_id: int) -> int:
        query = select(func.count()).select_from(Character).where(Character.guild_id == guild_id)
        return int((await self.session.scalar(query)) or 0)

    async def turns_since(self, guild_id: int, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(CampaignTurn)
            .join(Campaign, Campaign.id == CampaignTurn.campaign_id)
            .where(Campaign.guild_id == guild_id, CampaignTurn.created_at >= since)
        )
        return int((await self.session.scalar(query)) or 0)
