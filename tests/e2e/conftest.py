"""The real bot through the local Discord, on real Postgres and Redis (and on SQLite where said)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign, Combat

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
