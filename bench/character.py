"""`/character show` and `/check` round trips through the local Discord, next to a bare discord.py bot.

The character lives in a fresh Postgres database (built by the migrations), so every command reads it
from Postgres; the Redis limiter checks every command. The bare bot and dmbot take turns (discord.py's
REST address is process-global), interleaved over the rounds so drifting load hits both alike.
Targets (issue 19): dmbot's median at most 2x the bare bot's, its throughput at least 0.6x.

    .venv/bin/python bench/character.py [--samples 300] [--seconds 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import uuid
from collections.abc import Awaitable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figures, bare_bot_session, bench_discord, measure, merge, ping_invoker, report
from bot.sandbox.interactions import InteractionHandle
from bot.testbed.databases import temporary_postgres
from bot.testbed.harness import isolated_settings, running_bot

IN_FLIGHT = 8
COMMANDS = {
    "/character show": ("character show", {}),
    "/check perception": ("check", {"skill_or_ability": "perception"}),
}


async def dmbot_figures(database_url: str, samples: int, seconds: float) -> dict[str, Figures]:
    settings = isolated_settings(
        database_url,
        redis_url="redis://127.0.0.1:6379/0",
        rate_redis_key_prefix=f"dmbot-bench:{uuid.uuid4().hex}:",
        rate_user_capacity=10**9,
        rate_guild_capacity=10**9,
        log_level="WARNING",
    )
    figures: dict[str, Figures] = {}
    async with bench_discord() as discord, running_bot(settings, rng=random.Random(1), discord=discord) as session:
        await session.make_character()
        user, channel = session.user_id("alice"), session.channel_id("tavern")
        for label, (command, options) in COMMANDS.items():

            def invoke(
                _: int, command: str = command, options: dict[str, str] = options
            ) -> Awaitable[InteractionHandle]:
                return session.discord.invoke(command, options, user_id=user, channel_id=channel)

            figures[label] = await measure(label, invoke, samples=samples, in_flight=IN_FLIGHT, seconds=seconds)
    return figures


async def main(samples: int, seconds: float, rounds: int) -> int:
    bare: list[Figures] = []
    dmbot: dict[str, list[Figures]] = {label: [] for label in COMMANDS}
    async with temporary_postgres(prefix="dmbot_bench") as database_url:
        for _ in range(rounds):
            async with bare_bot_session() as discord:
                bare.append(
                    await measure(
                        "bare bot /ping", ping_invoker(discord), samples=samples, in_flight=IN_FLIGHT, seconds=seconds
                    )
                )
            for label, figures in (await dmbot_figures(database_url, samples, seconds)).items():
                dmbot[label].append(figures)
    ok = True
    for label, runs in dmbot.items():
        ok &= report(
            f"{label} round trip, {IN_FLIGHT} in flight for throughput",
            merge(bare),
            merge(runs),
            {"max_median_ratio": 2.0, "min_throughput_ratio": 0.6},
        )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.samples, args.seconds, args.rounds)))
