"""Rate limits (token buckets) and circuit breakers, both held in memory by each gateway replica.

Each replica counts only what it sees: with N replicas behind a load balancer a caller gets up to N
times the configured rate. That is intended (no shared store on the hot path); size the rates per
replica. Both are plain synchronous code: the event loop is single-threaded, so no locks are needed.
"""

from __future__ import annotations

import math
import time
from typing import Literal


class TokenBuckets:
    """One token bucket per key (a client id, a subject, an address): ``rate`` tokens a second, at most
    ``burst`` saved up. At most ``max_keys`` buckets are kept; full (idle) ones are dropped first."""

    __slots__ = ("_buckets", "burst", "max_keys", "rate")

    def __init__(self, rate: float, burst: float, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self.max_keys = max_keys
        # key -> [tokens left, monotonic time of the last refill]
        self._buckets: dict[str, list[float]] = {}

    def take(self, key: str) -> float:
        """Takes one token for ``key``: 0 when allowed, else the seconds until a token is there."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            self._buckets[key] = [self.burst - 1, now]
            return 0.0
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return 0.0
        bucket[0] = tokens
        return (1 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        buckets = self._buckets
        for key in [k for k, (_, last) in buckets.items() if now - last >= full_after]:
            del buckets[key]
        if len(buckets) >= self.max_keys:  # all busy: forget the oldest half (they start full again)
            for key in list(buckets)[: max(1, len(buckets) // 2)]:
                del buckets[key]


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Consecutive failures of one upstream open the circuit for ``open_seconds``: callers are answered
    at once instead of waiting on a service that is down. After that one trial request goes through
    (half-open); its success closes the circuit, its failure opens it again. A trial that never reports
    back (its caller vanished) is replaced by another after ``open_seconds``."""

    __slots__ = ("_failures", "_opened_at", "_trial_at", "open_seconds", "state", "threshold")

    def __init__(self, *, threshold: int, open_seconds: float) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_at = 0.0

    def check(self) -> float:
        """0 when a request may go to the upstream now, else the seconds until one may."""
        if self.state == "closed":
            return 0.0
        now = time.monotonic()
        if self.state == "open":
            wait = self._opened_at + self.open_seconds - now
            if wait > 0:
                return wait
            self.state = "half-open"
            self._trial_at = now
            return 0.0
        # half-open: one trial at a time
        wait = self._trial_at + self.open_seconds - now
        if wait > 0:
            return wait
        self._trial_at = now
        return 0.0

    def succeeded(self) -> None:
        self._failures = 0
        self.state = "closed"

    def failed(self) -> None:
        self._failures += 1
        if self.state == "half-open" or self._failures >= self.threshold:
            self.state = "open"
            self._opened_at = time.monotonic()

    def abandoned(self) -> None:
        """The request ended with no verdict on the upstream (the caller went away, its body was too
        large): a half-open circuit lets the next trial through at once."""
        if self.state == "half-open":
            self._trial_at = 0.0
