"""Concurrent changes to one character on Postgres: the row lock queues them, so none is lost."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from bot.engine.characters import CharacterRef
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from persistence.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def service(postgres_url: str) -> AsyncIterator[CharacterCreation]:
    db = Database(postgres_url, pool_size=20)
    yield CharacterCreation(db, Dice(random.Random(3)))
    await db.dispose()


@pytest.fixture
async def actor(service: CharacterCreation) -> Actor:
    actor = Actor(user_id=42, guild_id=random.randrange(1, 2**62), channel_id=1)
    draft = await service.start_draft(
        actor, name="Racer", race="human", klass="fighter", background="acolyte", method="standard"
    )
    await service.create(actor, draft, Choices(skills=("athletics", "perception")))
    return actor


async def test_concurrent_coin_changes_all_kept(service: CharacterCreation, actor: Actor) -> None:
    ref = CharacterRef()
    await asyncio.gather(*(service.coins(actor, ref, {"gp": 1}) for _ in range(30)))
    assert (await service.get(actor)).coins["gp"] == 15 + 30


async def test_two_different_changes_both_kept(service: CharacterCreation, actor: Actor) -> None:
    ref = CharacterRef()
    await service.grant_xp(actor, ref, 300)  # outside a campaign a level takes its XP
    before = await service.get(actor)
    await asyncio.gather(
        service.inventory(actor, ref, "add", "torch", 3),
        service.coins(actor, ref, {"sp": 9}),
        service.edit(actor, ref, notes="kept"),
        service.set_condition(actor, ref, "poisoned", add=True),
        service.level_up(actor, ref),
    )
    after = await service.get(actor)
    had, torches = before.carried("torch"), after.carried("torch")
    assert torches is not None and torches.quantity == (had.quantity if had else 0) + 3
    assert after.coins["sp"] == 9 and after.notes == "kept" and after.level == 2
    assert [c.name for c in after.conditions] == ["poisoned"]
    assert after.version == before.version + 5


async def test_concurrent_spending_never_goes_negative(service: CharacterCreation, actor: Actor) -> None:
    ref = CharacterRef()
    results = await asyncio.gather(*(service.coins(actor, ref, {"gp": -4}) for _ in range(6)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == 3  # 15 gp pays for three
    assert (await service.get(actor)).coins["gp"] == 3


async def test_concurrent_creation_of_one_name(service: CharacterCreation, actor: Actor) -> None:
    drafts = [
        await service.start_draft(
            actor, name="Twin", race="human", klass="wizard", background="acolyte", method="standard"
        )
        for _ in range(2)
    ]
    results = await asyncio.gather(
        *(service.create(actor, d, Choices(skills=("arcana", "history"))) for d in drafts), return_exceptions=True
    )
    assert sum(isinstance(r, InvalidInput) for r in results) == 1
    names = [s.name for s in await service.list_characters(actor)]
    assert names.count("Twin") == 1
    assert sum(s.active for s in await service.list_characters(actor)) == 1


async def test_a_first_character_made_twice_at_once(service: CharacterCreation) -> None:
    """A new player has no rows to lock, so both creations reach the insert: the storage's conflict still
    becomes one clear "name taken" answer, and one character."""
    newcomer = Actor(user_id=43, guild_id=random.randrange(1, 2**62), channel_id=1)
    drafts = [
        await service.start_draft(
            newcomer, name="Echo", race="human", klass="wizard", background="acolyte", method="standard"
        )
        for _ in range(4)
    ]
    results = await asyncio.gather(
        *(service.create(newcomer, d, Choices(skills=("arcana", "history"))) for d in drafts), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 3 and all(isinstance(r, InvalidInput) and "Echo" in str(r) for r in refused)
    assert [s.name for s in await service.list_characters(newcomer)] == ["Echo"]
