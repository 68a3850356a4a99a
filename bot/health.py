"""The health sidecar: a small aiohttp server inside the bot's process, on its own port.

/live    200 while the event loop answers in time (503 once its measured lag passes the bound)
/ready   200 when every shard is connected and the database and Redis (if configured) answer
/health  JSON detail for humans and dashboards (always 200)
/metrics Prometheus text
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from aiohttp import web

from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.settings import Settings


class HealthChecks(Protocol):
    """What the bot provides to the sidecar. Each check returns its latency in seconds, raises on
    failure, and (redis, llm) returns None when that dependency is not configured."""

    @property
    def version(self) -> str: ...

    @property
    def started_at(self) -> float:
        """Wall-clock start time (`time.time()`)."""
        ...

    def shard_latencies(self) -> dict[int, float | None]:
        """Heartbeat latency per shard; None while a shard is not connected."""
        ...

    async def check_database(self) -> float: ...

    async def check_redis(self) -> float | None: ...

    async def check_llm(self) -> float | None: ...


ProbeStatus = Literal["ok", "down", "off"]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: ProbeStatus
    latency_ms: float | None = None
    error: str | None = None


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        checks: HealthChecks,
        metrics: Metrics,
        *,
        max_loop_lag: float = 1.0,
        check_timeout: float = 1.0,
        lag_interval: float = 0.5,
        clock: Callable[[], float] = time.time,
        llm_cache_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._checks = checks
        self._metrics = metrics
        self._max_loop_lag = max_loop_lag
        self._check_timeout = check_timeout
        self._lag_interval = lag_interval
        self._clock = clock
        # The LLM probe calls the provider (GET /models): /health reuses one result for a while, and
        # concurrent requests share one probe, so nobody can turn /health into a flood on the provider.
        self._llm_cache_seconds = llm_cache_seconds
        self._monotonic = monotonic
        self._llm_cached: tuple[float, ProbeResult] | None = None
        self._llm_lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self._lag_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self.loop_lag = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, checks: HealthChecks, metrics: Metrics) -> HealthServer:
        return cls(
            settings.health_host,
            settings.health_port,
            checks,
            metrics,
            max_loop_lag=settings.health_max_loop_lag_seconds,
            check_timeout=settings.health_check_timeout_seconds,
            llm_cache_seconds=settings.health_llm_cache_seconds,
        )

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the health server is not started")
        return self._port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/live", self._live)
        app.router.add_get("/ready", self._ready)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics_endpoint)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._lag_task = asyncio.create_task(self._watch_loop_lag(), name="health-loop-lag")

    async def stop(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
            self._lag_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def _watch_loop_lag(self) -> None:
        # A sleep that wakes late means callbacks (ours or anyone's) held the loop that long.
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self._lag_interval)
            self.loop_lag = max(0.0, loop.time() - start - self._lag_interval)

    async def _live(self, _: web.Request) -> web.Response:
        lag = round(self.loop_lag, 4)
        if self._lag_task is None or self._lag_task.done():
            return web.json_response({"live": False, "reason": "loop lag monitor stopped"}, status=503)
        if self.loop_lag > self._max_loop_lag:
            return web.json_response({"live": False, "loop_lag_seconds": lag}, status=503)
        return web.json_response({"live": True, "loop_lag_seconds": lag})

    async def _ready(self, _: web.Request) -> web.Response:
        database, redis = await asyncio.gather(
            self._probe(self._checks.check_database), self._probe(self._checks.check_redis)
        )
        reasons = _shard_reasons(self._checks.shard_latencies())
        for name, result in (("database", database), ("redis", redis)):
            if result.status == "down":
                reasons.append(f"{name}: {result.error}")
        if reasons:
            return web.json_response({"ready": False, "reasons": reasons}, status=503)
        return web.json_response({"ready": True})

    async def _health(self, _: web.Request) -> web.Response:
        database, redis, llm = await asyncio.gather(
            self._probe(self._checks.check_database),
            self._probe(self._checks.check_redis),
            self._llm_probe(),
        )
        latencies = self._checks.shard_latencies()
        shards = {str(shard): _ms(latency) for shard, latency in latencies.items()}
        ready = not _shard_reasons(latencies) and database.status != "down" and redis.status != "down"
        body = {
            "status": "ok" if ready and llm.status != "down" else "degraded",
            "version": self._checks.version,
            "uptime_seconds": round(max(0.0, self._clock() - self._checks.started_at), 3),
            "shards": shards,
            "database": asdict(database),
            "redis": asdict(redis),
            "llm": asdict(llm),
        }
        return web.json_response(body)

    async def _metrics_endpoint(self, _: web.Request) -> web.Response:
        self._metrics.set_gateway_latencies(self._checks.shard_latencies())
        body, content_type = self._metrics.render()
        # headers, not content_type=: aiohttp refuses a content_type that carries parameters
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _llm_probe(self) -> ProbeResult:
        async with self._llm_lock:
            now = self._monotonic()
            if self._llm_cached is not None and now - self._llm_cached[0] < self._llm_cache_seconds:
                return self._llm_cached[1]
            result = await self._probe(self._checks.check_llm)
            self._llm_cached = (self._monotonic(), result)
            return result

    async def _probe(self, check: Callable[[], Awaitable[float | None]]) -> ProbeResult:
        # Bounded, so a hung dependency makes the probe say "down" instead of making it hang too.
        try:
            async with asyncio.timeout(self._check_timeout):
                latency = await check()
        except TimeoutError:
            return ProbeResult("down", error=f"timed out after {self._check_timeout:g} s")
        except Exception as exc:  # any failure of a dependency is a "down", never a 500
            return ProbeResult("down", error=f"{type(exc).__name__}: {exc}"[:300])
        if latency is None:
            return ProbeResult("off")
        return ProbeResult("ok", latency_ms=_ms(latency))


def _shard_reasons(latencies: Mapping[int, float | None]) -> list[str]:
    if not latencies:
        return ["no shard has connected yet"]
    return [f"shard {shard} not connected" for shard, lat in sorted(latencies.items()) if _ms(lat) is None]


def _ms(seconds: float | None) -> float | None:
    # discord.py reports inf before a shard's first heartbeat ack: that is "not connected"
    if seconds is None or not math.isfinite(seconds):
        return None
    return round(seconds * 1000, 2)
