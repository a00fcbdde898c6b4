"""StripeCache: JSON entries, TTL kinds, the memory bound, single flight, and the
invalidation API that webhooks call. Run on the memory backend and, when Redis is there,
on Redis (two StripeCache objects on one Redis stand for two gateway processes)."""

from __future__ import annotations

import asyncio
import json
import pickle
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from stripe_gateway.cache import RecentCharges, StripeCache, codec
from stripe_gateway.config import Settings, load_settings
from stripe_gateway.records import Charge, Customer, Subscription

BACKENDS = ["memory://", "redis"]


def settings_for(url: str, **overrides: Any) -> Settings:
    return load_settings(
        stripe_api_key="rk_test_unit",
        cache_url=url,
        cache_namespace=f"t{uuid.uuid4().hex[:8]}",
        **overrides,
    )


@pytest.fixture(params=BACKENDS)
async def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        return settings_for(url)
    return settings_for(request.param)


@pytest.fixture
async def cache(settings: Settings) -> AsyncIterator[StripeCache]:
    opened = StripeCache.open(settings)
    yield opened
    await opened.clear()
    await opened.aclose()


class Counting:
    """A fetch function that records the keys it was asked for."""

    def __init__(self, answer: Callable[[str], Any], delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.calls: list[list[str]] = []

    async def __call__(self, keys: list[str]) -> dict[str, Any]:
        self.calls.append(list(keys))
        await asyncio.sleep(self.delay)
        return {k: self.answer(k) for k in keys}

    @property
    def keys(self) -> list[str]:
        return [k for call in self.calls for k in call]


def customer(cid: str, email: str | None = None, **fields: Any) -> Customer:
    return Customer(id=cid, email=email, **{"subscriptions": (), **fields})


async def test_a_hit_costs_no_fetch_and_keeps_key_order(cache: StripeCache) -> None:
    fetch = Counting(lambda k: customer(k))
    first = await cache.load(codec.CUSTOMER, ["cus_b", "cus_a"], fetch)
    again = await cache.load(codec.CUSTOMER, ["cus_a", "cus_c", "cus_b"], fetch)
    assert list(first) == ["cus_b", "cus_a"]
    assert list(again) == ["cus_a", "cus_c", "cus_b"]
    assert again["cus_a"] == customer("cus_a")
    assert fetch.calls == [["cus_b", "cus_a"], ["cus_c"]]


async def test_a_failed_key_fails_alone_and_is_not_cached(cache: StripeCache) -> None:
    def answer(key: str) -> Any:
        return RuntimeError("stripe down") if key == "cus_bad" else customer(key)

    fetch = Counting(answer)
    found = await cache.load(codec.CUSTOMER, ["cus_ok", "cus_bad"], fetch)
    assert found["cus_ok"] == customer("cus_ok")
    assert isinstance(found["cus_bad"], RuntimeError)
    await cache.load(codec.CUSTOMER, ["cus_ok", "cus_bad"], fetch)
    assert fetch.keys == ["cus_ok", "cus_bad", "cus_bad"]


async def test_a_fetch_that_raises_fails_its_own_keys(cache: StripeCache) -> None:
    async def broken(keys: list[str]) -> dict[str, Any]:
        raise RuntimeError("boom")

    found = await cache.load(codec.BY_EMAIL, ["a@x.example"], broken)
    assert isinstance(found["a@x.example"], RuntimeError)


async def test_not_found_is_cached_with_the_miss_ttl(settings: Settings) -> None:
    cache = StripeCache.open(settings.model_copy(update={"cache_miss_ttl_seconds": 1}))
    try:
        fetch = Counting(lambda k: None)
        assert (await cache.load(codec.CUSTOMER, ["cus_none"], fetch))["cus_none"] is None
        assert (await cache.load(codec.CUSTOMER, ["cus_none"], fetch))["cus_none"] is None
        assert len(fetch.calls) == 1
        await asyncio.sleep(1.3)
        await cache.load(codec.CUSTOMER, ["cus_none"], fetch)
        assert len(fetch.calls) == 2
    finally:
        await cache.clear()
        await cache.aclose()


async def test_concurrent_identical_misses_share_one_fetch(cache: StripeCache) -> None:
    fetch = Counting(lambda k: customer(k), delay=0.1)
    results = await asyncio.gather(
        *(cache.load(codec.CUSTOMER, ["cus_same"], fetch) for _ in range(10))
    )
    assert fetch.calls == [["cus_same"]]
    assert all(r["cus_same"] == customer("cus_same") for r in results)


async def test_two_processes_sharing_redis_fetch_a_miss_once(redis_url: str) -> None:
    settings = settings_for(redis_url)
    a, b = StripeCache.open(settings), StripeCache.open(settings)
    try:
        fetch = Counting(lambda k: customer(k), delay=0.2)
        ra, rb = await asyncio.gather(
            a.load(codec.CUSTOMER, ["cus_shared", "cus_a_only"], fetch),
            b.load(codec.CUSTOMER, ["cus_shared"], fetch),
        )
        assert sorted(fetch.keys) == ["cus_a_only", "cus_shared"]
        assert ra["cus_shared"] == rb["cus_shared"] == customer("cus_shared")
    finally:
        await a.clear()
        await a.aclose()
        await b.aclose()


async def test_a_waiting_process_fetches_itself_when_the_holder_fails(redis_url: str) -> None:
    settings = settings_for(redis_url)
    a, b = StripeCache.open(settings), StripeCache.open(settings)
    try:
        failing = Counting(lambda k: RuntimeError("holder failed"), delay=0.2)
        working = Counting(lambda k: customer(k))

        async def second() -> dict[str, Any]:
            await asyncio.sleep(0.05)  # a holds the lock by now
            return await b.load(codec.CUSTOMER, ["cus_x"], working)

        ra, rb = await asyncio.gather(a.load(codec.CUSTOMER, ["cus_x"], failing), second())
        assert isinstance(ra["cus_x"], RuntimeError)
        assert rb["cus_x"] == customer("cus_x")
        assert working.keys == ["cus_x"]
    finally:
        await a.clear()
        await a.aclose()
        await b.aclose()


async def test_memory_cache_stays_within_its_bound() -> None:
    cache = StripeCache.open(settings_for("memory://", cache_max_entries=100))
    for start in range(0, 1000, 50):
        await cache.set_many(
            codec.CUSTOMER, {f"cus_{n}": customer(f"cus_{n}") for n in range(start, start + 50)}
        )
    assert cache.entry_count() == 100
    # The newest entries are the ones kept.
    assert await cache.get_many(codec.CUSTOMER, ["cus_999", "cus_0"]) == {
        "cus_999": customer("cus_999")
    }
    await cache.aclose()


async def test_no_cache_stores_nothing() -> None:
    cache = StripeCache.open(settings_for("none://"))
    assert not cache.enabled
    fetch = Counting(lambda k: customer(k))
    await cache.load(codec.CUSTOMER, ["cus_1"], fetch)
    await cache.load(codec.CUSTOMER, ["cus_1"], fetch)
    assert len(fetch.calls) == 2
    await cache.invalidate_customer("cus_1")
    await cache.remember_customer(customer("cus_1", "a@b.example"))


async def test_redis_holds_json_and_ignores_what_is_not(redis_url: str) -> None:
    import redis.asyncio as redis

    settings = settings_for(redis_url)
    cache = StripeCache.open(settings)
    client = redis.Redis.from_url(redis_url)
    try:
        await cache.set_many(codec.CUSTOMER, {"cus_j": customer("cus_j", "j@j.example")})
        key = f"{settings.cache_namespace}:test:cus:cus_j"
        raw = await client.get(key)
        assert raw is not None
        assert json.loads(raw)["v"]["email"] == "j@j.example"

        class Boom:
            def __reduce__(self) -> tuple[Any, ...]:
                return (exec, ("raise SystemExit('unpickled!')",))

        await client.set(key, pickle.dumps(Boom()))
        assert await cache.get_many(codec.CUSTOMER, ["cus_j"]) == {}
        await client.set(key, json.dumps({"v": {"no": "customer"}}))
        assert await cache.get_many(codec.CUSTOMER, ["cus_j"]) == {}
    finally:
        await cache.clear()
        await cache.aclose()
        await client.aclose()


async def test_recent_charges_page() -> None:
    charge = Charge(id="ch_1", customer_id="cus_1", amount=1, currency="usd", created=1, status="x")
    all_known = RecentCharges((charge, charge), more=False)
    prefix = RecentCharges((charge, charge), more=True)
    assert all_known.page(5) == ((charge, charge), False)
    assert all_known.page(1) == ((charge,), True)
    assert prefix.page(2) == ((charge, charge), True)
    assert prefix.page(3) is None


# The invalidation API.

Lookup = Callable[[StripeCache, list[str]], Awaitable[dict[str, Any]]]


async def by_email(cache: StripeCache, emails: list[str], found: dict[str, list[Customer]]) -> Any:
    fetch = Counting(lambda k: found.get(k, []))
    result = await cache.customers_by(codec.BY_EMAIL, emails, fetch)
    return result, fetch


async def test_invalidate_customer_drops_everything_derived_from_it(cache: StripeCache) -> None:
    alice = customer("cus_al", "alice@acme.example")
    await by_email(cache, ["alice@acme.example"], {"alice@acme.example": [alice]})
    await cache.customers_by(codec.BY_DOMAIN, ["acme.example"], Counting(lambda k: [alice]))
    await cache.set_many(codec.CHARGES, {"cus_al": RecentCharges((), more=False)})
    await cache.set_many(
        codec.SUBSCRIPTIONS, {"cus_al": [Subscription("sub", "cus_al", "active", 1)]}
    )
    assert "cus_al" in await cache.get_many(codec.CUSTOMER, ["cus_al"])  # kept by the search

    await cache.invalidate_customer("cus_al")

    kinds: list[tuple[codec.Kind[Any], str]] = [
        (codec.CUSTOMER, "cus_al"),
        (codec.CHARGES, "cus_al"),
        (codec.SUBSCRIPTIONS, "cus_al"),
        (codec.BY_EMAIL, "alice@acme.example"),
        (codec.BY_DOMAIN, "acme.example"),
    ]
    for kind, key in kinds:
        assert await cache.get_many(kind, [key]) == {}, kind.prefix


async def test_remember_customer_corrects_lookups_before_search_indexes_it(
    cache: StripeCache,
) -> None:
    # Stripe's search has not indexed the new customer: it finds nobody at that email yet.
    result, _ = await by_email(cache, ["new@acme.example"], {})
    assert result["new@acme.example"] == []
    fresh = customer("cus_new", "New@Acme.example", name="New")

    await cache.remember_customer(fresh)

    result, fetch = await by_email(cache, ["new@acme.example"], {})
    assert [c.id for c in result["new@acme.example"]] == ["cus_new"]
    assert fetch.calls == []  # the cached empty answer, with the webhook's customer merged in
    domain: Any = await cache.customers_by(
        codec.BY_DOMAIN, ["acme.example"], Counting(lambda k: [])
    )
    assert [c.id for c in domain["acme.example"]] == ["cus_new"]
    assert (await cache.get_many(codec.CUSTOMER, ["cus_new"]))["cus_new"] == fresh


async def test_remember_customer_overrides_a_lagging_search_result(cache: StripeCache) -> None:
    old = customer(
        "cus_mv", "old@acme.example", subscriptions=(Subscription("s", "cus_mv", "active", 1),)
    )
    await by_email(cache, ["old@acme.example"], {"old@acme.example": [old]})
    moved = Customer(id="cus_mv", email="moved@other.example")  # webhooks do not expand

    await cache.remember_customer(moved)

    # Search still lags and returns the old copy; the webhook's copy replaces it, keeping the
    # subscriptions the cache knew.
    result, _ = await by_email(cache, ["old@acme.example"], {"old@acme.example": [old]})
    [seen] = list(result["old@acme.example"])
    assert seen.email == "moved@other.example"
    assert seen.subscriptions == old.subscriptions
    result, _ = await by_email(cache, ["moved@other.example"], {})
    assert [c.id for c in result["moved@other.example"]] == ["cus_mv"]


async def test_forget_customer_answers_deleted(cache: StripeCache) -> None:
    gone = customer("cus_gone", "gone@acme.example")
    await by_email(cache, ["gone@acme.example"], {"gone@acme.example": [gone]})
    await cache.set_many(codec.CHARGES, {"cus_gone": RecentCharges((), more=False)})

    await cache.forget_customer("cus_gone")

    assert (await cache.get_many(codec.CUSTOMER, ["cus_gone"]))["cus_gone"] == Customer(
        id="cus_gone", deleted=True
    )
    assert await cache.get_many(codec.CHARGES, ["cus_gone"]) == {}
    result, _ = await by_email(cache, ["gone@acme.example"], {"gone@acme.example": [gone]})
    assert [c.deleted for c in result["gone@acme.example"]] == [True]


async def test_invalidate_charges_and_subscriptions(cache: StripeCache) -> None:
    subs = (Subscription("sub_1", "cus_s", "active", 1),)
    with_subs = customer("cus_s", "s@acme.example", subscriptions=subs)
    await cache.set_many(codec.CUSTOMER, {"cus_s": with_subs})
    await cache.set_many(codec.CHARGES, {"cus_s": RecentCharges((), more=False)})
    await cache.set_many(codec.SUBSCRIPTIONS, {"cus_s": list(subs)})

    await cache.invalidate_charges("cus_s")
    assert await cache.get_many(codec.CHARGES, ["cus_s"]) == {}
    assert "cus_s" in await cache.get_many(codec.SUBSCRIPTIONS, ["cus_s"])

    await cache.invalidate_subscriptions("cus_s")
    assert await cache.get_many(codec.SUBSCRIPTIONS, ["cus_s"]) == {}
    # The customer entry embeds its subscriptions, so it goes too.
    assert await cache.get_many(codec.CUSTOMER, ["cus_s"]) == {}


async def test_a_cancelled_fetch_leaves_the_others_to_fetch_themselves(cache: StripeCache) -> None:
    slow = Counting(lambda k: customer(k), delay=1.0)
    fast = Counting(lambda k: customer(k))
    owner = asyncio.ensure_future(cache.load(codec.CUSTOMER, ["cus_c"], slow))
    await asyncio.sleep(0.05)
    joiner = asyncio.ensure_future(cache.load(codec.CUSTOMER, ["cus_c"], fast))
    await asyncio.sleep(0.05)
    owner.cancel()
    assert (await joiner)["cus_c"] == customer("cus_c")
    assert fast.keys == ["cus_c"]


def test_an_empty_cache_url_switches_the_cache_off() -> None:
    assert not StripeCache.open(settings_for("")).enabled
    assert not StripeCache.open(settings_for("none://")).enabled
