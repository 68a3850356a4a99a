"""The real bot through the local Discord, on real Postgres and Redis (and on SQLite where said)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.harness import SandboxSession, isolated_settings, running_bot

make_settings = isolated_settings


@pytest.fixture
async def session(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    """dmbot on Postgres with Redis limits, connected to a fresh local Discord."""
    settings = make_settings(postgres_url, redis_url=redis_url, rate_redis_key_prefix=key_prefix)
    async with running_bot(settings, rng=random.Random(20)) as running:
        yield running
        running.discord.assert_no_violations()


@pytest.fixture
async def sqlite_session(sqlite_url: str) -> AsyncIterator[SandboxSession]:
    """dmbot on the embedded defaults: SQLite and the in-process limiter."""
    async with running_bot(make_settings(sqlite_url), rng=random.Random(21)) as running:
        yield running
        running.discord.assert_no_violations()
