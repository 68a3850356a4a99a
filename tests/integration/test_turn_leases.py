"""Turn serialisation holds no connection outside the pool: 100 concurrent slow turns (the local LLM waits
before its first token) over 10 campaigns, on Postgres, through the real `openai` client.

Every connection the bot opens to the test database is counted from `pg_stat_activity` by a watcher on a
connection of its own, every 10 ms while the turns run: the peak stays within the pool (size + overflow).
Each campaign's turns run in arrival order, one at a time, or are refused with the clear reply when its
queue is full; a lease left behind by a crashed process blocks the campaign only until it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from bot.engine.leases import LeaseBusy
from bot.engine.sheet import Actor
from bot.engine.turns import TurnOutcome, TurnTicket
from bot.sandbox.llm import LocalLLM
from bot.services import Services, open_services
from bot.settings import Settings
from persistence import leases
from persistence.repositories import TurnRepository

pytestmark = pytest.mark.postgres

POOL = 5  # pool_size 5 + max_overflow 5
CAMPAIGNS = 10
TURNS_EACH = 10
QUEUE = 5  # so in each campaign 1 runs, 5 wait (and run in order), 4 are refused


class Sink:
    def __init__(self) -> None:
        self.statuses: list[str] = []

    async def status(self, text: str) -> None:
        self.statuses.append(text)

    async def text(self, delta: str) -> None:
        return None

    async def reset(self, note: str) -> None:
        return None

    async def finish(self, outcome: TurnOutcome) -> None:
        return None


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM(first_token_delay=0.3, default_text="The lamps flicker.") as server:
        yield server


def settings(postgres_url: str, llm: LocalLLM, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": postgres_url,
        "database_pool_size": POOL,
        "openai_api_key": "sk-local",
        "openai_base_url": llm.base_url,
        "openai_model": "local-model",
        "openai_max_retries": 0,
        "turn_queue_limit": QUEUE,
        "daily_token_budget": 1_000_000,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def campaigns(services: Services, count: int) -> list[Actor]:
    """`count` campaigns in channels of one guild, each a DM (whose turns need no character)."""
    guild = random.randrange(1, 2**60)
    await services.campaign.usage.set_budget(guild, 1_000_000)
    dms = [Actor(random.randrange(1, 2**60), guild, random.randrange(1, 2**60)) for _ in range(count)]
    for n, dm in enumerate(dms):
        await services.campaign.campaigns.create(dm, f"Lease Hall {n}")
    return dms


class Watcher:
    """The most connections to the test database seen at once (the watcher's own left out)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://")
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self, conn: asyncpg.Connection) -> None:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        while True:
            self.peak = max(self.peak, int(await conn.fetchval(query)))
            await asyncio.sleep(0.01)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[Watcher]:
        conn = await asyncpg.connect(self.url)
        self._task = asyncio.create_task(self._run(conn))
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await conn.close()


async def test_a_hundred_slow_turns_hold_at_most_the_pools_connections(postgres_url: str, llm: LocalLLM) -> None:
    async with open_services(settings(postgres_url, llm)) as services:
        dms = await campaigns(services, CAMPAIGNS)
        turns = services.campaign.turns
        tickets: list[TurnTicket] = []
        for dm in dms:
            for n in range(TURNS_EACH):
                tickets.append(await turns.prepare(dm, f"The DM's turn {n}", "Dee"))
        sinks = [Sink() for _ in tickets]
        async with Watcher(postgres_url).watching() as watcher:
            started = time.monotonic()
            running = asyncio.gather(
                *(turns.run(t, s) for t, s in zip(tickets, sinks, strict=True)), return_exceptions=True
            )
            await asyncio.sleep(0.2)  # every queue full: one more is refused before its reply would be deferred
            with pytest.raises(LeaseBusy, match="Another turn is being resolved"):
                await turns.prepare(dms[0], "One turn too many", "Dee")
            results = await running
            took = time.monotonic() - started
        print(f"100 slow turns in {took:.1f} s: at most {watcher.peak} connections (pool {POOL} + overflow {POOL})")
        assert watcher.peak <= 2 * POOL, watcher.peak
        for c in range(CAMPAIGNS):
            mine = results[c * TURNS_EACH : (c + 1) * TURNS_EACH]
            done = [r for r in mine if isinstance(r, TurnOutcome)]
            refused = [r for r in mine if isinstance(r, LeaseBusy)]
            assert len(done) == QUEUE + 1 and len(refused) == TURNS_EACH - QUEUE - 1, mine
            assert all("Another turn is being resolved" in str(r) for r in refused)
            assert [o.number for o in done] == list(range(1, QUEUE + 2))  # in arrival order, one at a time
            assert [isinstance(r, TurnOutcome) for r in mine] == [True] * (QUEUE + 1) + [False] * (
                TURNS_EACH - QUEUE - 1
            )
        # every turn that ran shows the thinking line too; those that waited said so first
        queued = [s for s, r in zip(sinks, results, strict=True) if isinstance(r, TurnOutcome)]
        waited = [s for s in queued if any("next in line" in status for status in s.statuses)]
        assert len(waited) == CAMPAIGNS * QUEUE and all("next in line" in s.statuses[0] for s in waited)
        async with services.db.transaction() as session:  # every lease given back
            holders = [(await leases.holder(session, t.campaign_id, "turn"))[0] for t in tickets]
        assert holders == [None] * len(tickets)


async def test_a_crashed_processs_lease_expires(postgres_url: str, llm: LocalLLM) -> None:
    async with open_services(settings(postgres_url, llm, lease_ttl_seconds=2.5, turn_wait_seconds=0.5)) as services:
        (dm,) = await campaigns(services, 1)
        turns = services.campaign.turns
        ticket = await turns.prepare(dm, "I open the vault", "Dee")
        now = datetime.now(UTC)
        async with services.db.transaction() as session:  # what a process that died mid-turn leaves behind
            assert await leases.take(
                session, ticket.campaign_id, "turn", "gone:4242:dead", now=now, until=now + timedelta(seconds=2.5)
            )
        with pytest.raises(LeaseBusy, match="Another turn is being resolved"):
            await turns.run(ticket, Sink())  # waits half a second, then says so
        await asyncio.sleep(max(0.0, (now + timedelta(seconds=2.6) - datetime.now(UTC)).total_seconds()))
        outcome = await turns.run(ticket, Sink())
        assert outcome.narration == "The lamps flicker." and outcome.number == 1
        async with services.db.transaction() as session:
            assert (await leases.holder(session, ticket.campaign_id, "turn"))[0] is None
            assert not await TurnRepository(session).running(ticket.campaign_id)


async def test_a_lease_is_renewed_while_a_long_turn_runs(postgres_url: str, llm: LocalLLM) -> None:
    """A turn longer than the lease's life keeps it: another process cannot take the campaign mid-turn."""
    llm.first_token_delay = 3.5
    async with (
        open_services(settings(postgres_url, llm, lease_ttl_seconds=1.5, turn_wait_seconds=0)) as one,
        open_services(settings(postgres_url, llm, lease_ttl_seconds=1.5, turn_wait_seconds=0)) as two,
    ):
        (dm,) = await campaigns(one, 1)
        first = asyncio.create_task(
            one.campaign.turns.run(await one.campaign.turns.prepare(dm, "I wait", "Dee"), Sink())
        )
        await asyncio.sleep(2.5)  # past the first lease's life: only renewal keeps it
        with pytest.raises(LeaseBusy):
            await two.campaign.turns.run(await two.campaign.turns.prepare(dm, "I barge in", "Dee"), Sink())
        assert (await first).number == 1
