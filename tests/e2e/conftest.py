"""The real bot through the local Discord, on real Postgres and Redis (and on SQLite where said)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

import pytest
from sqlalchemy import delete, update

from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign, Character, Combat

make_settings = isolated_settings


@pytest.fixture
async def session(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    """dmbot on Postgres with Redis limits, connected to a fresh local Discord."""
    settings = make_settings(postgres_url, redis_url=redis_url, rate_redis_key_prefix=key_prefix)
    async with running_bot(settings, rng=random.Random(20)) as running:
        yield running
        running.discord.assert_no_violations()
        await close_the_table(running)


async def close_the_table(session: SandboxSession) -> None:
    """End what a test left running: the database lives for the whole run, and every test's local
    Discord hands out the same ids, so a campaign left active would occupy the next test's channel."""
    async with session.services.db.transaction() as db:
        await db.execute(update(Combat).where(Combat.status == "active").values(status="ended"))
        await db.execute(update(Campaign).where(Campaign.status != "ended").values(status="ended"))


@pytest.fixture
async def sqlite_session(sqlite_url: str) -> AsyncIterator[SandboxSession]:
    """dmbot on the embedded defaults: SQLite and the in-process limiter."""
    async with running_bot(make_settings(sqlite_url), rng=random.Random(21)) as running:
        yield running
        running.discord.assert_no_violations()


Hero = tuple[str, str, str, str]  # the user, the character's name, class and race
FIGHTER_AND_WIZARD: tuple[Hero, ...] = (("alice", "Tordek", "fighter", "dwarf"), ("bob", "Lia", "wizard", "elf"))
PartyCampaign = Callable[..., AbstractAsyncContextManager[tuple[int, int]]]


@pytest.fixture
def campaign_with_party(session: SandboxSession) -> PartyCampaign:
    """`async with campaign_with_party("arena", "Arena", heroes) as (campaign_id, channel_id):` a campaign in
    a new channel, run by dungeonmaster, with the heroes' fresh characters as its party."""
    return partial(seated_party, session)


@asynccontextmanager
async def seated_party(
    session: SandboxSession,
    channel: str,
    name: str,
    heroes: Sequence[Hero] = FIGHTER_AND_WIZARD,
    *,
    hit_points: int | None = None,
) -> AsyncIterator[tuple[int, int]]:
    """The campaign row written directly (the campaign commands have tests of their own) and the heroes in
    it: only a campaign's party joins its fights. `hit_points` sets their maximum and current HP. The
    campaign is deleted afterwards, its fights with it (ON DELETE CASCADE)."""
    guild = session.world.guild
    room = session.world.add_channel(guild.id, channel)
    for user, hero, klass, race in heroes:
        await session.make_character(user, hero, klass=klass, race=race)
    async with session.services.db.transaction() as db:
        row = Campaign(
            guild_id=guild.id,
            channel_id=room.id,
            dm_id=session.user_id("dungeonmaster"),
            name=name,
            settings={},
            safety={},
            scene={},
        )
        db.add(row)
        await db.flush()
        campaign = row.id
        owners = [session.user_id(user) for user, *_ in heroes]  # each user's one live character here
        sheets = {"hp_max": hit_points, "hp_current": hit_points} if hit_points is not None else {}
        live = Character.owner_id.in_(owners) & (Character.guild_id == guild.id)
        await db.execute(update(Character).where(live).values(campaign_id=campaign, **sheets))
    try:
        yield campaign, room.id
    finally:
        async with session.services.db.transaction() as db:
            await db.execute(delete(Campaign).where(Campaign.id == campaign))
