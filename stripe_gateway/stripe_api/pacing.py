"""Client-side pacing: every Stripe request waits for a slot under the configured rates.

Stripe allows 100 requests/s in live mode and 25/s in test mode, searches 20/s on top;
requests beyond answer 429. The pacer keeps the gateway under `STRIPE_MAX_RPS` and
`STRIPE_SEARCH_MAX_RPS` (by default 90% of the key's limits): a request that would go over
waits for its slot instead of failing.

The rule is a sliding window log: a request may start once fewer than N requests started
in the last W seconds (N = the rate rounded down, W = 1 s; rates under 1/s use N = 1 and
W = 1/rate; W has a 50 ms guard on top). So any one-second window holds at most N
requests, and a wave of up to N requests goes out at once. The window records when each
request was let go (not a slot reserved in advance), so a request that leaves late cannot
crowd the next window. Waiting requests queue in arrival order in each process; a
search request needs room in both windows.

With `CACHE_URL=redis://...` the windows live in Redis (a Lua script checks and records
atomically, on Redis's clock), so every process of the gateway shares the limits. A
Redis failure falls back to this process's own windows.

Why not the `limits` package: its strategies answer "allowed or not" for a hit now, not
"when is my slot", so waiting in order would mean polling; the script below is small.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from stripe_gateway.config import Settings

logger = logging.getLogger("stripe_gateway.pacing")


class Pacer(Protocol):
    async def wait(self, search: bool) -> None:
        """Return when a request (a search request if `search`) may be sent."""

    async def aclose(self) -> None: ...


# Added to each window: a request that reaches Stripe a little after it was let go (a new
# connection, a busy event loop) must not bunch up with the next window's first ones.
WINDOW_GUARD_SECONDS = 0.05


def window_of(rate: float) -> tuple[int, float]:
    """(N, W): at most N requests start in any W seconds, for `rate` requests/s."""
    if rate >= 1:
        return math.floor(rate), 1.0 + WINDOW_GUARD_SECONDS
    return 1, 1.0 / rate + WINDOW_GUARD_SECONDS


class _Window:
    """When the last N requests were let go (in order)."""

    def __init__(self, rate: float) -> None:
        self.size, self.length = window_of(rate)
        self.starts: deque[float] = deque(maxlen=self.size)

    def earliest(self) -> float:
        """The earliest time the next request may start."""
        if len(self.starts) < self.size:
            return 0.0
        return self.starts[0] + self.length


class LocalPacer:
    """This process's windows."""

    def __init__(
        self, rate: float, search_rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._overall = _Window(rate)
        self._search = _Window(search_rate)
        self._clock = clock
        self._queue = asyncio.Lock()

    def try_start(self, search: bool) -> float:
        """Let a request go now (0.0, and record it), or say how long until it may."""
        now: float = self._clock()
        windows = (self._overall, self._search) if search else (self._overall,)
        allowed = max(w.earliest() for w in windows)
        if allowed > now:
            return allowed - now
        for window in windows:
            window.starts.append(now)
        return 0.0

    async def wait(self, search: bool) -> None:
        async with self._queue:
            while (delay := self.try_start(search)) > 0:
                await asyncio.sleep(delay)

    async def aclose(self) -> None:
        return None


# KEYS: the start list of each window (the overall one first). ARGV: per window N and W
# (microseconds), then how many requests want to go. Lets go as many as there is room for
# now in every window (recording them) and returns {how many, 0}; when none, {0, how many
# microseconds until one may}. The clock is Redis's, shared by every process.
_TRY_START = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local windows = #KEYS
local granted = tonumber(ARGV[2 * windows + 1])
local wait = 0
for i = 1, windows do
  local size = tonumber(ARGV[2 * i - 1])
  local length = tonumber(ARGV[2 * i])
  local len = redis.call('LLEN', KEYS[i])
  local room = 0
  for k = 1, granted do
    -- the k-th request let go now must find the entry `size` places back old enough
    local index = len - size + k - 1
    if index < 0 then
      room = k
    elseif index >= len then
      break
    else
      local start = tonumber(redis.call('LINDEX', KEYS[i], index))
      if start + length <= now then
        room = k
      else
        if k == 1 then wait = math.max(wait, start + length - now) end
        break
      end
    end
  end
  granted = math.min(granted, room)
end
if granted == 0 then
  return {0, wait}
end
for i = 1, windows do
  local size = tonumber(ARGV[2 * i - 1])
  for k = 1, granted do
    redis.call('RPUSH', KEYS[i], string.format('%d', now))
  end
  redis.call('LTRIM', KEYS[i], -size, -1)
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i]) / 1000) + 1000)
end
return {granted, 0}
"""

# Waiting requests of one kind let go by one Redis call, at most.
MAX_GRANT = 25


class RedisPacer:
    """Windows shared by every process that uses the same Redis and namespace.

    Requests queue in this process in arrival order; one task asks Redis for room for the
    requests at the head of the queue (a run of the same kind, searches or not), so a wave
    of requests costs one Redis round trip, not one each."""

    def __init__(self, redis_url: str, rate: float, search_rate: float, namespace: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.Redis.from_url(redis_url, socket_timeout=2.0)
        self._script = self._redis.register_script(_TRY_START)
        self._local = LocalPacer(rate, search_rate)
        self._waiting: deque[tuple[bool, asyncio.Future[None]]] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._warned = float("-inf")
        prefix = f"{namespace}pace:"
        overall, search = window_of(rate), window_of(search_rate)
        self._keys = {False: [f"{prefix}all"], True: [f"{prefix}all", f"{prefix}search"]}
        self._args = {
            False: [overall[0], int(overall[1] * 1e6)],
            True: [overall[0], int(overall[1] * 1e6), search[0], int(search[1] * 1e6)],
        }

    async def wait(self, search: bool) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((search, ready))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        await ready

    def _head(self) -> tuple[bool, int]:
        """The kind of the first live waiter and how many in a row share it."""
        while self._waiting and self._waiting[0][1].done():  # cancelled while waiting
            self._waiting.popleft()
        if not self._waiting:
            return False, 0
        search = self._waiting[0][0]
        run = 0
        for kind, _ in self._waiting:
            if kind != search or run == MAX_GRANT:
                break
            run += 1
        return search, run

    async def _drain(self) -> None:
        while True:
            search, run = self._head()
            if not run:
                return
            try:
                granted, micros = await self._script(
                    keys=self._keys[search], args=[*self._args[search], run]
                )
                delay = int(micros) / 1e6
            except Exception:
                if time.monotonic() - self._warned > 60:
                    self._warned = time.monotonic()
                    logger.warning("shared pacing via Redis failed; pacing this process alone")
                delay = self._local.try_start(search)
                granted = 1 if delay <= 0 else 0
            for _ in range(int(granted)):
                _, ready = self._waiting.popleft()
                if not ready.done():
                    ready.set_result(None)
            if not granted:
                await asyncio.sleep(delay)

    async def aclose(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
        await self._redis.aclose()


def pacer_for(settings: Settings) -> Pacer:
    """The pacer the settings ask for: shared through Redis when the cache is Redis."""
    rate, search_rate = settings.stripe_rate_limits
    if settings.cache_url.startswith(("redis://", "rediss://")):
        mode = "live" if settings.stripe_livemode else "test"
        namespace = f"{settings.cache_namespace}:{mode}:"  # the cache's keys' prefix
        return RedisPacer(settings.cache_url, rate, search_rate, namespace)
    return LocalPacer(rate, search_rate)


__all__ = ["LocalPacer", "Pacer", "RedisPacer", "pacer_for", "window_of"]
