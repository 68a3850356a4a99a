"""The health sidecar of the running bot: /live, /ready, /health and /metrics answer as the guides say,
and /ready turns 503 while Redis or Postgres is stopped and 200 again once they are back."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.health import HealthServer
from bot.probes import BotProbes
from bot.testbed.databases import create_database
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from bot.testbed.processes import PostgresProcess, RedisProcess

pytestmark = pytest.mark.skipif(
    shutil.which("runuser") is None or shutil.which("redis-server") is None,
    reason="needs runuser and redis-server to run private servers",
)


@dataclass
class Deployment:
    session: SandboxSession
    http: aiohttp.ClientSession
    base: str
    postgres: PostgresProcess
    redis: RedisProcess

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as response:
            return response.status, await response.text()

    async def wait_ready(self, expected: int, timeout: float = 15.0) -> str:  # noqa: ASYNC109
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status, body = await self.get("/ready")
            if status == expected:
                return body
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"/ready stayed {status} ({body}), expected {expected}")
            await asyncio.sleep(0.2)


@pytest.fixture
def servers() -> Iterator[tuple[PostgresProcess, RedisProcess]]:
    postgres, redis = PostgresProcess(), RedisProcess()
    try:
        postgres.init()
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.stop()
        postgres.remove()


@pytest.fixture
async def deployment(servers: tuple[PostgresProcess, RedisProcess]) -> AsyncIterator[Deployment]:
    postgres, redis = servers
    url = await create_database(postgres.server_url, prefix="dmbot_health")
    settings = isolated_settings(url, redis_url=redis.url, redis_retry_interval_seconds=0.2, health_port=0)
    async with running_bot(settings) as session:
        health = HealthServer.from_settings(
            session.services.settings, BotProbes(session.bot, session.services), session.services.metrics
        )
        await health.start()
        try:
            async with aiohttp.ClientSession() as http:
                yield Deployment(session, http, f"http://127.0.0.1:{health.port}", postgres, redis)
        finally:
            await health.stop()


async def test_probes_answer_while_everything_is_up(deployment: Deployment) -> None:
    await deployment.session.run("roll", {"expression": "1d20"})
    assert (await deployment.get("/live"))[0] == 200
    assert (await deployment.get("/ready"))[0] == 200
    status, body = await deployment.get("/health")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok" and health["version"]
    assert health["database"]["status"] == "ok" and health["redis"]["status"] == "ok"
    assert health["llm"]["status"] == "off"  # the offline narrator needs no endpoint
    assert isinstance(health["shards"]["0"], float)
    status, metrics = await deployment.get("/metrics")
    assert status == 200
    assert 'dmbot_interactions_total{command="roll",outcome="ok"} 1.0' in metrics
    assert "dmbot_interaction_seconds_bucket" in metrics and "dmbot_db_pool_connections" in metrics


async def test_ready_follows_redis_and_postgres(deployment: Deployment) -> None:
    deployment.redis.stop()
    body = await deployment.wait_ready(503)
    assert "redis" in body
    deployment.redis.start()
    await deployment.wait_ready(200)

    await asyncio.to_thread(deployment.postgres.stop, "immediate")
    body = await deployment.wait_ready(503)
    assert "database" in body
    await asyncio.to_thread(deployment.postgres.start)
    await deployment.wait_ready(200)
    handle = await deployment.session.run("roll", {"expression": "1d6"})  # and the bot serves again
    assert handle.messages[-1].embeds
