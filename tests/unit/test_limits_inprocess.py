"""InProcessBuckets on a fake clock: capacity, refill, cost, retry_after, the guild bucket."""

from __future__ import annotations

import pytest

from bot.limits import BucketSpec, InProcessBuckets, LimitDecision, RateLimiter
from bot.metrics import Metrics
from bot.settings import Settings


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(
    user: tuple[int, float] = (5, 1.0), guild: tuple[int, float] = (100, 10.0), clock: FakeClock | None = None
) -> tuple[InProcessBuckets, FakeClock]:
    clock = clock or FakeClock()
    return InProcessBuckets(BucketSpec(*user), BucketSpec(*guild), clock=clock), clock


def test_capacity_then_refusal_with_retry_after() -> None:
    buckets, _ = make(user=(5, 0.5))
    assert buckets.check(1, 10, 1) == LimitDecision(True, 0.0, None)
    assert all(buckets.check(1, 10, 1).allowed for _ in range(4))
    refused = buckets.check(1, 10, 1)
    assert (refused.allowed, refused.scope) == (False, "user")
    assert refused.retry_after == pytest.approx(2.0)


def test_refill_over_time_and_never_above_capacity() -> None:
    buckets, clock = make(user=(5, 1.0))
    for _ in range(5):
        buckets.check(1, None, 1)
    clock.advance(2.0)
    assert buckets.check(1, None, 1).allowed
    assert buckets.check(1, None, 1).allowed
    assert not buckets.check(1, None, 1).allowed
    clock.advance(3600)  # a long idle time refills to capacity, not beyond
    assert sum(buckets.check(1, None, 1).allowed for _ in range(10)) == 5


def test_cost_is_charged_and_retry_after_covers_the_missing_tokens() -> None:
    buckets, clock = make(user=(10, 2.0))
    assert buckets.check(1, None, 5).allowed
    assert buckets.check(1, None, 4).allowed
    refused = buckets.check(1, None, 5)  # 1 token left, 4 missing at 2/s
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(2.0)
    clock.advance(refused.retry_after)
    assert buckets.check(1, None, 5).allowed


def test_retry_after_is_exactly_enough() -> None:
    buckets, clock = make(user=(3, 0.25))
    for _ in range(3):
        buckets.check(1, None, 1)
    wait = buckets.check(1, None, 1).retry_after
    clock.advance(wait * 0.99)
    assert not buckets.check(1, None, 1).allowed
    clock.advance(wait * 0.02)
    assert buckets.check(1, None, 1).allowed


def test_guild_refuses_while_user_allows_and_user_is_not_charged() -> None:
    buckets, _ = make(user=(5, 1.0), guild=(3, 1.0))
    for user in (1, 2, 3):
        assert buckets.check(user, 77, 1).allowed
    refused = buckets.check(4, 77, 1)
    assert (refused.allowed, refused.scope) == (False, "guild")
    assert refused.retry_after == pytest.approx(1.0)
    # user 4 was not charged: a full 5 tokens outside that guild
    assert sum(buckets.check(4, None, 1).allowed for _ in range(6)) == 5


def test_user_refusal_does_not_charge_the_guild() -> None:
    buckets, _ = make(user=(2, 1.0), guild=(10, 0.001))
    buckets.check(1, 77, 2)
    assert buckets.check(1, 77, 1).scope == "user"
    # guild charged only 2 so far: 8 left for others
    assert sum(buckets.check(user, 77, 1).allowed for user in range(100, 120)) == 8


def test_both_refusing_reports_the_longer_wait() -> None:
    buckets, _ = make(user=(2, 0.1), guild=(2, 1.0))
    buckets.check(1, 77, 2)
    refused = buckets.check(1, 77, 1)
    assert refused.scope == "user"
    assert refused.retry_after == pytest.approx(10.0)


def test_cost_above_capacity_needs_a_full_bucket_and_empties_it() -> None:
    buckets, clock = make(user=(5, 1.0))
    assert buckets.check(1, None, 50).allowed  # clamped to 5
    refused = buckets.check(1, None, 50)
    assert not refused.allowed and refused.retry_after == pytest.approx(5.0)
    buckets.check(1, None, 0)
    clock.advance(4.0)
    assert not buckets.check(1, None, 50).allowed
    clock.advance(1.0)
    assert buckets.check(1, None, 50).allowed


def test_zero_or_negative_cost_is_free() -> None:
    buckets, _ = make(user=(1, 1.0))
    assert buckets.check(1, None, 1).allowed
    assert buckets.check(1, None, 0).allowed
    assert buckets.check(1, None, -5).allowed
    assert not buckets.check(1, None, 1).allowed  # a negative cost did not add tokens


def test_clock_stepping_back_does_not_drain_or_refill() -> None:
    buckets, clock = make(user=(2, 1.0))
    buckets.check(1, None, 2)
    clock.advance(-100)
    assert not buckets.check(1, None, 1).allowed
    clock.advance(101)
    assert buckets.check(1, None, 1).allowed


def test_full_buckets_are_forgotten() -> None:
    clock = FakeClock()
    buckets = InProcessBuckets(BucketSpec(5, 1.0), BucketSpec(1000, 1.0), clock=clock, prune_every=60)
    for user in range(100):
        buckets.check(user, 7, 1)
    assert len(buckets) == 101
    clock.advance(61)  # the guild (1000 at 1/s) is not full yet
    buckets.check(1000, None, 1)
    assert len(buckets) == 2  # the guild and the new user


async def test_rate_limiter_without_redis_uses_costs_and_counts_refusals() -> None:
    clock = FakeClock()
    metrics = Metrics()
    settings = Settings(redis_url="", rate_user_capacity=10, rate_user_refill_per_second=1.0)
    limiter = RateLimiter.from_settings(settings, metrics, clock=clock)
    assert not limiter.uses_redis and not limiter.degraded
    assert limiter.status() == (True, None)
    assert (await limiter.check(1, 2, "narrate")).allowed  # 5
    assert (await limiter.check(1, 2, "narrate")).allowed  # 10
    refused = await limiter.check(1, 2, "roll")
    assert refused.scope == "user" and refused.retry_after == pytest.approx(1.0)
    assert limiter.cost("unknown-command") == 1
    body, _ = metrics.render()
    assert b'dmbot_rate_limit_refusals_total{scope="user"} 1.0' in body
    with pytest.raises(RuntimeError, match="not configured"):
        await limiter.ping()
    await limiter.aclose()
