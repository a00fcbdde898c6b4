"""The client-side pacer: no window of W seconds holds more than N request starts, a
search takes a slot in both windows, and with Redis every process shares the windows."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import pytest

from stripe_gateway.config import load_settings
from stripe_gateway.stripe_api.pacing import LocalPacer, Pacer, RedisPacer, pacer_for, window_of


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def most_in_window(starts: list[float], length: float) -> int:
    starts = sorted(starts)
    best, lo = 0, 0
    for hi, start in enumerate(starts):
        while start - starts[lo] >= length - 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_window_of_rates() -> None:
    assert window_of(90) == (90, 1.0)
    assert window_of(22.5) == (22, 1.0)
    assert window_of(0.5) == (1, 2.0)


def test_a_wave_up_to_the_limit_goes_at_once_then_requests_wait() -> None:
    clock = Clock()
    pacer = LocalPacer(10, 5, clock=clock)
    assert [pacer.try_start(search=False) for _ in range(10)] == [0.0] * 10
    # Every slot is held by a request in flight: wait for one to finish.
    assert pacer.try_start(search=False) is None
    clock.now += 0.2
    pacer.finish(search=False)
    # A slot frees a window after its request finished.
    assert pacer.try_start(search=False) == pytest.approx(1.0)
    clock.now += 1.0
    assert pacer.try_start(search=False) == 0.0


def test_arrivals_stay_under_the_limit_however_late_requests_leave() -> None:
    # Simulated: each request reaches Stripe somewhere between being let go and finishing
    # (up to 300 ms late), and takes 50 ms after that.
    clock = Clock()
    pacer = LocalPacer(5, 5, clock=clock)
    rng = random.Random(3)
    arrivals: list[float] = []
    in_flight: list[float] = []  # finish times
    for _ in range(60):
        while (delay := pacer.try_start(search=False)) != 0.0:
            in_flight.sort()
            if delay is None or (in_flight and in_flight[0] <= clock.now + delay):
                clock.now = max(clock.now, in_flight.pop(0))
                pacer.finish(search=False)
            else:
                clock.now += delay
        arrival = clock.now + rng.uniform(0, 0.3)
        arrivals.append(arrival)
        in_flight.append(arrival + 0.05)
    assert most_in_window(arrivals, 1.0) <= 5


def test_searches_take_a_slot_in_both_windows() -> None:
    clock = Clock()
    pacer = LocalPacer(10, 3, clock=clock)
    assert [pacer.try_start(search=True) for _ in range(3)] == [0.0] * 3
    assert pacer.try_start(search=True) is None
    assert [pacer.try_start(search=False) for _ in range(7)] == [0.0] * 7
    assert pacer.try_start(search=False) is None


async def test_waiting_requests_go_in_arrival_order() -> None:
    pacer = LocalPacer(2, 2)
    order: list[int] = []

    async def one(i: int) -> None:
        async with pacer.slot(search=False):
            order.append(i)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(one(i) for i in range(5)))
    assert order == [0, 1, 2, 3, 4]


def test_defaults_follow_the_key_mode() -> None:
    live = load_settings(stripe_api_key="rk_live_x")
    test = load_settings(stripe_api_key="rk_test_x")
    assert live.stripe_rate_limits == (90.0, 18.0)
    assert test.stripe_rate_limits == (22.5, 18.0)
    custom = load_settings(stripe_api_key="rk_test_x", stripe_max_rps=5, stripe_search_max_rps=2)
    assert custom.stripe_rate_limits == (5.0, 2.0)
    assert isinstance(pacer_for(test), LocalPacer)


async def test_processes_sharing_redis_share_the_limit(redis_url: str) -> None:
    settings = load_settings(
        stripe_api_key="rk_test_x",
        cache_url=redis_url,
        cache_namespace=f"pace-{uuid.uuid4().hex[:8]}",
        stripe_max_rps=4,
        stripe_search_max_rps=2,
    )
    pacers = [pacer_for(settings), pacer_for(settings)]
    assert all(isinstance(p, RedisPacer) for p in pacers)
    starts: list[float] = []
    search_starts: list[float] = []

    async def one(pacer: Pacer, search: bool) -> None:
        async with pacer.slot(search):
            (search_starts if search else starts).append(time.monotonic())
            await asyncio.sleep(0.02)

    began = time.monotonic()
    await asyncio.gather(*(one(pacers[i % 2], i % 3 == 0) for i in range(10)))
    everything = starts + search_starts
    # 10 requests at 4 per second: the last waits two windows, whichever process asked.
    assert time.monotonic() - began >= 1.9
    assert most_in_window(everything, 1.0) <= 4
    assert most_in_window(search_starts, 1.0) <= 2
    for pacer in pacers:
        await pacer.aclose()


@pytest.mark.parametrize("search", [False, True])
async def test_redis_failure_falls_back_to_local_pacing(search: bool) -> None:
    pacer = RedisPacer("redis://127.0.0.1:1/0", 2, 1, "nowhere:")
    began = time.monotonic()
    for _ in range(3):
        async with pacer.slot(search):
            pass
    assert time.monotonic() - began >= (2.0 if search else 1.0)
    await pacer.aclose()


async def test_a_wave_costs_one_redis_call_not_one_per_request(redis_url: str) -> None:
    settings = load_settings(
        stripe_api_key="rk_live_x",
        cache_url=redis_url,
        cache_namespace=f"pace-{uuid.uuid4().hex[:8]}",
    )
    pacer = pacer_for(settings)
    assert isinstance(pacer, RedisPacer)
    calls = 0
    script: Any = pacer._acquire

    async def counting(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await script(**kwargs)

    pacer._acquire = counting  # type: ignore[assignment]
    began = time.monotonic()

    async def one() -> None:
        async with pacer.slot(search=False):
            pass

    await asyncio.gather(*(one() for _ in range(20)))
    assert time.monotonic() - began < 0.5  # 20 of the 90 a second: no waiting
    assert calls == 1
    await pacer.aclose()
