"""What the benchmarks share: round trips through the local Discord, timed by the sandbox's clock,
for dmbot and for a bare discord.py bot measured in the same run (the machine is shared and noisy)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.endpoints import discord_py_pointed_at
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.server import LocalDiscord
from bot.testbed.bare import build_bare_bot

Invoke = Callable[[int], Awaitable[InteractionHandle]]  # (iteration) -> the handle of one interaction


@dataclass
class Figures:
    name: str
    latencies: list[float]  # seconds, dispatch → the bot's initial response
    throughput: float  # interactions per second with `in_flight` at once

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    def line(self) -> str:
        return (
            f"{self.name:<28} median {self.median * 1000:7.2f} ms   p99 {self.p99 * 1000:7.2f} ms   "
            f"{self.throughput:8.1f} interactions/s"
        )


async def response_time(handle: InteractionHandle) -> float:
    callback = await handle.response(timeout=10)
    await handle.done(timeout=10)
    return callback.at - handle.dispatched_at


async def measure(name: str, invoke: Invoke, *, samples: int, in_flight: int, seconds: float) -> Figures:
    """Latency of `samples` sequential round trips, then throughput with `in_flight` concurrent callers."""
    for warmup in range(20):
        await response_time(await invoke(warmup))
    latencies = [await response_time(await invoke(i)) for i in range(samples)]
    done = 0
    deadline = time.monotonic() + seconds

    async def caller(worker: int) -> None:
        nonlocal done
        i = 0
        while time.monotonic() < deadline:
            await response_time(await invoke(worker * 1_000_000 + i))
            i += 1
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(caller(w) for w in range(in_flight)))
    return Figures(name, latencies, done / (time.monotonic() - started))


def bench_discord() -> LocalDiscord:
    """The local Discord both bots talk to in a benchmark. It does not check each body against Discord's
    published contract (the tests do): that jsonschema walk is the test double's work, not a bot's, and
    it grows with the body, so it charged an embed-sized reply ~0.8 ms that a constant `/ping` never paid."""
    return LocalDiscord(enforce_contract=False)


@asynccontextmanager
async def bare_bot_session() -> AsyncIterator[LocalDiscord]:
    """A bare discord.py bot answering `/ping` with a constant, on its own local Discord."""
    async with bench_discord() as discord:
        with discord_py_pointed_at(discord.api_base_url, discord.gateway_url):
            bot = build_bare_bot()
            task = asyncio.create_task(bot.start(discord.token))
            try:
                await discord.wait_until_ready()
                await bot.wait_until_ready()
                await bot.tree.sync()
                yield discord
            finally:
                await bot.close()
                await asyncio.gather(task, return_exceptions=True)


def ping_invoker(discord: LocalDiscord) -> Invoke:
    user = discord.world.user("alice").id
    channel = discord.world.guild.channel("tavern").id
    return lambda _i: discord.invoke("ping", user_id=user, channel_id=channel)


def merge(runs: list[Figures]) -> Figures:
    """Several rounds of one measurement as one: all latencies, the mean throughput."""
    return Figures(runs[0].name, [x for r in runs for x in r.latencies], sum(r.throughput for r in runs) / len(runs))


def report(title: str, baseline: Figures, subject: Figures, targets: Mapping[str, Any] | None = None) -> bool:
    """Print both figures and the ratios; return whether the targets (if any) hold."""
    latency_ratio = subject.median / baseline.median
    throughput_ratio = subject.throughput / baseline.throughput
    print(f"== {title}")
    print(baseline.line())
    print(subject.line())
    print(
        f"ratio: median {latency_ratio:.2f}x the bare bot's, p99 {subject.p99 / baseline.p99:.2f}x, "
        f"throughput {throughput_ratio:.2f}x"
    )
    targets = targets or {}
    ok = True
    if "max_median_ratio" in targets:
        hit = latency_ratio <= targets["max_median_ratio"]
        ok &= hit
        print(f"target median <= {targets['max_median_ratio']}x: {'met' if hit else 'MISSED'}")
    if "min_throughput_ratio" in targets:
        hit = throughput_ratio >= targets["min_throughput_ratio"]
        ok &= hit
        print(f"target throughput >= {targets['min_throughput_ratio']}x: {'met' if hit else 'MISSED'}")
    return ok
