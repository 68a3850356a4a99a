"""`/character show`, `/check` and small `/roll`s check the rate limit while they read or roll (LIMIT_OVERLAPS_READ):
a refused command is still answered with the refusal only, and a refused check logs no roll."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.repositories import RollLogRepository

SLOW = "going a little fast"
CAPACITY = 3


@pytest.fixture
async def session(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        rate_user_capacity=CAPACITY,
        rate_user_refill_per_second=0.001,
    )
    async with running_bot(settings, rng=random.Random(3)) as running:
        await running.make_character()
        yield running
        running.discord.assert_no_violations()


def refused(handle: InteractionHandle) -> bool:
    """True for the refusal, False for a shown sheet or a check; anything else fails the test."""
    message = handle.messages[-1]
    if message.embeds and not handle.ephemeral:
        return False
    assert handle.ephemeral and SLOW in message.content and len(handle.messages) == 1, message.content
    return True


async def logged_rolls(session: SandboxSession) -> int:
    await session.services.rolls.flush()
    async with session.services.db.transaction() as db:
        entries = await RollLogRepository(db).recent(
            user_id=session.user_id("alice"), guild_id=session.world.guild.id, limit=1000
        )
    return len(entries)


async def test_refusals_come_before_anything_is_shown_or_logged(session: SandboxSession) -> None:
    rolls_before = await logged_rolls(session)
    check = {"skill_or_ability": "perception"}
    answers = [
        await session.run("character show"),
        await session.run("check", check),
        await session.run("check", check),
        await session.run("check", check),  # the fourth command: over the capacity of 3
        await session.run("character show"),
    ]
    assert [refused(a) for a in answers] == [False, False, False, True, True]
    assert await logged_rolls(session) == rolls_before + 2


async def test_the_refusal_wins_over_the_reads_own_error(session: SandboxSession) -> None:
    for _ in range(CAPACITY):
        await session.run("character show")
    # alice has no "Nobody": allowed, that would be an error reply; refused, it is the refusal
    missing = await session.run("character show", {"name": "Nobody"})
    assert refused(missing)


async def test_a_refused_roll_shows_and_logs_nothing_small_or_big(session: SandboxSession) -> None:
    rolls_before = await logged_rolls(session)
    answers = [
        await session.run("roll", {"expression": "1d20+5"}),  # rolled while the limit is checked
        await session.run("roll", {"expression": "20d6", "times": 3}),  # waits for the limit first
        await session.run("roll", {"expression": "2d6+3"}),
        await session.run("roll", {"expression": "1d20+5"}),  # over the capacity of 3
        await session.run("roll", {"expression": "20d6", "times": 3}),
    ]
    assert [refused(a) for a in answers] == [False, False, False, True, True]
    assert await logged_rolls(session) == rolls_before + 1 + 3 + 1
