"""Sheet reads (SheetReads behind CharacterService.get): one query each, a per-process cache that is
checked against the row every time, so a change made by another process (shard) is always seen."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update

from bot.engine.characters import CharacterRef
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor, Sheet, guild_of
from bot.engine.sheet_reads import SheetReads
from bot.errors import NotFound
from persistence.db import Database
from persistence.models import Character


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def shards(db: Database) -> tuple[CharacterCreation, CharacterCreation]:
    """Two services on one database, each with a cache of its own: two bot processes."""
    return CharacterCreation(db, Dice(random.Random(1))), CharacterCreation(db, Dice(random.Random(2)))


@pytest.fixture
def alice() -> Actor:
    return Actor(user_id=1, guild_id=random.randrange(1, 2**62), channel_id=10)


async def make(service: CharacterCreation, actor: Actor, name: str) -> Sheet:
    draft = await service.start_draft(
        actor, name=name, race="dwarf", klass="fighter", background="acolyte", method="standard"
    )
    return await service.create(actor, draft, Choices(skills=("athletics", "perception")))


@contextmanager
def counted_queries(db: Database) -> Iterator[list[str]]:
    """Every statement sent: through SQLAlchemy, and the hot reads on asyncpg directly (Postgres)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    real_fetchrow = db.fetchrow

    async def fetchrow(query: str, *args: Any) -> Any:
        statements.append(query)
        return await real_fetchrow(query, *args)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    db.fetchrow = fetchrow  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        db.fetchrow = real_fetchrow  # type: ignore[method-assign]


async def test_a_read_is_one_query_cold_and_warm(
    db: Database, shards: tuple[CharacterCreation, CharacterCreation], alice: Actor
) -> None:
    service, _ = shards
    made = await make(service, alice, "Tordek")
    with counted_queries(db) as cold:
        first = await service.get(alice)
    with counted_queries(db) as warm:
        second = await service.get(alice)
    assert first == made and second is first  # the warm read is the cached sheet
    assert len(cold) == 1 and len(warm) == 1
    assert "inventory" in cold[0] and "inventory" not in warm[0]  # warm: the stamp only
    assert db.has_hot_reads is not db.is_sqlite  # on Postgres the stamp goes to asyncpg directly


async def test_a_change_by_another_process_is_seen(
    shards: tuple[CharacterCreation, CharacterCreation], alice: Actor
) -> None:
    here, there = shards
    await make(here, alice, "Tordek")
    before = await here.get(alice)
    changed = await there.coins(alice, CharacterRef(), {"gp": 7})
    after = await here.get(alice)
    assert after.coins["gp"] == before.coins["gp"] + 7
    assert after.coins == changed.coins and after.version == before.version + 1


async def test_a_version_bumped_on_another_connection_is_never_served_stale(
    db: Database, database_url: str, alice: Actor
) -> None:
    # Another process: its own engine and pools. Its write (a plain UPDATE bumping the version) is
    # seen by the very next read here, warm cache or not, through the hot read path too.
    here = CharacterCreation(db, Dice(random.Random(1)))
    other = Database(database_url)
    try:
        made = await make(here, alice, "Tordek")
        assert (await here.get(alice)).hp_current == made.hp_current
        for hp in (1, 2, 3):
            async with other.transaction() as session:
                await session.execute(
                    update(Character)
                    .where(Character.id == made.id)
                    .values(hp_current=hp, version=Character.version + 1)
                )
            seen = await here.get(alice)
            assert (seen.hp_current, seen.version) == (hp, made.version + hp)
    finally:
        await other.dispose()


async def test_the_active_flag_is_fresh_without_a_version_bump(
    shards: tuple[CharacterCreation, CharacterCreation], alice: Actor
) -> None:
    here, there = shards
    await make(here, alice, "Tordek")
    await make(here, alice, "Mialee")  # the newest character is the active one
    assert not (await here.get(alice, CharacterRef(name="Tordek"))).active
    assert (await here.get(alice)).name == "Mialee"
    await there.use(alice, "Tordek")  # flips the active flags; no version bump
    assert (await here.get(alice, CharacterRef(name="Tordek"))).active
    assert (await here.get(alice)).name == "Tordek"


async def test_a_deleted_character_is_not_served_from_the_cache(
    shards: tuple[CharacterCreation, CharacterCreation], alice: Actor
) -> None:
    here, there = shards
    await make(here, alice, "Tordek")
    await here.get(alice)
    await there.delete(alice, "Tordek")
    with pytest.raises(NotFound, match="no active character"):
        await here.get(alice)
    # a new character (SQLite may hand out the deleted one's id again) is read afresh
    again = await make(there, alice, "Tordek")
    assert await here.get(alice) == again


async def test_the_cache_keeps_the_most_recently_used(db: Database, shards: tuple[Any, Any]) -> None:
    service, _ = shards
    reads = SheetReads(service.reads, size=2)
    actors = [Actor(user_id=u, guild_id=random.randrange(1, 2**62), channel_id=10) for u in (1, 2, 3)]
    for actor in actors:
        await make(service, actor, "Tordek")
        assert await reads.find(guild_of(actor), actor.user_id, None) is not None
    assert len(reads) == 2
    with counted_queries(db) as statements:
        await reads.find(guild_of(actors[0]), actors[0].user_id, None)  # dropped: read in full again
    assert "inventory" in statements[0]


async def test_a_read_finding_every_hot_connection_busy_takes_the_main_pool(postgres_url: str, alice: Actor) -> None:
    db = Database(postgres_url)
    service = CharacterCreation(db, Dice(random.Random(1)))
    try:
        made = await make(service, alice, "Tordek")
        await service.get(alice)  # opens the hot pool; the sheet is cached
        pool = await db._hot_pool()
        held = [await pool.acquire() for _ in range(db.hot_size)]
        try:
            assert db.hot_saturated
            with counted_queries(db) as warm:
                assert (await asyncio.wait_for(service.get(alice), 5)).version == made.version
            assert len(warm) == 1 and "inventory" not in warm[0]  # the stamp, through SQLAlchemy
        finally:
            for connection in held:
                await pool.release(connection)
        assert not db.hot_saturated
    finally:
        await db.dispose()
