"""Pacing: token-bucket rate limits that refuse (not queue) excess requests, and latency."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from fake_stripe.config import FakeConfig


class TokenBucket:
    """`rate` tokens per second, holding at most `rate` (one second of burst), at least 1."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def try_take(self) -> bool:
        """Take a token if one is there; False means the request is over the limit."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class RateLimiter:
    """Stripe's limits: one bucket for every request, one more for search requests.

    A search request takes a token from both buckets, so a client that stays under
    both limits here stays under Stripe's however Stripe counts search.
    """

    def __init__(self, config: FakeConfig) -> None:
        self._config = config
        self._buckets: dict[str, TokenBucket] = {}

    def _bucket(self, kind: str, rate: float | None) -> TokenBucket | None:
        if rate is None:
            self._buckets.pop(kind, None)
            return None
        bucket = self._buckets.get(kind)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[kind] = TokenBucket(rate)
        return bucket

    def allow(self, search: bool) -> bool:
        """Whether a request arriving now is within the limits (and count it if so)."""
        overall = self._bucket("overall", self._config.rate_limit_rps)
        searches = self._bucket("search", self._config.search_rate_limit_rps) if search else None
        if overall is not None and not overall.try_take():
            return False
        return searches is None or searches.try_take()


def latency_seconds(config: FakeConfig, rng: random.Random | None = None) -> float:
    """One request's latency: `latency_ms` plus or minus up to `jitter_ms`, uniform, >= 0."""
    jitter = (
        (rng or random).uniform(-config.jitter_ms, config.jitter_ms) if config.jitter_ms else 0.0
    )
    return max(0.0, config.latency_ms + jitter) / 1000.0
