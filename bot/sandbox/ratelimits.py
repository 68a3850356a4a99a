"""Per-route rate limits, as Discord applies them: buckets, ``X-RateLimit-*`` headers and 429s.

Discord's documentation (discord-api-docs, "Rate Limits") describes the mechanism, not the
numbers: every route has a bucket keyed by its top-level ("major") parameters (channel_id,
guild_id, webhook_id + webhook_token), announced in ``X-RateLimit-Limit/Remaining/Reset/
Reset-After/Bucket`` headers; past it Discord answers 429 with ``retry_after`` (seconds, in the JSON
body and, rounded up, in ``Retry-After``) and ``X-RateLimit-Scope``. The limits themselves are the
ones observed on Discord and relied on by libraries: 5 messages per 5 s per channel (create and
edit), 5 requests per 2 s per webhook token (interaction followups and edits of their messages).

discord.py reads these headers: when ``Remaining`` reaches 0 it waits ``Reset-After`` before the
next request on that bucket, and on a 429 it sleeps ``retry_after`` and retries, as on Discord.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """``limit`` requests per ``period`` seconds, one bucket per value of the ``major`` parameters."""

    limit: int
    period: float
    major: tuple[str, ...]


# Keyed by (method, local route template), the templates rest.py serves.
_HOOK = "/webhooks/{app_id}/{token}"
DEFAULT_RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/channels/{channel_id}/messages"): Rule(5, 5.0, ("channel_id",)),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): Rule(5, 5.0, ("channel_id",)),
    ("POST", _HOOK): Rule(5, 2.0, ("app_id", "token")),
    ("PATCH", _HOOK + "/messages/{message_id}"): Rule(5, 2.0, ("app_id", "token")),
}


@dataclass
class Bucket:
    rule: Rule
    name: str
    remaining: int
    resets_at: float  # on the local Discord's clock


@dataclass(frozen=True)
class Verdict:
    """What a request gets: the headers to send and, past the limit, how long to wait."""

    headers: dict[str, str]
    retry_after: float | None = None

    @property
    def limited(self) -> bool:
        return self.retry_after is not None


class RateLimits:
    def __init__(
        self,
        clock: Callable[[], float],
        rules: Mapping[tuple[str, str], Rule] = DEFAULT_RULES,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock, self.wall_clock = clock, wall_clock
        self.rules = dict(rules)
        self._buckets: dict[tuple[str, str, tuple[str, ...]], Bucket] = {}

    def take(self, method: str, route: str, params: Mapping[str, str]) -> Verdict | None:
        """Count one request; None when the route has no bucket."""
        rule = self.rules.get((method, route))
        if rule is None:
            return None
        bucket = self._bucket(method, route, rule, tuple(params.get(p, "") for p in rule.major))
        now = self.clock()
        if now >= bucket.resets_at:
            bucket.remaining, bucket.resets_at = rule.limit, now + rule.period
        if bucket.remaining == 0:
            wait = bucket.resets_at - now
            headers = self._headers(bucket, now) | {
                "Retry-After": str(math.ceil(wait)),
                "X-RateLimit-Scope": "user",
                # Discord's answers pass Google's front end; discord.py takes a 429 without it for a
                # Cloudflare ban and raises instead of waiting.
                "Via": "1.1 google",
            }
            return Verdict(headers, retry_after=round(wait, 3))
        bucket.remaining -= 1
        return Verdict(self._headers(bucket, now))

    def held_back_for(self) -> float:
        """Seconds until every exhausted bucket has reset: discord.py may be waiting that long to
        send what it has queued (0 when no bucket is exhausted)."""
        now = self.clock()
        waits = [b.resets_at - now for b in self._buckets.values() if b.remaining == 0 and b.resets_at > now]
        return max(waits, default=0.0)

    def _bucket(self, method: str, route: str, rule: Rule, major: tuple[str, ...]) -> Bucket:
        key = (method, route, major)
        if key not in self._buckets:
            # Discord's bucket ids are opaque hashes of the route, shared by all its major values.
            name = hashlib.sha1(f"{method} {route}".encode()).hexdigest()[:16]
            self._buckets[key] = Bucket(rule, name, rule.limit, self.clock() + rule.period)
        return self._buckets[key]

    def _headers(self, bucket: Bucket, now: float) -> dict[str, str]:
        after = max(0.0, bucket.resets_at - now)
        return {
            "X-RateLimit-Limit": str(bucket.rule.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{self.wall_clock() + after:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket.name,
        }
