"""`/roll` round trip through the local Discord, next to a bare discord.py bot in the same run.

dmbot runs as in production: Postgres, the Redis rate limiter on, every roll written to the roll log.
Usage: .venv/bin/python bench/roll.py [--samples 300] [--seconds 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figures, bare_bot_session, bench_discord, measure, merge, ping_invoker, report
from bot.sandbox.interactions import InteractionHandle
from bot.settings import Settings
from bot.testbed.databases import temporary_postgres
from bot.testbed.harness import running_bot

IN_FLIGHT = 8


async def dmbot_figures(database_url: str, samples: int, seconds: float, redis_url: str) -> Figures:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        redis_url=redis_url,
        rate_redis_key_prefix=f"dmbot-bench:{uuid.uuid4().hex[:8]}:",
        rate_user_capacity=10**9,  # the limiter checks every roll, but a benchmark must not be refused
        rate_guild_capacity=10**9,
        log_level="WARNING",
    )
    async with bench_discord() as discord, running_bot(settings, discord=discord) as session:
        user, channel = session.user_id("alice"), session.channel_id("tavern")
        expressions = ["1d20+5", "4d6kh3", "2d6+1d4+3", "1d20+7 [slashing]"]

        def invoke(i: int) -> Awaitable[InteractionHandle]:
            return session.discord.invoke(
                "roll", {"expression": expressions[i % len(expressions)]}, user_id=user, channel_id=channel
            )

        name = "dmbot /roll" + ("" if redis_url else " (in-process limiter)")
        return await measure(name, invoke, samples=samples, in_flight=IN_FLIGHT, seconds=seconds)


async def bare_figures(samples: int, seconds: float) -> Figures:
    async with bare_bot_session() as discord:
        return await measure(
            "bare bot /ping", ping_invoker(discord), samples=samples, in_flight=IN_FLIGHT, seconds=seconds
        )


async def main(samples: int, seconds: float, rounds: int, redis_url: str) -> int:
    bare_runs: list[Figures] = []
    dmbot_runs: list[Figures] = []
    async with temporary_postgres(prefix="dmbot_bench") as database_url:
        for _ in range(rounds):  # interleaved, so drifting machine load hits both alike
            bare_runs.append(await bare_figures(samples, seconds))
            dmbot_runs.append(await dmbot_figures(database_url, samples, seconds, redis_url))
    ok = report(
        f"/roll round trip, {IN_FLIGHT} in flight for throughput",
        merge(bare_runs),
        merge(dmbot_runs),
        {"max_median_ratio": 1.3, "min_throughput_ratio": 0.8},
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="empty: the in-process limiter")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.samples, args.seconds, args.rounds, args.redis_url)))
