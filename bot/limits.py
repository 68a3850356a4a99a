"""Per-user and per-guild token buckets: in Redis (shared by every bot process) or in memory.

A command costs `settings.rate_command_costs.get(command, 1)` tokens and runs only if BOTH the
user's and the guild's bucket hold enough; then, and only then, both are charged. A cost larger
than a bucket's capacity is clamped to the capacity: such a command needs a full bucket and empties
it, instead of being refused forever with a retry_after that can never come true.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING, Any, Literal

import structlog
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.settings import Settings

Clock = Callable[[], float]
FailureMode = Literal["fallback", "refuse"]

# Scope reported when Redis is down and the failure mode is "refuse".
UNAVAILABLE_SCOPE = "unavailable"

# Keys live this long after they would have refilled completely (a missing key is a full bucket).
EXPIRY_SLACK_MS = 1000

# One check alone (the usual case: nothing else in flight), written out without tables or loops, which
# cost the batch script a few microseconds more per run. KEYS[1] = user bucket, KEYS[2] = guild bucket
# (absent outside guilds); ARGV[1] = cost.
# The bucket sizes are written into the script text ($placeholders, see RedisBuckets), not sent as
# arguments: each argument costs the (pure Python) client a few microseconds to encode.
# Returns one integer: 0 = allowed, else the wait in microseconds, positive when the user bucket
# refused and negative when the guild bucket did (the longer wait wins; a tie goes to the guild).
# Written out per bucket, without tables or loops: the script's cost is mostly its redis.call()s,
# and every microsecond here is one the round trip pays. So a bucket is one number, the server time
# (ms) at which it is full again (as in GCRA: its level is capacity - (full_at - now) * rate), in a
# string key that expires then (plus slack): one MGET reads both buckets and one SET ... PX writes
# value and expiry together, 4 calls in all (TIME, MGET, 2 SET) where hashes needed 7. A missing key
# is a full bucket. Numbers handed to redis.call are converted exactly (Lua's tostring would not).
# The server's clock (TIME) is the one truth shared by every bot process; if it steps back by d, a
# bucket looks d ms further from full: a wait longer by d at worst, never a token too many.
TOKEN_BUCKET_LUA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] * 0.001
local want = tonumber(ARGV[1])
local min, max, ceil = math.min, math.max, math.ceil
local saved
if KEYS[2] then saved = redis.call('MGET', KEYS[1], KEYS[2]) else saved = {redis.call('GET', KEYS[1])} end

local ucap, urate = $user_capacity, $user_per_ms
local ucost = min(want, ucap)
local udebt = 0
if saved[1] then udebt = max(0, tonumber(saved[1]) - now) end
local ulevel = ucap - udebt * urate
local uwait = 0
if ulevel < ucost then uwait = (ucost - ulevel) / urate end

if KEYS[2] then
  local gcap, grate = $guild_capacity, $guild_per_ms
  local gcost = min(want, gcap)
  local gdebt = 0
  if saved[2] then gdebt = max(0, tonumber(saved[2]) - now) end
  local glevel = gcap - gdebt * grate
  if glevel < gcost then
    local gwait = (gcost - glevel) / grate
    if gwait >= uwait then return -min(ceil(gwait * 1000), 1e15) end
  end
  if uwait == 0 then
    gdebt = gdebt + gcost / grate
    redis.call('SET', KEYS[2], now + gdebt, 'PX', ceil(gdebt) + $slack_ms)
  end
end

if uwait > 0 then return min(ceil(uwait * 1000), 1e15) end
udebt = udebt + ucost / urate
redis.call('SET', KEYS[1], now + udebt, 'PX', ceil(udebt) + $slack_ms)
return 0
"""

# A batch of checks, decided in order as if each ran alone, in one script run (the checks that queue
# up while a run is in flight go out together as the next one, see RedisBuckets): per check, ARGV holds its
# cost, and KEYS its user bucket then its guild bucket; a negative cost marks a check without a guild
# (direct messages), which has the user key only. The bucket sizes are written into the script text
# ($placeholders), not sent as arguments: each argument costs the (pure Python) client time to encode.
# Returns one integer per check: 0 = allowed, else the wait in microseconds, positive when the user
# bucket refused and negative when the guild bucket did (the longer wait wins; a tie goes to the guild).
# A bucket is one number, the server time (ms) at which it is full again (as in GCRA: its level is
# capacity - (full_at - now) * rate), in a string key that expires then (plus slack): one TIME and one
# MGET for the whole batch, then one SET ... PX per bucket charged (the last value of a key charged twice
# in a batch). A missing key is a full bucket. Numbers handed to redis.call are converted exactly.
# The server's clock (TIME) is the one truth shared by every bot process; if it steps back by d, a
# bucket looks d ms further from full: a wait longer by d at worst, never a token too many.
BATCH_LUA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] * 0.001
local min, max, ceil = math.min, math.max, math.ceil
local saved = redis.call('MGET', unpack(KEYS))
local full, charged, waits = {}, {}, {}
for i = 1, #KEYS do full[KEYS[i]] = tonumber(saved[i]) or 0 end
local ucap, urate, gcap, grate = $user_capacity, $user_per_ms, $guild_capacity, $guild_per_ms

local k = 1
for i = 1, #ARGV do
  local want = tonumber(ARGV[i])
  local ukey, gkey = KEYS[k], nil
  if want > 0 then gkey = KEYS[k + 1]; k = k + 2 else want = -want; k = k + 1 end
  local ucost = min(want, ucap)
  local udebt = max(0, full[ukey] - now)
  local ulevel = ucap - udebt * urate
  local uwait = 0
  if ulevel < ucost then uwait = (ucost - ulevel) / urate end
  local wait = 0
  if gkey then
    local gcost = min(want, gcap)
    local gdebt = max(0, full[gkey] - now)
    local glevel = gcap - gdebt * grate
    if glevel < gcost then
      local gwait = (gcost - glevel) / grate
      if gwait >= uwait then wait = -min(ceil(gwait * 1000), 1e15) end
    end
    if wait == 0 and uwait == 0 then
      full[gkey] = now + gdebt + gcost / grate
      charged[gkey] = true
    end
  end
  if wait == 0 then
    if uwait > 0 then
      wait = min(ceil(uwait * 1000), 1e15)
    else
      full[ukey] = now + udebt + ucost / urate
      charged[ukey] = true
    end
  end
  waits[i] = wait
end

for key in pairs(charged) do
  redis.call('SET', key, full[key], 'PX', ceil(full[key] - now) + $slack_ms)
end
return waits
"""

# What counts as "Redis cannot be reached" (vs. a bug, which should surface).
REDIS_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # a replica after a failover: writes are impossible for now
    redis_errors.OutOfMemoryError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class LimitDecision:
    allowed: bool
    retry_after: float  # seconds; 0 when allowed
    scope: str | None  # "user" / "guild" that refused, "unavailable" (refuse mode), None when allowed


@dataclass(frozen=True, slots=True)
class BucketSpec:
    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.refill_per_second <= 0:
            raise ValueError("a bucket needs capacity >= 1 and refill_per_second > 0")


def _allowed() -> LimitDecision:
    return LimitDecision(True, 0.0, None)


# Checks sent in one script run at most (a batch's keys are one MGET, its arguments one command).
MAX_BATCH = 256
# Script runs in flight at once per process before checks queue for a batch. One alone serialised every
# check of a busy process behind one reply waiting in the event loop's queue: the load mix (20 players,
# narrations) ran at 65 interactions/s, against 85/s sending every check at once.
MAX_IN_FLIGHT = 4

# One queued check: its keys, its cost (negative without a guild, as the script reads it), its answer.
_Queued = tuple[list[str], int, "asyncio.Future[int]"]


class RedisBuckets:
    """Both buckets checked and charged by one Lua script: atomic across processes.

    Up to MAX_IN_FLIGHT script runs are in flight per process: a check that finds a free one goes out at
    once (one EVALSHA of the one-check script, no delay); past that, the checks that arrive wait and go
    out together as the next run (the batch script) as soon as a run ends, decided in arrival order.
    Under load a check then costs a fraction of a round trip, on the client and on the server (one
    TIME and one MGET per batch), instead of a round trip of its own each.

    Owns `client` (closed by `aclose`). Outage errors (see REDIS_OUTAGE_ERRORS) propagate.
    """

    def __init__(self, client: Redis, user: BucketSpec, guild: BucketSpec, *, prefix: str = "dmbot:rl:") -> None:
        self.client = client
        self.prefix = prefix
        sizes = {
            "user_capacity": user.capacity,
            "guild_capacity": guild.capacity,
            "user_per_ms": repr(user.refill_per_second / 1000),  # repr: a valid Lua number, exact
            "guild_per_ms": repr(guild.refill_per_second / 1000),
            "slack_ms": EXPIRY_SLACK_MS,
        }
        self.script = Template(TOKEN_BUCKET_LUA).substitute(sizes)
        self.sha = hashlib.sha1(self.script.encode()).hexdigest()
        self.batch_script = Template(BATCH_LUA).substitute(sizes)
        self.batch_sha = hashlib.sha1(self.batch_script.encode()).hexdigest()
        self._in_flight = 0  # script runs sent and not answered yet
        self._queued: list[_Queued] = []
        self._batches: set[asyncio.Task[None]] = set()

    # Not the names of the hash buckets before them ("user:", "guild:"): in a rolling deploy an old
    # process's HMGET on a string key would fail with WRONGTYPE. For that overlap each generation
    # keeps buckets of its own; they expire once refilled.
    def user_key(self, user_id: int) -> str:
        return f"{self.prefix}u:{user_id}"

    def guild_key(self, guild_id: int) -> str:
        return f"{self.prefix}g:{guild_id}"

    async def check(self, user_id: int, guild_id: int | None, cost: int) -> LimitDecision:
        if cost <= 0:
            return _allowed()
        keys = [self.user_key(user_id)]
        if guild_id is not None:
            keys.append(self.guild_key(guild_id))
        if self._in_flight >= MAX_IN_FLIGHT:
            answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._queued.append((keys, cost if guild_id is not None else -cost, answer))
            return _decision(await answer)
        self._in_flight += 1
        try:
            wait_us = await self._run(self.sha, self.script, keys, [cost])
        finally:
            self._next_batch()
        return _decision(int(wait_us))

    def _next_batch(self) -> None:
        """A run ended: send what queued up meanwhile in its place, or free its place."""
        if not self._queued:
            self._in_flight -= 1
            return
        batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
        task = asyncio.ensure_future(self._send(batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _send(self, batch: list[_Queued]) -> None:
        try:
            keys = [key for keys, _, _ in batch for key in keys]
            waits = await self._run(self.batch_sha, self.batch_script, keys, [signed for _, signed, _ in batch])
        except asyncio.CancelledError:
            for _, _, answer in batch:
                answer.cancel()
            raise
        except BaseException as exc:  # each waiting check sees the error, as it would have alone
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
        else:
            for (_, _, answer), wait_us in zip(batch, waits, strict=True):
                if not answer.done():
                    answer.set_result(wait_us)
        finally:
            self._next_batch()

    async def _run(self, sha: str, script: str, keys: list[str], costs: list[int]) -> Any:
        try:
            return await self.client.evalsha(sha, len(keys), *keys, *costs)
        except redis_errors.NoScriptError:
            # Script cache emptied (restart, failover, SCRIPT FLUSH): load it and retry once.
            await self.client.script_load(script)
            return await self.client.evalsha(sha, len(keys), *keys, *costs)

    async def ping(self) -> float:
        started = time.perf_counter()
        await self.client.ping()
        return time.perf_counter() - started

    async def aclose(self) -> None:
        for task in list(self._batches):
            task.cancel()
        await asyncio.gather(*self._batches, return_exceptions=True)
        await self.client.aclose()


def _decision(wait_us: int) -> LimitDecision:
    if wait_us == 0:
        return _allowed()
    return LimitDecision(False, abs(wait_us) / 1_000_000, "user" if wait_us > 0 else "guild")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    ts: float


class InProcessBuckets:
    """The same semantics as RedisBuckets, in this process's memory, on an injectable monotonic clock."""

    def __init__(
        self, user: BucketSpec, guild: BucketSpec, *, clock: Clock = time.monotonic, prune_every: float = 60.0
    ) -> None:
        self._specs = {"user": user, "guild": guild}
        self._clock = clock
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._prune_every = prune_every
        self._last_prune = clock()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, user_id: int, guild_id: int | None, cost: int) -> LimitDecision:
        if cost <= 0:
            return _allowed()
        now = self._clock()
        self._maybe_prune(now)
        keys = [("user", user_id)] + ([("guild", guild_id)] if guild_id is not None else [])
        levels = [self._level(key, now) for key in keys]
        costs = [min(cost, self._specs[scope].capacity) for scope, _ in keys]
        refusal = self._worst_refusal(keys, levels, costs)
        if refusal is not None:
            return refusal
        for key, level, charge in zip(keys, levels, costs, strict=True):
            self._buckets[key] = _Bucket(level - charge, now)
        return _allowed()

    def _level(self, key: tuple[str, int], now: float) -> float:
        spec = self._specs[key[0]]
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(spec.capacity)
        # max(0, ...): a clock that steps back must not drain the bucket
        return min(spec.capacity, bucket.tokens + max(0.0, now - bucket.ts) * spec.refill_per_second)

    def _worst_refusal(
        self, keys: list[tuple[str, int]], levels: list[float], costs: list[int]
    ) -> LimitDecision | None:
        # Same tie rule as the Lua script: the later bucket (guild) wins a tie.
        worst: LimitDecision | None = None
        for (scope, _), level, charge in zip(keys, levels, costs, strict=True):
            if level < charge:
                wait = (charge - level) / self._specs[scope].refill_per_second
                if worst is None or wait >= worst.retry_after:
                    worst = LimitDecision(False, wait, scope)
        return worst

    def _maybe_prune(self, now: float) -> None:
        # Forget buckets that have refilled completely: a missing bucket is a full one.
        if now - self._last_prune < self._prune_every:
            return
        self._last_prune = now
        full = [key for key in self._buckets if self._level(key, now) >= self._specs[key[0]].capacity]
        for key in full:
            del self._buckets[key]


class RateLimiter:
    """What the bot calls. Uses Redis when configured, and the in-process buckets without it or
    while Redis is unreachable (or refuses everything then, in "refuse" mode).

    During an outage Redis is tried again at most once per `retry_interval` (by the next command or
    by `ping`), so a dead Redis costs one failed round trip per interval, not one per command.
    """

    def __init__(
        self,
        *,
        costs: Mapping[str, int],
        local: InProcessBuckets,
        redis: RedisBuckets | None = None,
        failure_mode: FailureMode = "fallback",
        retry_interval: float = 1.0,
        metrics: Metrics | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._costs = dict(costs)
        self._local = local
        self._redis = redis
        self._failure_mode = failure_mode
        self._retry_interval = retry_interval
        self._metrics = metrics
        self._clock = clock
        self._log = structlog.get_logger().bind(component="rate_limiter")
        self._down_since: float | None = None  # clock() when the current outage was noticed
        self._down_reason = ""
        self._next_try = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings, metrics: Metrics | None = None, *, clock: Clock = time.monotonic
    ) -> RateLimiter:
        user = BucketSpec(settings.rate_user_capacity, settings.rate_user_refill_per_second)
        guild = BucketSpec(settings.rate_guild_capacity, settings.rate_guild_refill_per_second)
        redis = None
        if settings.redis_url:
            redis = RedisBuckets(
                redis_client(settings.redis_url, settings.redis_socket_timeout_seconds),
                user,
                guild,
                prefix=settings.rate_redis_key_prefix,
            )
        limiter = cls(
            costs=settings.rate_command_costs,
            local=InProcessBuckets(user, guild, clock=clock),
            redis=redis,
            failure_mode=settings.redis_failure_mode,
            retry_interval=settings.redis_retry_interval_seconds,
            metrics=metrics,
            clock=clock,
        )
        limiter._warn_oversized_costs(min(user.capacity, guild.capacity))
        return limiter

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def status(self) -> tuple[bool, str | None]:
        """(ok, reason) for readiness: not ok while Redis is configured but unreachable."""
        if self._down_since is None:
            return True, None
        return False, f"redis unreachable ({self._down_reason}); rate limits are {self._mode_text()}"

    def cost(self, command: str) -> int:
        return self._costs.get(command, 1)

    async def check(self, user_id: int, guild_id: int | None, command: str) -> LimitDecision:
        decision = await self._decide(user_id, guild_id, self.cost(command))
        if not decision.allowed and self._metrics is not None and decision.scope is not None:
            self._metrics.rate_limited(decision.scope)
        return decision

    async def _decide(self, user_id: int, guild_id: int | None, cost: int) -> LimitDecision:
        if self._redis is None:
            return self._local.check(user_id, guild_id, cost)
        now = self._clock()
        if self._down_since is not None and now < self._next_try:
            return self._while_down(user_id, guild_id, cost, now)
        if self._down_since is not None:
            self._next_try = now + self._retry_interval  # this command is the one probe
        try:
            decision = await self._redis.check(user_id, guild_id, cost)
        except REDIS_OUTAGE_ERRORS as exc:
            self._mark_down(exc)
            return self._while_down(user_id, guild_id, cost, self._clock())
        self._mark_up(started=now)
        return decision

    def _while_down(self, user_id: int, guild_id: int | None, cost: int, now: float) -> LimitDecision:
        if self._failure_mode == "refuse":
            return LimitDecision(False, max(1.0, self._next_try - now), UNAVAILABLE_SCOPE)
        return self._local.check(user_id, guild_id, cost)

    async def ping(self) -> float:
        """Round trip to Redis in seconds; raises when unreachable or not configured.

        Also ends (or starts) an outage, so readiness probes bring the limiter back by themselves.
        """
        if self._redis is None:
            raise RuntimeError("Redis is not configured (REDIS_URL is empty)")
        started = self._clock()
        try:
            latency = await self._redis.ping()
        except REDIS_OUTAGE_ERRORS as exc:
            self._mark_down(exc)
            raise
        self._mark_up(started=started)
        return latency

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def _mark_down(self, exc: BaseException) -> None:
        now = self._clock()
        self._next_try = now + self._retry_interval
        if self._down_since is not None:
            return  # logged once per outage
        self._down_since = now
        self._down_reason = f"{type(exc).__name__}: {exc}"[:200]
        self._log.warning("redis_unavailable", error=self._down_reason, mode=self._mode_text())
        self._report_degraded(True)

    def _mark_up(self, *, started: float) -> None:
        # A call that began before the outage was noticed proves nothing about now.
        if self._down_since is None or started < self._down_since:
            return
        outage = self._clock() - self._down_since
        self._down_since = None
        self._log.info("redis_recovered", outage_seconds=round(outage, 3))
        self._report_degraded(False)

    def _report_degraded(self, degraded: bool) -> None:
        if self._metrics is not None:
            self._metrics.set_limiter_degraded(degraded)

    def _mode_text(self) -> str:
        if self._failure_mode == "refuse":
            return "refusing every command"
        return "enforced per process (in-memory fallback)"

    def _warn_oversized_costs(self, smallest_capacity: int) -> None:
        oversized = {name: cost for name, cost in self._costs.items() if cost > smallest_capacity}
        if oversized:
            self._log.warning(
                "command_cost_exceeds_capacity",
                commands=oversized,
                note="such a command needs a full bucket and empties it",
            )


def build_limiter(settings: Settings, metrics: Metrics | None = None) -> RateLimiter:
    return RateLimiter.from_settings(settings, metrics)


def redis_client(url: str, socket_timeout: float) -> Redis:
    # Short timeouts so an outage is noticed in a fraction of a command's 3 s budget; one immediate
    # retry on a connection error only (a pooled socket that died with a Redis restart), never on
    # a timeout, which would double the wait and could charge a bucket twice.
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis_errors.ConnectionError,)),
    )
