"""The rate limiter against real Redis: the shared server (own key prefix per test) for the
semantics, and a private redis-server subprocess for SCRIPT FLUSH and outages."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from redis.asyncio import Redis

from bot import limits
from bot.limits import (
    EXPIRY_SLACK_MS,
    REDIS_OUTAGE_ERRORS,
    BucketSpec,
    InProcessBuckets,
    RateLimiter,
    RedisBuckets,
)
from bot.metrics import Metrics
from bot.settings import Settings
from bot.testbed.processes import RedisProcess

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server binary not installed"),
]


@pytest.fixture
async def shared() -> AsyncIterator[tuple[Redis, str]]:
    """A client of the shared server and a key prefix of this test's own, deleted afterwards."""
    client = Redis.from_url(SHARED_REDIS_URL)
    prefix = f"test:rl:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(url: str, prefix: str = "dmbot:rl:", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": url,
        "rate_redis_key_prefix": prefix,
        "rate_user_capacity": 10,
        "rate_user_refill_per_second": 0.001,
        "rate_guild_capacity": 1000,
        "rate_guild_refill_per_second": 0.001,
        # These tests are about atomicity and sharing: a busy machine must not turn a slow reply into a
        # fallback (an outage is a refused connection here, which fails at once whatever the timeout).
        "redis_socket_timeout_seconds": 5.0,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


def buckets(client: Redis, prefix: str, user: tuple[int, float], guild: tuple[int, float]) -> RedisBuckets:
    return RedisBuckets(client, BucketSpec(*user), BucketSpec(*guild), prefix=prefix)


async def test_concurrent_checks_are_atomic(shared: tuple[Redis, str]) -> None:
    _, prefix = shared
    limiter = RateLimiter.from_settings(settings(SHARED_REDIS_URL, prefix))
    decisions = await asyncio.gather(*(limiter.check(42, 7, "roll") for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10
    refused = [d for d in decisions if not d.allowed]
    assert {d.scope for d in refused} == {"user"}
    assert all(d.retry_after > 0 for d in refused)
    assert not limiter.degraded
    await limiter.aclose()


async def test_two_limiters_share_one_truth(shared: tuple[Redis, str]) -> None:
    _, prefix = shared
    first = RateLimiter.from_settings(settings(SHARED_REDIS_URL, prefix))
    second = RateLimiter.from_settings(settings(SHARED_REDIS_URL, prefix))
    assert (await first.check(1, 7, "narrate")).allowed  # 5 of 10
    assert (await second.check(1, 7, "narrate")).allowed  # 10 of 10
    assert not (await first.check(1, 7, "roll")).allowed
    assert not (await second.check(1, 7, "roll")).allowed
    await first.aclose()
    await second.aclose()


async def test_guild_refusal_charges_no_user(shared: tuple[Redis, str]) -> None:
    client, prefix = shared
    rb = buckets(client, prefix, user=(10, 0.001), guild=(2, 0.5))
    assert (await rb.check(1, 7, 1)).allowed
    assert (await rb.check(2, 7, 1)).allowed
    refused = await rb.check(3, 7, 1)
    assert (refused.allowed, refused.scope) == (False, "guild")
    assert 1.9 < refused.retry_after <= 2.0
    assert await client.exists(rb.user_key(3)) == 0  # nothing written for user 3


async def test_keys_expire_once_refilled(shared: tuple[Redis, str]) -> None:
    client, prefix = shared
    rb = buckets(client, prefix, user=(20, 0.5), guild=(300, 5.0))
    await rb.check(1, 7, 5)
    user_ttl, guild_ttl = await client.pttl(rb.user_key(1)), await client.pttl(rb.guild_key(7))
    # refill 5 tokens: 10 s for the user, 1 s for the guild; plus the slack
    assert 10_000 < user_ttl <= 10_000 + EXPIRY_SLACK_MS
    assert 1_000 < guild_ttl <= 1_000 + EXPIRY_SLACK_MS
    # one number per bucket: the server time (ms) at which it is full again
    saved = await client.get(rb.user_key(1))
    assert saved is not None
    full_in = float(saved) - await _server_ms(client)
    assert 9_000 < full_in <= 10_000


async def test_refill_follows_the_server_clock(shared: tuple[Redis, str]) -> None:
    client, prefix = shared
    rb = buckets(client, prefix, user=(2, 40.0), guild=(100, 100.0))
    assert (await rb.check(1, None, 2)).allowed
    refused = await rb.check(1, None, 1)
    assert not refused.allowed and 0 < refused.retry_after <= 0.025
    await asyncio.sleep(refused.retry_after + 0.01)
    assert (await rb.check(1, None, 1)).allowed


async def test_cost_above_capacity_is_refusable_with_a_finite_wait(shared: tuple[Redis, str]) -> None:
    client, prefix = shared
    rb = buckets(client, prefix, user=(5, 0.5), guild=(300, 5.0))
    assert (await rb.check(1, 7, 50)).allowed  # a full bucket: clamped to 5 and emptied
    refused = await rb.check(1, 7, 50)
    assert (refused.allowed, refused.scope) == (False, "user")
    assert 9.9 < refused.retry_after <= 10.0  # time to refill the whole bucket


async def test_same_decisions_as_the_in_process_buckets(shared: tuple[Redis, str]) -> None:
    # The script and InProcessBuckets are two implementations of one rule; refills slow enough that
    # the milliseconds this test takes do not count, so both see the same levels.
    client, prefix = shared
    user, guild = BucketSpec(6, 0.001), BucketSpec(9, 0.002)
    rb = RedisBuckets(client, user, guild, prefix=prefix)
    local = InProcessBuckets(user, guild, clock=FakeClock())
    steps = [(1, 7, 2), (2, 7, 3), (1, 7, 5), (1, None, 4), (3, 7, 1), (2, 7, 2), (3, 7, 1), (4, 7, 20), (4, None, 20)]
    for user_id, guild_id, cost in steps:
        remote, here = await rb.check(user_id, guild_id, cost), local.check(user_id, guild_id, cost)
        assert (remote.allowed, remote.scope) == (here.allowed, here.scope), (user_id, guild_id, cost)
        assert remote.retry_after == pytest.approx(here.retry_after, rel=1e-3)


async def test_checks_sent_together_decide_as_one_after_another(
    shared: tuple[Redis, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checks that queue while a run is in flight go out as one batch, decided in arrival order, with
    # keys repeated within it (one user, one guild) and checks without a guild among them. (One run in
    # flight: several would race to the server in any order.)
    monkeypatch.setattr(limits, "MAX_IN_FLIGHT", 1)
    client, prefix = shared
    user, guild = BucketSpec(6, 0.001), BucketSpec(9, 0.002)
    rb = RedisBuckets(client, user, guild, prefix=prefix)
    local = InProcessBuckets(user, guild, clock=FakeClock())
    steps = [(1, 7, 2), (2, 7, 3), (1, 7, 5), (1, None, 4), (3, 7, 1), (2, 7, 2), (3, 7, 1), (4, 7, 20), (4, None, 20)]
    remote = await asyncio.gather(*(rb.check(*step) for step in steps))
    for step, decision in zip(steps, remote, strict=True):
        here = local.check(*step)
        assert (decision.allowed, decision.scope) == (here.allowed, here.scope), step
        assert decision.retry_after == pytest.approx(here.retry_after, rel=1e-3)


async def test_concurrent_checks_share_script_runs(own_redis: RedisProcess) -> None:
    client = Redis.from_url(own_redis.url)
    rb = buckets(client, "t:", user=(100, 0.001), guild=(1000, 0.001))
    # loads both scripts (one check alone, a batch)
    await asyncio.gather(*(rb.check(user, 7, 1) for user in range(limits.MAX_IN_FLIGHT + 1)))
    await client.config_resetstat()
    decisions = await asyncio.gather(*(rb.check(user, 7, 1) for user in range(40)))
    assert all(d.allowed for d in decisions)
    calls = (await client.info("commandstats"))["cmdstat_evalsha"]["calls"]
    assert calls == limits.MAX_IN_FLIGHT + 1  # the first ones alone, the rest that queued behind them together
    assert await client.get(rb.guild_key(7)) is not None
    await rb.aclose()


async def test_an_outage_reaches_every_check_of_a_batch(own_redis: RedisProcess) -> None:
    client = Redis.from_url(own_redis.url, socket_timeout=2.0)
    rb = buckets(client, "t:", user=(100, 0.001), guild=(1000, 0.001))
    await rb.check(1, 7, 1)
    own_redis.stop()
    results = await asyncio.gather(*(rb.check(user, 7, 1) for user in range(5)), return_exceptions=True)
    assert all(isinstance(r, REDIS_OUTAGE_ERRORS) for r in results), results
    own_redis.start()
    assert (await rb.check(1, 7, 1)).allowed  # the line is free again
    await rb.aclose()


async def test_one_check_is_four_server_calls(own_redis: RedisProcess) -> None:
    client = Redis.from_url(own_redis.url)
    rb = buckets(client, "t:", user=(3, 0.001), guild=(10, 0.001))
    await rb.check(1, 7, 1)  # loads the script (NOSCRIPT the first time)
    await client.config_resetstat()
    assert (await rb.check(1, 7, 1)).allowed
    stats = await client.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): entry["calls"] for name, entry in stats.items() if "config" not in name}
    assert calls == {"evalsha": 1, "time": 1, "mget": 1, "set": 2}
    await rb.aclose()


async def test_buckets_of_the_hash_generation_are_left_alone(shared: tuple[Redis, str]) -> None:
    # A process of the previous release keeps its hashes under the old names during a rolling deploy.
    client, prefix = shared
    await client.hset(f"{prefix}user:1", mapping={"tokens": 0, "ts": 0})
    await client.hset(f"{prefix}guild:7", mapping={"tokens": 0, "ts": 0})
    rb = buckets(client, prefix, user=(3, 0.001), guild=(10, 0.001))
    assert (await rb.check(1, 7, 1)).allowed
    assert await client.hgetall(f"{prefix}user:1") == {b"tokens": b"0", b"ts": b"0"}
    assert await client.type(rb.user_key(1)) == b"string"


async def test_noscript_is_recovered_by_loading_the_script_again(own_redis: RedisProcess) -> None:
    client = Redis.from_url(own_redis.url)
    rb = buckets(client, "t:", user=(3, 0.001), guild=(10, 0.001))
    assert (await rb.check(1, 7, 1)).allowed
    await client.script_flush()  # our own server only
    assert (await rb.check(1, 7, 1)).allowed
    assert (await rb.check(1, 7, 1)).allowed
    assert not (await rb.check(1, 7, 1)).allowed  # the state survived the flush
    await rb.aclose()


async def test_fallback_while_redis_is_down_then_recovery(own_redis: RedisProcess) -> None:
    clock, metrics = FakeClock(), Metrics()
    limiter = RateLimiter.from_settings(settings(own_redis.url, rate_user_capacity=3), metrics, clock=clock)
    attempts = _count_redis_checks(limiter)
    assert (await limiter.check(1, 7, "roll")).allowed
    own_redis.stop()
    with structlog.testing.capture_logs() as logs:
        started = time.perf_counter()
        decisions = [await limiter.check(1, 7, "roll") for _ in range(5)]
        elapsed = time.perf_counter() - started
    # the in-process buckets take over (fresh: 3 more), one Redis attempt, one log line
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[-1].scope == "user"
    assert attempts["n"] == 2 and elapsed < 1.0
    assert [e["event"] for e in logs] == ["redis_unavailable"]
    assert limiter.degraded
    ok, reason = limiter.status()
    assert not ok and reason is not None and "redis unreachable" in reason
    assert b"dmbot_rate_limiter_degraded 1.0" in metrics.render()[0]
    with pytest.raises(Exception):  # noqa: B017 - the concrete class is redis-py's business
        await limiter.ping()

    own_redis.start()
    clock.now += 0.5  # within the backoff: no new attempt yet
    await limiter.check(2, 7, "roll")
    assert attempts["n"] == 2 and limiter.degraded
    clock.now += 1.0
    with structlog.testing.capture_logs() as logs:
        assert (await limiter.check(2, 7, "roll")).allowed
    assert attempts["n"] == 3
    assert not limiter.degraded and limiter.status() == (True, None)
    assert [e["event"] for e in logs] == ["redis_recovered"]
    assert b"dmbot_rate_limiter_degraded 0.0" in metrics.render()[0]
    await limiter.aclose()


async def test_ping_brings_the_limiter_back(own_redis: RedisProcess) -> None:
    clock = FakeClock()
    limiter = RateLimiter.from_settings(settings(own_redis.url), clock=clock)
    assert 0 < await limiter.ping() < 0.25
    own_redis.stop()
    await limiter.check(1, 7, "roll")
    assert limiter.degraded
    own_redis.start()
    await limiter.ping()
    assert not limiter.degraded
    await limiter.aclose()


async def test_refuse_mode_refuses_everything_while_down(own_redis: RedisProcess) -> None:
    clock, metrics = FakeClock(), Metrics()
    limiter = RateLimiter.from_settings(
        settings(own_redis.url, redis_failure_mode="refuse", redis_retry_interval_seconds=2.0), metrics, clock=clock
    )
    assert (await limiter.check(1, 7, "roll")).allowed
    own_redis.stop()
    refused = await limiter.check(1, 7, "roll")
    assert (refused.allowed, refused.scope) == (False, "unavailable")
    assert refused.retry_after == pytest.approx(2.0)
    clock.now += 1.5
    assert (await limiter.check(1, 7, "roll")).retry_after == pytest.approx(1.0)
    assert b'dmbot_rate_limit_refusals_total{scope="unavailable"} 2.0' in metrics.render()[0]
    own_redis.start()
    clock.now += 1.0
    assert (await limiter.check(1, 7, "roll")).allowed
    await limiter.aclose()


async def test_a_hung_redis_times_out_fast() -> None:
    # A TCP listener that never answers: the socket timeout, not the OS, decides.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        limiter = RateLimiter.from_settings(settings(url, redis_socket_timeout_seconds=0.2))
        started = time.perf_counter()
        assert (await limiter.check(1, 7, "roll")).allowed
        assert time.perf_counter() - started < 0.6
        assert limiter.degraded
        await limiter.aclose()


async def _server_ms(client: Redis) -> float:
    seconds, micros = await client.time()
    return seconds * 1000 + micros / 1000


def _count_redis_checks(limiter: RateLimiter) -> dict[str, int]:
    """Count the calls that reach RedisBuckets.check (the real one still runs)."""
    redis = limiter._redis
    assert isinstance(redis, RedisBuckets)
    counter = {"n": 0}
    real = redis.check

    async def counting(user_id: int, guild_id: int | None, cost: int) -> Any:
        counter["n"] += 1
        return await real(user_id, guild_id, cost)

    redis.check = counting  # type: ignore[method-assign]
    return counter
