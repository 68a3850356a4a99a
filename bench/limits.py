"""Throughput and latency of one RateLimiter.check against Redis, next to a PING from the same client.

One PING is the floor (one round trip); a check is one EVALSHA, so it should reach at least 0.9 x
the PING rate.

    .venv/bin/python bench/limits.py [--redis-url redis://127.0.0.1:6379/0] [--seconds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.limits import BucketSpec, InProcessBuckets, RateLimiter, RedisBuckets, redis_client

TARGET_RATIO = 0.9  # issue 19
SLICE_SECONDS = 0.25

Op = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Result:
    ops_per_second: float
    median_ms: float
    p99_ms: float


async def run_slice(op: Op, seconds: float, concurrency: int, latencies: list[float]) -> float:
    """Run `op` from `concurrency` workers for `seconds`; append each latency; return the time taken."""
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await op()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def compare(floor: Op, measured: Op, seconds: float, concurrency: int) -> tuple[Result, Result]:
    # Alternate short slices of both, so load from anything else on the machine hits both alike.
    samples: tuple[list[float], list[float]] = ([], [])
    elapsed = [0.0, 0.0]
    for _ in range(max(1, round(seconds / SLICE_SECONDS))):
        for i, op in enumerate((floor, measured)):
            elapsed[i] += await run_slice(op, SLICE_SECONDS, concurrency, samples[i])
    return summarize(samples[0], elapsed[0]), summarize(samples[1], elapsed[1])


def summarize(latencies: list[float], elapsed: float) -> Result:
    latencies.sort()
    return Result(
        ops_per_second=len(latencies) / elapsed,
        median_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
    )


async def server_times(client: Redis) -> dict[str, tuple[int, int]]:
    """(calls, microseconds) per command from INFO commandstats; empty where INFO is not allowed."""
    try:
        stats = await client.info("commandstats")
    except RedisError:
        return {}
    return {
        name: (stats[f"cmdstat_{name}"]["calls"], stats[f"cmdstat_{name}"]["usec"])
        for name in ("ping", "evalsha")
        if f"cmdstat_{name}" in stats
    }


def print_server_times(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> None:
    # The server's own time inside one round trip: what a check adds to the PING floor on the server.
    parts = []
    for name in ("ping", "evalsha"):
        if name in before and name in after and after[name][0] > before[name][0]:
            calls, usec = (after[name][0] - before[name][0]), (after[name][1] - before[name][1])
            parts.append(f"{name.upper()} {usec / calls:.1f} us")
    if parts:
        print("server time per call (INFO commandstats, whole server): " + ", ".join(parts))


async def main(url: str, seconds: float, concurrency: int) -> int:
    prefix = f"bench:rl:{uuid.uuid4().hex}:"
    # Buckets large enough that nothing is refused: every check runs the full read-charge-write path.
    spec = BucketSpec(10**9, 1.0)
    client = redis_client(url, socket_timeout=1.0)
    limiter = RateLimiter(
        costs={"roll": 1}, local=InProcessBuckets(spec, spec), redis=RedisBuckets(client, spec, spec, prefix=prefix)
    )
    rng = random.Random(1)
    refused = 0

    async def check() -> None:
        nonlocal refused
        decision = await limiter.check(rng.randrange(10_000), rng.randrange(100), "roll")
        refused += not decision.allowed

    async def ping() -> None:
        await client.ping()

    try:
        await limiter.check(1, 1, "roll")  # load the script, open the first connection
        print(f"redis {url}; {seconds:g} s of each op per run, in alternating {SLICE_SECONDS:g} s slices")
        print(f"{'run':<28}{'ops/s':>10}{'median ms':>12}{'p99 ms':>10}")
        worst = float("inf")
        stats_before = await server_times(client)
        for workers in (1, concurrency):
            floor, measured = await compare(ping, check, seconds, workers)
            ratio = measured.ops_per_second / floor.ops_per_second
            worst = min(worst, ratio)
            for name, result in ((f"PING x{workers}", floor), (f"RateLimiter.check x{workers}", measured)):
                print(f"{name:<28}{result.ops_per_second:>10.0f}{result.median_ms:>12.3f}{result.p99_ms:>10.3f}")
            print(f"{'ratio check/PING':<28}{ratio:>10.2f}   (target >= {TARGET_RATIO})")
        print_server_times(stats_before, await server_times(client))
        print(f"refused checks: {refused}; degraded: {limiter.degraded}")
        return 0 if worst >= TARGET_RATIO and not limiter.degraded else 1
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
        print(f"deleted {len(keys)} bench keys")
        await limiter.aclose()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each run")
    parser.add_argument("--concurrency", type=int, default=16, help="workers in the concurrent runs")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.redis_url, args.seconds, args.concurrency)))


if __name__ == "__main__":
    cli()
