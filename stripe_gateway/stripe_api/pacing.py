"""Client-side pacing: every Stripe request waits for a slot under the configured rates.

Stripe allows 100 requests/s in live mode and 25/s in test mode, searches 20/s on top;
requests beyond answer 429. The pacer keeps the gateway under `STRIPE_MAX_RPS` and
`STRIPE_SEARCH_MAX_RPS` (by default 90% of the key's limits): a request that would go over
waits for its slot instead of failing.

The rule: a request holds one of N slots (N = the rate rounded down; rates under 1/s use
N = 1 and a longer window) from the moment it is let go until W = 1 s after its answer
came back. So however late a request leaves a busy event loop, or reaches Stripe, its
arrival lies between when it was let go and when it finished, and any window of W holds
at most N arrivals. A wave of up to N requests goes out at once. Waiting requests queue
in arrival order in each process; a search request needs a slot in both the overall and
the search window. (A request holds its slot for its round trip plus W, so a saturated
gateway runs a little under N per second.)

With `CACHE_URL=redis://...` the slots live in Redis (Lua scripts take and release them
atomically, on Redis's clock), so every process of the gateway shares the limits; one
Redis call lets a whole wave go. A slot whose process died is freed after
`SLOT_TIMEOUT_SECONDS`. A Redis failure falls back to this process's own slots.

Why not the `limits` package: its strategies answer "allowed or not" for a hit now; they
neither queue in order nor count requests in flight, which is what keeps arrivals under
the limit when requests leave late.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol

from stripe_gateway.config import Settings

logger = logging.getLogger("stripe_gateway.pacing")

# A slot taken by a process that died (Redis) is given back after this long.
SLOT_TIMEOUT_SECONDS = 120.0


class Pacer(Protocol):
    def slot(self, search: bool) -> AbstractAsyncContextManager[None]:
        """Hold a slot for one request (a search request if `search`) while it runs."""
        ...

    async def aclose(self) -> None: ...


def window_of(rate: float) -> tuple[int, float]:
    """(N, W): N slots, each held until W seconds after its request finished."""
    if rate >= 1:
        return math.floor(rate), 1.0
    return 1, 1.0 / rate


class _Window:
    """Requests in flight, and when recent ones finished (oldest first)."""

    def __init__(self, rate: float) -> None:
        self.size, self.length = window_of(rate)
        self.in_flight = 0
        self.finished: deque[float] = deque()

    def used(self, now: float) -> int:
        while self.finished and self.finished[0] <= now - self.length:
            self.finished.popleft()
        return self.in_flight + len(self.finished)

    def frees_at(self) -> float | None:
        """When the next slot frees up unless a request in flight finishes first."""
        return self.finished[0] + self.length if self.finished else None


class LocalPacer:
    """This process's slots."""

    def __init__(
        self, rate: float, search_rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._overall = _Window(rate)
        self._search = _Window(search_rate)
        self._clock = clock
        self._queue = asyncio.Lock()
        self._finished = asyncio.Event()

    def _windows(self, search: bool) -> tuple[_Window, ...]:
        return (self._overall, self._search) if search else (self._overall,)

    def try_start(self, search: bool) -> float | None:
        """Take a slot now (0.0), or say how long until one frees up (None: when a request
        in flight finishes, and then its window)."""
        now = self._clock()
        windows = self._windows(search)
        full = [w for w in windows if w.used(now) >= w.size]
        if not full:
            for window in windows:
                window.in_flight += 1
            return 0.0
        times = [w.frees_at() for w in full]
        if any(t is None for t in times):
            return None
        return max(t for t in times if t is not None) - now

    def finish(self, search: bool) -> None:
        now = self._clock()
        for window in self._windows(search):
            window.in_flight -= 1
            window.finished.append(now)
        self._finished.set()

    async def acquire(self, search: bool) -> None:
        async with self._queue:
            while (delay := self.try_start(search)) != 0.0:
                self._finished.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._finished.wait(), delay)

    @asynccontextmanager
    async def slot(self, search: bool) -> AsyncIterator[None]:
        await self.acquire(search)
        try:
            yield
        finally:
            self.finish(search)

    async def aclose(self) -> None:
        return None


# KEYS: one sorted set per window (the overall one first): member a slot's id, score when
# it frees (for a request in flight: now + timeout). ARGV: per window N and W (us), the
# timeout (us), then the ids of the requests that want to go. Lets go as many as there
# are free slots for in every window and returns {how many, 0}; when none, {0, how many
# microseconds to wait (-1: until a request in flight finishes)}. Redis's clock.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local windows = #KEYS
local timeout = tonumber(ARGV[2 * windows + 1])
local want = #ARGV - 2 * windows - 1
local granted = want
local wait = 0
for i = 1, windows do
  local size = tonumber(ARGV[2 * i - 1])
  local length = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - length)
  local room = size - redis.call('ZCARD', KEYS[i])
  if room < granted then
    granted = math.max(room, 0)
  end
  if room <= 0 then
    local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local frees = tonumber(first[2])
    if frees > now then
      wait = -1
    elseif wait >= 0 then
      wait = math.max(wait, frees + length - now)
    end
  end
end
if granted == 0 then
  return {0, wait}
end
for i = 1, windows do
  local length = tonumber(ARGV[2 * i])
  for k = 1, granted do
    redis.call('ZADD', KEYS[i], now + timeout, ARGV[2 * windows + 1 + k])
  end
  redis.call('PEXPIRE', KEYS[i], math.ceil((timeout + length) / 1000) + 1000)
end
return {granted, 0}
"""

# KEYS: the windows' sorted sets; ARGV: the id of a request that finished.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1])
end
return 0
"""

# Waiting requests of one kind let go by one Redis call, at most; and how often to look
# again while every slot is held by a request in flight.
MAX_GRANT = 25
POLL_SECONDS = 0.02


class RedisPacer:
    """Slots shared by every process that uses the same Redis and namespace.

    Requests queue in this process in arrival order; one task asks Redis for slots for the
    requests at the head of the queue (a run of the same kind, searches or not), so a wave
    of requests costs one Redis round trip to start (and one each to finish)."""

    def __init__(self, redis_url: str, rate: float, search_rate: float, namespace: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.Redis.from_url(redis_url, socket_timeout=2.0)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._local = LocalPacer(rate, search_rate)
        self._waiting: deque[tuple[bool, str, asyncio.Future[bool]]] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._warned = float("-inf")
        self._ids = (f"{secrets.token_hex(6)}:{n}" for n in itertools.count())
        prefix = f"{namespace}pace:"
        overall, search = window_of(rate), window_of(search_rate)
        self._keys = {False: [f"{prefix}all"], True: [f"{prefix}all", f"{prefix}search"]}
        timeout = int(SLOT_TIMEOUT_SECONDS * 1e6)
        self._args = {
            False: [overall[0], int(overall[1] * 1e6), timeout],
            True: [overall[0], int(overall[1] * 1e6), search[0], int(search[1] * 1e6), timeout],
        }

    @asynccontextmanager
    async def slot(self, search: bool) -> AsyncIterator[None]:
        slot_id = next(self._ids)
        ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((search, slot_id, ready))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        try:
            shared = await ready  # False: Redis failed, a local slot was taken instead
        except asyncio.CancelledError:
            if ready.done() and not ready.cancelled():
                await self._give_back(search, slot_id, ready.result())
            raise
        try:
            yield
        finally:
            await self._give_back(search, slot_id, shared)

    async def _give_back(self, search: bool, slot_id: str, shared: bool) -> None:
        if not shared:
            self._local.finish(search)
            return
        try:
            await self._release(keys=self._keys[search], args=[slot_id])
        except Exception:
            self._warn()  # the slot frees itself after SLOT_TIMEOUT_SECONDS

    def _warn(self) -> None:
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            logger.warning("shared pacing via Redis failed; pacing this process alone")

    def _head(self) -> list[tuple[bool, str, asyncio.Future[bool]]]:
        """The first waiters that share a kind (searches or not), cancelled ones dropped."""
        while self._waiting and self._waiting[0][2].done():
            self._waiting.popleft()
        run: list[tuple[bool, str, asyncio.Future[bool]]] = []
        for waiter in self._waiting:
            if run and (waiter[0] != run[0][0] or len(run) == MAX_GRANT):
                break
            run.append(waiter)
        return run

    async def _drain(self) -> None:
        while run := self._head():
            search = run[0][0]
            try:
                granted, micros = await self._acquire(
                    keys=self._keys[search],
                    args=[*self._args[search], *(slot_id for _, slot_id, _ in run)],
                )
                delay: float | None = None if int(micros) < 0 else int(micros) / 1e6
                shared = True
            except Exception:
                self._warn()
                delay = self._local.try_start(search)
                granted, shared = (1 if delay == 0.0 else 0), False
            for _ in range(int(granted)):
                _, slot_id, ready = self._waiting.popleft()
                if not ready.done():
                    ready.set_result(shared)
                else:  # cancelled while it waited
                    await self._give_back(search, slot_id, shared)
            if not granted:
                await asyncio.sleep(POLL_SECONDS if delay is None else max(delay, 0.001))

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
