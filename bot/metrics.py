"""Prometheus metrics of one bot process, in a registry of its own (never the global default one),
so tests and several bots in one process never share counters."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Outcome = Literal["ok", "game_error", "error", "rate_limited"]
OUTCOMES: frozenset[str] = frozenset({"ok", "game_error", "error", "rate_limited"})

# (connections in use, pool size), read at scrape time.
PoolSource = Callable[[], tuple[int, int]]

INTERACTION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
LLM_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)


class _PoolCollector(Collector):
    """dmbot_db_pool_connections{state}, read from the bot's pool when Prometheus scrapes."""

    name = "dmbot_db_pool_connections"
    doc = "Database pool connections by state (in_use, idle)."

    def __init__(self) -> None:
        self.source: PoolSource | None = None

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self.name, self.doc, labels=["state"])]

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(self.name, self.doc, labels=["state"])
        if self.source is not None:
            try:
                in_use, size = self.source()
            except Exception:  # a broken pool callback must not break the whole scrape
                return [family]
            family.add_metric(["in_use"], in_use)
            family.add_metric(["idle"], max(0, size - in_use))
        return [family]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.interactions = Counter(
            "dmbot_interactions", "Interactions by command and outcome.", ["command", "outcome"], registry=r
        )
        self.interaction_seconds = Histogram(
            "dmbot_interaction_seconds",
            "Time to handle an interaction.",
            ["command"],
            buckets=INTERACTION_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter("dmbot_llm_tokens", "LLM tokens by model and kind.", ["model", "kind"], registry=r)
        self.llm_cost = Counter("dmbot_llm_cost_usd", "Estimated LLM spend in USD.", ["model"], registry=r)
        self.llm_seconds = Histogram(
            "dmbot_llm_seconds", "Duration of one LLM call.", ["model"], buckets=LLM_BUCKETS, registry=r
        )
        self.rate_limit_refusals = Counter(
            "dmbot_rate_limit_refusals", "Commands refused by the rate limiter, by scope.", ["scope"], registry=r
        )
        self.gateway_latency = Gauge(
            "dmbot_gateway_latency_seconds", "Heartbeat latency per connected shard.", ["shard"], registry=r
        )
        self.limiter_degraded = Gauge(
            "dmbot_rate_limiter_degraded", "1 while Redis is unreachable and the limiter falls back.", registry=r
        )
        self._pool = _PoolCollector()
        r.register(self._pool)

    def observe_interaction(self, command: str, outcome: Outcome, seconds: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        self.interactions.labels(command=command, outcome=outcome).inc()
        self.interaction_seconds.labels(command=command).observe(seconds)

    def add_llm_usage(
        self, model: str, prompt_tokens: int, completion_tokens: int, cost: float, seconds: float
    ) -> None:
        self.llm_tokens.labels(model=model, kind="prompt").inc(max(0, prompt_tokens))
        self.llm_tokens.labels(model=model, kind="completion").inc(max(0, completion_tokens))
        self.llm_cost.labels(model=model).inc(max(0.0, cost))
        self.llm_seconds.labels(model=model).observe(seconds)

    def rate_limited(self, scope: str) -> None:
        self.rate_limit_refusals.labels(scope=scope).inc()

    def set_limiter_degraded(self, degraded: bool) -> None:
        self.limiter_degraded.set(1 if degraded else 0)

    def set_pool_source(self, source: PoolSource | None) -> None:
        self._pool.source = source

    def set_gateway_latencies(self, latencies: Mapping[int, float | None]) -> None:
        # A disconnected shard (None, or inf before its first heartbeat ack) has no latency: drop it.
        self.gateway_latency.clear()
        for shard, latency in latencies.items():
            if latency is not None and math.isfinite(latency):
                self.gateway_latency.labels(shard=str(shard)).set(latency)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
