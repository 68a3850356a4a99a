"""The local Discord closes the bot's gateway connection mid-stream of interactions: with 4000 (the
bot RESUMEs and Discord replays what it missed) and with 4009 (the session is gone: the RESUME gets
INVALID_SESSION and the bot identifies again). Every interaction dispatched is answered exactly once,
and the roll log holds each roll once."""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import re
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import RequestRecord
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import RollLog

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BATCH = 12
USERS = ("alice", "bob", "carol")
CALLBACK_PATH = re.compile(r"/interactions/(\d+)/[^/]+/callback$")


@pytest.fixture
async def session(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(postgres_url, redis_url=redis_url, rate_redis_key_prefix=key_prefix)
    async with running_bot(settings, rng=random.Random(9)) as running:
        # discord.py waits 5 s before every IDENTIFY after the first (Discord's identify rate limit);
        # the local Discord has none, and the wait would only slow the test down.
        running.bot.before_identify_hook = _no_wait  # type: ignore[method-assign]
        yield running


async def _no_wait(shard_id: int | None, *, initial: bool = False) -> None:
    return None


class Stream:
    """Rolls with a label unique to this run, so the roll log can be checked row by row."""

    def __init__(self, session: SandboxSession) -> None:
        self.session = session
        self.run = uuid.uuid4().hex[:10]
        self.handles: list[InteractionHandle] = []

    async def batch(self) -> list[InteractionHandle]:
        """Dispatch BATCH rolls at once (not waiting for the answers)."""
        start = len(self.handles)
        fired = [
            await self.session.invoke(
                "roll", {"expression": "1d20+1", "label": f"gw-{self.run}-{start + i}"}, user=USERS[i % len(USERS)]
            )
            for i in range(BATCH)
        ]
        self.handles += fired
        return fired

    async def settle(self) -> None:
        await asyncio.gather(*(h.done(timeout=10) for h in self.handles))
        await self.session.services.rolls.flush()


async def test_resumable_and_non_resumable_closes_mid_stream(
    session: SandboxSession, caplog: pytest.LogCaptureFixture
) -> None:
    discord, stream = session.discord, Stream(session)
    await stream.batch()  # in flight while the socket closes
    await discord.disconnect(0, 4000)
    missed = await stream.batch()  # dispatched while disconnected: replayed on RESUME
    await discord.wait_until_ready(0)
    await stream.settle()
    resume = [e for e in discord.gateway_log if e.kind == "resume"]
    assert resume and resume[-1].path == "/gateway-resume"
    assert int(resume[-1].detail.split()[-1]) >= len(missed)

    await stream.batch()  # in flight while the session is invalidated
    await discord.disconnect(0, 4009)
    await discord.wait_until_ready(0)  # a RESUME refused, then a fresh IDENTIFY
    await stream.batch()
    await stream.settle()
    kinds = [e.kind for e in discord.gateway_log]
    assert kinds.count("identify") == 2 and "invalid_session" in kinds[kinds.index("disconnect", 2) :]

    print("\ngateway:", ", ".join(f"{e.kind} {e.detail}".strip() for e in discord.gateway_log))
    answered_once(discord.requests, stream.handles)
    await logged_once(session, stream)
    discord.assert_no_violations()  # nothing late, nothing answered twice
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def answered_once(requests: list[RequestRecord], handles: list[InteractionHandle]) -> None:
    callbacks = collections.Counter(
        int(m.group(1)) for r in requests if r.method == "POST" and (m := CALLBACK_PATH.search(r.path))
    )
    for handle in handles:
        assert handle.callback is not None and handle.messages[-1].embeds, f"interaction {handle.id} unanswered"
        assert callbacks[handle.id] == 1 and not handle.rejected, (handle.id, callbacks[handle.id], handle.rejected)


async def logged_once(session: SandboxSession, stream: Stream) -> None:
    engine = create_async_engine(session.services.settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(RollLog.label, sa.func.count())
                .where(RollLog.label.like(f"gw-{stream.run}-%"))
                .group_by(RollLog.label)
            )
            counts = dict(rows.tuples().all())
    finally:
        await engine.dispose()
    assert len(counts) == len(stream.handles) and set(counts.values()) == {1}, counts
