"""A circuit breaker, so a dead model server costs one fast fallback instead of a timeout per turn.

closed --N consecutive failures--> open --reset_after seconds--> half-open (one trial call)
half-open --success--> closed;  half-open --failure--> open again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int = 3, reset_after: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failure_threshold < 1 or reset_after < 0:
            raise ValueError("failure_threshold must be >= 1 and reset_after >= 0")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_at: float | None = None  # when the half-open trial call was let through

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_after:
            self._state, self._trial_at = "half-open", None
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures so far."""
        return self._failures

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one trial call does."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        now = self._clock()
        # A trial whose outcome never came (the caller gave up mid-stream) must not wedge the breaker.
        if self._trial_at is None or now - self._trial_at >= self.reset_after:
            self._trial_at = now
            return True
        return False

    def record_success(self) -> None:
        self._state, self._failures, self._trial_at = "closed", 0, None

    def record_failure(self) -> None:
        self._failures += 1
        if self.state == "half-open" or self._failures >= self.failure_threshold:
            self._state, self._opened_at, self._trial_at = "open", self._clock(), None

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when it would now)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.reset_after - (self._clock() - self._opened_at))
