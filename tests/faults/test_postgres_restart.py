"""Postgres restarted in the middle of a stream of commands: every command in flight either succeeds
or fails with a clear message, nothing is half-applied, and the bot recovers by itself."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import OUTAGE_MESSAGE
from bot.engine.characters import CharacterRef
from bot.testbed.databases import create_database
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from bot.testbed.processes import PostgresProcess

pytestmark = pytest.mark.skipif(shutil.which("runuser") is None, reason="needs runuser to start a private Postgres")


@pytest.fixture
def own_postgres() -> Iterator[PostgresProcess]:
    server = PostgresProcess()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
async def bot_on_own_postgres(own_postgres: PostgresProcess) -> AsyncIterator[SandboxSession]:
    url = await create_database(own_postgres.server_url, prefix="dmbot_fault")
    async with running_bot(isolated_settings(url), rng=random.Random(3)) as session:
        yield session


async def add_one_gold(session: SandboxSession) -> bool:
    """One `/character inventory coins gp:1`; True if it succeeded, False if it failed clearly."""
    handle = await session.run("character inventory", {"action": "coins", "gp": 1}, timeout=10)
    message = handle.messages[-1]
    if handle.ephemeral:
        assert message.content == f"⚠️ {OUTAGE_MESSAGE}" or message.content == OUTAGE_MESSAGE, message.content
        return False
    assert message.embeds, message
    return True


async def test_restart_mid_stream(bot_on_own_postgres: SandboxSession, own_postgres: PostgresProcess) -> None:
    session = bot_on_own_postgres
    actor = await session.make_character()
    start_gp = (await session.services.characters.get(actor, CharacterRef())).coins["gp"]
    outcomes: list[bool] = []

    async def stream() -> None:
        for _ in range(60):
            outcomes.append(await add_one_gold(session))
            await asyncio.sleep(0.05)

    async def restart() -> None:
        await asyncio.sleep(0.6)
        await asyncio.to_thread(own_postgres.stop, "immediate")  # a crash, not a polite shutdown
        await asyncio.sleep(0.8)
        await asyncio.to_thread(own_postgres.start)

    await asyncio.gather(stream(), restart())
    print("outcomes:", "".join("+" if o else "x" for o in outcomes))
    assert False in outcomes, "the restart should have failed some commands"
    first_failure = outcomes.index(False)
    recovered = [i for i in range(first_failure, len(outcomes)) if all(outcomes[i:])]
    assert recovered, f"the bot never recovered: {outcomes}"
    assert (recovered[0] - first_failure) * 0.05 < 10  # back within seconds, by itself
    final_gp = (await session.services.characters.get(actor, CharacterRef())).coins["gp"]
    assert final_gp == start_gp + outcomes.count(True)  # nothing half-applied, nothing lost
    session.discord.assert_no_violations()  # every command answered in time, once


async def test_sheets_read_on_asyncpg_directly_come_back_after_a_restart(
    bot_on_own_postgres: SandboxSession, own_postgres: PostgresProcess
) -> None:
    # `/character show` reads its stamp on the hot asyncpg pool (not SQLAlchemy's): a crash of the
    # server is a clear message while it is down, and the sheet again once it is back.
    session = bot_on_own_postgres
    await session.make_character()
    assert (await session.run("character show")).messages[-1].embeds  # the sheet, cached
    await asyncio.to_thread(own_postgres.stop, "immediate")
    down = await session.run("character show", timeout=10)
    assert down.ephemeral and OUTAGE_MESSAGE in down.messages[-1].content, down.messages[-1].content
    await asyncio.to_thread(own_postgres.start)
    for _ in range(50):
        back = await session.run("character show", timeout=10)
        if not back.ephemeral:
            break
        assert OUTAGE_MESSAGE in back.messages[-1].content, back.messages[-1].content
        await asyncio.sleep(0.1)
    assert back.messages[-1].embeds, "the sheet never came back"
    session.discord.assert_no_violations()
