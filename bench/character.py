"""Round trips of `/character show` and `/check` through the local Discord, next to the bare bot's `/ping`.

The character lives in a fresh Postgres database (built by the migrations), so every command reads
it from Postgres. The bare bot is measured before and after dmbot, in the same run, on a local
Discord of its own (discord.py's REST address is process-global, so the two bots take turns).
Target: dmbot's median at most 2 x the bare bot's.

    .venv/bin/python bench/character.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432] [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.engine.characters import Choices
from bot.engine.rolls import Actor
from bot.sandbox.bare import build_bare_bot
from bot.sandbox.connect import point_discord_py_at
from bot.sandbox.harness import running_bot
from bot.sandbox.server import LocalDiscord
from bot.settings import Settings
from persistence.migrate import upgrade_async

TARGET_RATIO = 2.0
WARMUP = 20


@dataclass(frozen=True)
class Result:
    name: str
    median_ms: float
    p99_ms: float
    count: int


def summarize(name: str, samples: list[float]) -> Result:
    ordered = sorted(samples)
    return Result(name, statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99)] * 1000, len(ordered))


async def measure(op: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    for _ in range(WARMUP):
        await op()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await op()
        samples.append(time.perf_counter() - started)
    return samples


async def bare_round_trips(n: int) -> list[float]:
    async with LocalDiscord() as local:
        point_discord_py_at(local.api_base_url, local.gateway_url)
        bot = build_bare_bot()
        task = asyncio.create_task(bot.start(local.token))
        try:
            await local.wait_until_ready()
            await asyncio.wait_for(bot.wait_until_ready(), timeout=15)
            await bot.tree.sync()
            alice = local.world.user("alice").id
            channel = local.world.guild.channel("tavern").id

            async def ping() -> None:
                await (await local.invoke("ping", user_id=alice, channel_id=channel)).done()

            return await measure(ping, n)
        finally:
            await bot.close()
            await asyncio.gather(task, return_exceptions=True)


async def dmbot_round_trips(database_url: str, n: int) -> dict[str, list[float]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, rate_user_capacity=1_000_000, rate_guild_capacity=1_000_000,
        rate_user_refill_per_second=1_000_000, rate_guild_refill_per_second=1_000_000, log_level="WARNING",
    )  # fmt: skip
    async with running_bot(settings, rng=random.Random(1)) as session:
        alice = session.user_id("alice")
        actor = Actor(user_id=alice, guild_id=session.world.guild.id, channel_id=session.channel_id())
        characters = session.services.characters
        draft = await characters.start_draft(
            actor, name="Tordek", race="dwarf", klass="fighter", background="acolyte", method="standard"
        )
        await characters.create(actor, draft, Choices(skills=("athletics", "perception")))

        async def show() -> None:
            await session.run("character show")

        async def check() -> None:
            await session.run("check", {"skill_or_ability": "perception"})

        return {"/character show": await measure(show, n), "/check perception": await measure(check, n)}


async def admin(server: str, statement: str) -> None:
    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def main(server: str, n: int) -> None:
    name = f"dmbot_bench_{uuid.uuid4().hex[:8]}"
    await admin(server, f'CREATE DATABASE "{name}"')
    try:
        url = f"{server}/{name}"
        await upgrade_async(url)
        bare = await bare_round_trips(n // 2)
        measured = await dmbot_round_trips(url, n)
        bare += await bare_round_trips(n - n // 2)
    finally:
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    baseline = summarize("bare /ping", bare)
    print(f"{'command':<20} {'median ms':>10} {'p99 ms':>10} {'ratio':>7}  (n)")
    print(f"{baseline.name:<20} {baseline.median_ms:>10.2f} {baseline.p99_ms:>10.2f} {1.0:>7.2f}  ({baseline.count})")
    for label, samples in measured.items():
        result = summarize(label, samples)
        ratio = result.median_ms / baseline.median_ms
        verdict = "ok" if ratio <= TARGET_RATIO else f"over the {TARGET_RATIO:.0f}x target"
        print(f"{label:<20} {result.median_ms:>10.2f} {result.p99_ms:>10.2f} {ratio:>7.2f}  ({result.count}) {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.postgres, args.n))
