"""The migrations build the schema on both backends, the roll log keeps what the engine rolled, and a write
the database refuses as a conflict comes out of the repository as the project's own `Conflict`."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import inspect, select

from bot.engine.dice import Dice
from bot.engine.rolls import RollService
from bot.engine.sheet import Actor
from persistence.db import Database
from persistence.errors import Conflict
from persistence.migrate import downgrade, upgrade
from persistence.models import Campaign, Character, Guild, RollLog
from persistence.repositories import CampaignRepository, CharacterRepository, GuildRepository


async def test_migrations_build_every_table(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await db.dispose()
    assert {"guilds", "roll_log", "alembic_version"} <= tables


def test_migrations_go_down_and_up_again(sqlite_url: str) -> None:
    downgrade(sqlite_url, "base")
    upgrade(sqlite_url)


async def test_a_roll_is_logged_with_its_breakdown(database_url: str) -> None:
    db = Database(database_url)
    service = RollService(db, Dice(random.Random(5)))
    actor = Actor(user_id=2**62 + 17, guild_id=2**60 + 3, channel_id=2**59 + 9)  # real snowflakes are 64-bit
    try:
        outcome = service.roll("4d6kh3", label="Strength")
        await service.record(actor, outcome)
        await service.flush()
        async with db.transaction() as session:
            rows = (await session.scalars(select(RollLog).where(RollLog.user_id == actor.user_id))).all()
    finally:
        await service.aclose()
        await db.dispose()
    assert len(rows) == 1
    row = rows[0]
    assert (row.guild_id, row.channel_id, row.expression, row.label) == (
        actor.guild_id,
        actor.channel_id,
        "4d6kh3",
        "Strength",
    )
    assert row.total == outcome.total and "~~" in row.breakdown
    assert row.created_at is not None


async def test_a_failed_transaction_writes_nothing(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await GuildRepository(session).get_or_create(4242)
                raise RuntimeError("boom")
        async with db.transaction() as session:
            assert await session.get(Guild, 4242) is None
            guild = await GuildRepository(session).get_or_create(4242)
        assert guild.settings == {}
    finally:
        await db.dispose()


def _character(name: str, *, owner_id: int, active: bool) -> Character:
    """The smallest row the characters table accepts."""
    facts = {"race": "dwarf", "class_index": "fighter", "background": "acolyte", "hp_max": 12, "hp_current": 12}
    columns = ("base_scores", "bonus_scores", "proficiencies", "coins")
    empty: dict[str, dict[str, int]] = {column: {} for column in columns}
    key = name.casefold()
    return Character(guild_id=7, owner_id=owner_id, name=name, name_key=key, active=active, **facts, **empty)


async def test_a_second_character_of_one_name_is_a_conflict(database_url: str) -> None:
    """The unique key reaches the caller as the project's own `Conflict`, and the losing write leaves nothing."""
    db = Database(database_url)
    owner = 2**61 + random.randrange(2**40)  # the Postgres database is shared by the whole run
    try:
        async with db.transaction() as session:
            await CharacterRepository(session).insert(_character("Tordek", owner_id=owner, active=True))
        with pytest.raises(Conflict):
            async with db.transaction() as session:
                await CharacterRepository(session).insert(_character("TORDEK", owner_id=owner, active=False))
        async with db.transaction() as session:
            rows = await CharacterRepository(session).list_for(7, owner)
        assert [(row.name, row.active) for row in rows] == [("Tordek", True)]
    finally:
        await db.dispose()


async def test_a_burst_of_rolls_is_written_in_batches_and_none_is_lost(postgres_url: str) -> None:
    db = Database(postgres_url)
    service = RollService(db, Dice(random.Random(6)))
    actor = Actor(user_id=987654321987654321, guild_id=1, channel_id=2)
    try:
        outcomes = [service.roll("1d20") for _ in range(300)]
        for outcome in outcomes:
            await service.record(actor, outcome)
        await service.flush()
        async with db.transaction() as session:
            totals = (await session.scalars(select(RollLog.total).where(RollLog.user_id == actor.user_id))).all()
    finally:
        await service.aclose()
        await db.dispose()
    assert sorted(totals) == sorted(o.total for o in outcomes)


async def test_one_bad_row_costs_only_itself(postgres_url: str) -> None:
    db = Database(postgres_url)
    service = RollService(db, Dice(random.Random(8)))
    actor = Actor(user_id=123456789012345678, guild_id=1, channel_id=2)
    try:
        good = [service.roll("1d6") for _ in range(5)]
        for outcome in good[:2]:
            await service.record(actor, outcome)
        service.log.submit({"user_id": actor.user_id, "expression": "x" * 300, "total": 1, "breakdown": "too long"})
        for outcome in good[2:]:
            await service.record(actor, outcome)
        await service.flush()
        async with db.transaction() as session:
            totals = (await session.scalars(select(RollLog.total).where(RollLog.user_id == actor.user_id))).all()
    finally:
        await service.aclose()
        await db.dispose()
    assert sorted(totals) == sorted(o.total for o in good)  # the over-long row was refused alone


def _campaign(channel_id: int, name: str) -> Campaign:
    return Campaign(
        guild_id=2**60 + 5,
        channel_id=channel_id,
        dm_id=2**61 + 7,
        name=name,
        tone="",
        setting="",
        status="active",
        settings={},
        safety={},
        scene={},
        summary="",
        summary_through=0,
        events_since_summary=0,
        turn_count=0,
    )


async def test_a_second_active_campaign_in_a_channel_is_a_conflict(database_url: str) -> None:
    db = Database(database_url)
    channel = random.randrange(1, 2**60)
    try:
        async with db.transaction() as session:
            first = _campaign(channel, "First")
            await CampaignRepository(session).create(first)
            assert first.id is not None  # written: the engine logs the campaign's first event with its id
        with pytest.raises(Conflict):
            async with db.transaction() as session:
                await CampaignRepository(session).create(_campaign(channel, "Second"))
        async with db.transaction() as session:
            rows = (await session.scalars(select(Campaign).where(Campaign.channel_id == channel))).all()
    finally:
        await db.dispose()
    assert [r.name for r in rows] == ["First"]
