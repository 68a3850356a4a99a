"""Redis stopped and started under the bot: commands keep being answered on the in-process limiter
(which still enforces the limits), readiness says "degraded", and after the restart the limits are
shared through Redis again. In refuse mode a command gets the clear "can't check" message instead."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.limits import RateLimiter
from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from bot.testbed.processes import RedisProcess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server binary not installed"),
]

CAPACITY = 10
STREAM_USERS = ("alice", "bob", "moderator", "dungeonmaster")
ROLLS_PER_STREAM_USER = 7  # with 2 before the outage: under CAPACITY, so only outage handling can refuse
SLOW = "going a little fast"
CANNOT_CHECK = "can't check its rate limits right now"


def limit_settings(database: str, redis: RedisProcess, prefix: str, **overrides: Any) -> Any:
    return isolated_settings(
        database,
        redis_url=redis.url,
        rate_redis_key_prefix=prefix,
        rate_user_capacity=CAPACITY,
        rate_user_refill_per_second=0.01,
        rate_guild_capacity=10**6,
        redis_retry_interval_seconds=0.2,
        **overrides,
    )


@pytest.fixture
async def bot_on_own_redis(
    postgres_url: str, own_redis: RedisProcess, key_prefix: str
) -> AsyncIterator[SandboxSession]:
    settings = limit_settings(postgres_url, own_redis, key_prefix)
    async with running_bot(settings, rng=random.Random(5)) as session:
        yield session
        session.discord.assert_no_violations()


async def roll(session: SandboxSession, user: str) -> InteractionHandle:
    return await session.run("roll", {"expression": "1d20+2"}, user=user, timeout=10)


def rolled(handle: InteractionHandle) -> bool:
    """True for a roll, False for a rate-limit refusal; anything else fails the test."""
    message = handle.messages[-1]
    if message.embeds and not handle.ephemeral:
        return True
    assert handle.ephemeral and (SLOW in message.content or CANNOT_CHECK in message.content), message.content
    return False


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_redis_stopped_mid_stream_then_restarted(
    bot_on_own_redis: SandboxSession, own_redis: RedisProcess, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    session, limiter = bot_on_own_redis, bot_on_own_redis.services.limiter
    for user in STREAM_USERS:  # limits live in Redis while it runs
        assert all([rolled(await roll(session, user)) for _ in range(2)])
    assert limiter.status() == (True, None)
    seen_degraded: list[tuple[bool, str | None]] = []

    async def stream(user: str) -> list[bool]:
        outcomes = []
        for _ in range(ROLLS_PER_STREAM_USER):
            outcomes.append(rolled(await roll(session, user)))
            await asyncio.sleep(0.08)
        return outcomes

    async def outage() -> None:
        await asyncio.sleep(0.2)
        await asyncio.to_thread(own_redis.stop)
        await asyncio.sleep(0.3)
        seen_degraded.append(limiter.status())

    stopping = asyncio.create_task(outage())
    streams = await asyncio.gather(*(stream(u) for u in STREAM_USERS))
    await stopping
    assert all(all(outcomes) for outcomes in streams), streams  # every command answered, none refused
    ok, reason = seen_degraded[0]
    assert not ok and reason is not None and "redis unreachable" in reason and "in-memory fallback" in reason

    # The fallback still enforces the limits, in this process: a burst past the capacity is refused.
    burst = [rolled(await roll(session, "carol")) for _ in range(CAPACITY + 3)]
    assert burst == [True] * CAPACITY + [False] * 3

    await asyncio.to_thread(own_redis.start)
    started = time.monotonic()
    while not limiter.status()[0]:  # commands themselves probe Redis again (every 0.2 s here)
        assert time.monotonic() - started < 5, "the limiter never went back to Redis"
        rolled(await roll(session, "admin"))
        await asyncio.sleep(0.05)
    print(f"\nback on Redis {time.monotonic() - started:.2f} s after the restart")
    await shared_again(session, key_prefix)
    no_errors_logged(caplog)


async def shared_again(session: SandboxSession, key_prefix: str) -> None:
    """A user who spends the bucket through this bot is refused by another process's limiter."""
    user = session.world.guild.member_named("bob").user.id  # the restarted Redis is empty: a full bucket
    assert all([rolled(await roll(session, "bob")) for _ in range(CAPACITY)])
    other_process = RateLimiter.from_settings(session.services.settings)
    try:
        decision = await other_process.check(user, session.world.guild.id, "roll")
    finally:
        await other_process.aclose()
    assert not decision.allowed and decision.scope == "user"
    client = Redis.from_url(str(session.services.settings.redis_url))
    try:
        assert await client.exists(f"{key_prefix}u:{user}")  # the user bucket (RedisBuckets.user_key)
    finally:
        await client.aclose()


async def test_refuse_mode_says_so_clearly(
    postgres_url: str, own_redis: RedisProcess, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = limit_settings(postgres_url, own_redis, key_prefix, redis_failure_mode="refuse")
    async with running_bot(settings, rng=random.Random(6)) as session:
        assert rolled(await roll(session, "alice"))
        own_redis.stop()
        refused = await roll(session, "alice")
        assert refused.ephemeral and refused.content.startswith(f"⏳ dmbot {CANNOT_CHECK}. Try again in ")
        assert not session.services.limiter.status()[0]
        own_redis.start()
        await asyncio.sleep(0.25)  # past the retry interval: the next command probes Redis
        assert rolled(await roll(session, "alice"))
        assert session.services.limiter.status() == (True, None)
        session.discord.assert_no_violations()
    no_errors_logged(caplog)
