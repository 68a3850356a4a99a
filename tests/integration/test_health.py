"""The health sidecar over HTTP, with real probes: Postgres through SQLAlchemy/asyncpg, and the rate
limiter's Redis on a private redis-server subprocess that the tests stop and start."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.health import HealthServer
from bot.limits import RateLimiter
from bot.metrics import Metrics
from bot.settings import Settings
from bot.testbed.processes import RedisProcess

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server binary not installed"),
]


class LiveChecks:
    """HealthChecks with real probes. Shard latencies are plain data: there is no gateway here."""

    def __init__(self, engine: AsyncEngine, limiter: RateLimiter) -> None:
        self.version = "1.2.3-test"
        self.started_at = time.time() - 5.0
        self.shards: dict[int, float | None] = {0: 0.042, 1: 0.051}
        self.database_query = "SELECT 1"
        self._engine = engine
        self._limiter = limiter

    def shard_latencies(self) -> dict[int, float | None]:
        return dict(self.shards)

    async def check_database(self) -> float:
        started = time.perf_counter()
        async with self._engine.connect() as conn:
            await conn.execute(text(self.database_query))
        return time.perf_counter() - started

    async def check_redis(self) -> float | None:
        return await self._limiter.ping() if self._limiter.uses_redis else None

    async def check_llm(self) -> float | None:
        return None  # the offline narrator


Stack = tuple[LiveChecks, Metrics, aiohttp.ClientSession, RedisProcess]


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(postgres_url, pool_size=2)
    yield engine
    await engine.dispose()


async def serve(
    checks: LiveChecks, metrics: Metrics, *, lag_interval: float = 0.05
) -> tuple[HealthServer, aiohttp.ClientSession]:
    server = HealthServer(
        "127.0.0.1", 0, checks, metrics, max_loop_lag=0.3, check_timeout=0.5, lag_interval=lag_interval
    )
    await server.start()
    return server, aiohttp.ClientSession(base_url=f"http://127.0.0.1:{server.port}")


@pytest.fixture
async def stack(engine: AsyncEngine, own_redis: RedisProcess) -> AsyncIterator[Stack]:
    metrics = Metrics()
    limiter = RateLimiter.from_settings(Settings(redis_url=own_redis.url), metrics)
    checks = LiveChecks(engine, limiter)
    server, client = await serve(checks, metrics)
    yield checks, metrics, client, own_redis
    await client.close()
    await server.stop()
    await limiter.aclose()


def block_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # deliberately synchronous: this is what a blocking call in a handler does


async def test_live_reports_loop_lag(engine: AsyncEngine) -> None:
    metrics = Metrics()
    limiter = RateLimiter.from_settings(Settings(redis_url=""), metrics)
    # a slower monitor keeps the measured lag on show long enough for the request below
    server, client = await serve(LiveChecks(engine, limiter), metrics, lag_interval=0.2)
    try:
        async with client.get("/live") as response:
            assert response.status == 200
            assert (await response.json())["live"] is True
        block_the_loop(0.6)  # at least 0.6 - 0.2 = 0.4 s late, whatever the phase of the monitor
        await asyncio.sleep(0.01)  # let the lag monitor wake (late) first
        async with client.get("/live") as response:
            assert response.status == 503
            assert (await response.json())["loop_lag_seconds"] > 0.3
        await asyncio.sleep(0.3)
        async with client.get("/live") as response:
            assert response.status == 200
    finally:
        await client.close()
        await server.stop()


async def test_ready_follows_redis_down_and_back(
    stack: Stack,
) -> None:
    _, _, client, redis = stack
    async with client.get("/ready") as response:
        assert (response.status, await response.json()) == (200, {"ready": True})
    redis.stop()
    started = time.perf_counter()
    async with client.get("/ready") as response:
        body = await response.json()
        assert response.status == 503
    assert time.perf_counter() - started < 1.0
    assert body["ready"] is False
    assert len(body["reasons"]) == 1 and body["reasons"][0].startswith("redis: ")
    redis.start()
    async with client.get("/ready") as response:
        assert response.status == 200


async def test_ready_needs_every_shard(
    stack: Stack,
) -> None:
    checks, _, client, _ = stack
    checks.shards = {0: 0.04, 1: None, 2: float("inf")}  # inf: discord.py before the first heartbeat ack
    async with client.get("/ready") as response:
        assert response.status == 503
        assert (await response.json())["reasons"] == ["shard 1 not connected", "shard 2 not connected"]
    checks.shards = {}
    async with client.get("/ready") as response:
        assert (await response.json())["reasons"] == ["no shard has connected yet"]


async def test_ready_answers_fast_when_the_database_hangs(
    stack: Stack,
) -> None:
    checks, _, client, _ = stack
    checks.database_query = "SELECT pg_sleep(5)"
    started = time.perf_counter()
    async with client.get("/ready") as response:
        body = await response.json()
        assert response.status == 503
    assert time.perf_counter() - started < 1.0
    assert body["reasons"] == ["database: timed out after 0.5 s"]


async def test_health_json(stack: Stack) -> None:
    checks, _, client, redis = stack
    checks.shards = {0: 0.042, 1: None}
    async with client.get("/health") as response:
        assert response.status == 200
        body = await response.json()
    assert body["version"] == "1.2.3-test"
    assert 5.0 <= body["uptime_seconds"] < 60
    assert body["shards"] == {"0": 42.0, "1": None}
    assert body["status"] == "degraded"  # shard 1 is down
    assert body["database"]["status"] == "ok" and body["database"]["latency_ms"] > 0
    assert body["database"]["error"] is None
    assert body["redis"]["status"] == "ok"
    assert body["llm"] == {"status": "off", "latency_ms": None, "error": None}
    redis.stop()
    async with client.get("/health") as response:
        body = await response.json()
    assert body["redis"]["status"] == "down" and body["redis"]["latency_ms"] is None
    assert "Error" in body["redis"]["error"]


async def test_ready_and_health_without_redis_configured(engine: AsyncEngine) -> None:
    metrics = Metrics()
    limiter = RateLimiter.from_settings(Settings(redis_url=""), metrics)
    server, client = await serve(LiveChecks(engine, limiter), metrics)
    try:
        async with client.get("/ready") as response:
            assert response.status == 200
        async with client.get("/health") as response:
            body = await response.json()
        assert body["redis"]["status"] == "off"
        assert body["status"] == "ok"
    finally:
        await client.close()
        await server.stop()


async def test_metrics_endpoint(stack: Stack) -> None:
    checks, metrics, client, _ = stack
    checks.shards = {0: 0.042, 1: None}
    metrics.observe_interaction("roll", "ok", 0.012)
    metrics.observe_interaction("narrate", "rate_limited", 0.002)
    metrics.add_llm_usage("gpt-4o-mini", 120, 80, 0.0003, 1.7)
    metrics.rate_limited("user")
    metrics.set_pool_source(lambda: (3, 10))
    async with client.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text_body = await response.text()
    for line in (
        'dmbot_interactions_total{command="roll",outcome="ok"} 1.0',
        'dmbot_interaction_seconds_count{command="narrate"} 1.0',
        'dmbot_llm_tokens_total{kind="prompt",model="gpt-4o-mini"} 120.0',
        'dmbot_llm_tokens_total{kind="completion",model="gpt-4o-mini"} 80.0',
        'dmbot_llm_cost_usd_total{model="gpt-4o-mini"} 0.0003',
        'dmbot_llm_seconds_count{model="gpt-4o-mini"} 1.0',
        'dmbot_rate_limit_refusals_total{scope="user"} 1.0',
        'dmbot_db_pool_connections{state="in_use"} 3.0',
        'dmbot_db_pool_connections{state="idle"} 7.0',
        'dmbot_gateway_latency_seconds{shard="0"} 0.042',
    ):
        assert line in text_body, line
    assert 'shard="1"' not in text_body  # a disconnected shard has no latency


class CountingLlm(LiveChecks):
    """The checks with an LLM probe that counts how often /health asks for it (each one is a provider call)."""

    def __init__(self, engine: AsyncEngine, limiter: RateLimiter) -> None:
        super().__init__(engine, limiter)
        self.llm_probes = 0

    async def check_llm(self) -> float | None:
        self.llm_probes += 1
        await asyncio.sleep(0.05)  # a provider's round trip: concurrent requests overlap it
        return 0.05


async def test_health_reuses_the_llm_probe_for_its_ttl(engine: AsyncEngine) -> None:
    metrics = Metrics()
    limiter = RateLimiter.from_settings(Settings(redis_url=""), metrics)
    checks = CountingLlm(engine, limiter)
    now = [1000.0]
    server = HealthServer(
        "127.0.0.1", 0, checks, metrics, check_timeout=0.5, llm_cache_seconds=30, monotonic=lambda: now[0]
    )
    await server.start()
    client = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{server.port}")

    async def health() -> dict[str, Any]:
        async with client.get("/health") as response:
            return dict(await response.json())

    try:
        bodies = await asyncio.gather(*(health() for _ in range(20)))  # a burst of requests: one provider call
        assert checks.llm_probes == 1 and all(b["llm"]["status"] == "ok" for b in bodies)
        now[0] += 29
        await health()
        assert checks.llm_probes == 1  # still fresh
        now[0] += 2
        await health()
        assert checks.llm_probes == 2  # the TTL passed: probed again
    finally:
        await client.close()
        await server.stop()
