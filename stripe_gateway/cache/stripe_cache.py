"""The cross-request cache of Stripe lookups, and the API that keeps it correct.

Entries (see `codec`) are keyed by what they were derived from: `cus:<id>`,
`charges:<customer id>`, `subs:<customer id>`, `email:<email>`, `domain:<domain>`,
`product:<id>`. Every customer found by a search is also stored under `cus:<id>`, so the
cache knows each cached customer's email and can drop the email and domain entries that
hold it when the customer changes (`invalidate_customer`).

`remember_customer` (a webhook's fresh customer) writes the customer under `recent:<id>`
and its id under `recent-email:<email>` and `recent-domain:<domain>` for
`CACHE_RECENT_TTL_SECONDS`. Every email and domain lookup merges these in: a cached or
lagging search result is replaced by the webhook's newer copy, and a customer that
Stripe's search has not indexed yet is added. Matching re-checks every candidate's email,
so a customer whose email moved away is dropped by the rule itself.

Concurrent identical misses share one Stripe request: in one process through a map of
in-flight futures, across processes (Redis) through a `SET NX` lock per key, whose holder
fetches while the others wait for the value to appear.

A cache that fails (Redis down, a timeout) is logged and bypassed: the gateway asks
Stripe instead, never fails a query because of its cache.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from aiocache.base import BaseCache

from stripe_gateway.cache import codec
from stripe_gateway.cache.backends import BoundedMemoryCache, open_backend
from stripe_gateway.cache.codec import Kind
from stripe_gateway.config import Settings
from stripe_gateway.matching.emails import domain_key, email_domain, email_key
from stripe_gateway.records import Customer

logger = logging.getLogger("stripe_gateway.cache")

V = TypeVar("V")
Outcome = Any  # a value of the entry's kind, or the exception that fetching it raised
Fetch = Callable[[list[str]], Awaitable[Mapping[str, Any]]]

# Cross-process single flight: how long a lock holder may take, how often others look.
LOCK_LEASE_SECONDS = 30.0
LOCK_POLL_SECONDS = 0.02
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


_INTERRUPTED = object()


def email_entry(email: str) -> str:
    """The key of an email's search results: searches compare emails case-insensitively."""
    return email.strip().lower()


async def _fetch_safely(fetch: Fetch, suffixes: list[str]) -> dict[str, Outcome]:
    """Call `fetch`; an exception becomes the outcome of every key it carried."""
    try:
        found = await fetch(suffixes)
    except Exception as exc:
        return dict.fromkeys(suffixes, exc)
    missing = LookupError("the lookup returned no value for this key")
    return {s: found.get(s, missing) for s in suffixes}


class StripeCache:
    """Cached Stripe lookups for every request of one process (and, with Redis, of all)."""

    def __init__(self, settings: Settings, backend: BaseCache | None) -> None:
        self.settings = settings
        self.backend = backend
        self._redis: Any = getattr(backend, "client", None) if backend is not None else None
        self._inflight: dict[str, asyncio.Future[Outcome]] = {}
        self._token = secrets.token_hex(8)  # marks the cross-process locks this one holds

    @classmethod
    def open(cls, settings: Settings) -> StripeCache:
        """The cache that `CACHE_URL` asks for (`none://` gives one that stores nothing)."""
        mode = "live" if settings.stripe_livemode else "test"
        backend = open_backend(
            settings.cache_url,
            max_entries=settings.cache_max_entries,
            namespace=f"{settings.cache_namespace}:{mode}",
        )
        return cls(settings, backend)

    @property
    def enabled(self) -> bool:
        return self.backend is not None

    @property
    def shared(self) -> bool:
        """Whether other processes share this cache (Redis)."""
        return self._redis is not None

    def entry_count(self) -> int | None:
        """Entries held by the memory cache (None for Redis or no cache)."""
        return len(self.backend) if isinstance(self.backend, BoundedMemoryCache) else None

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()  # (aiocache's close() calls a deprecated one)
        elif self.backend is not None:
            await self.backend.close()

    async def clear(self) -> None:
        """Drop every entry of this cache's namespace."""
        if self.backend is None:
            return
        if self._redis is None:
            await self.backend.clear()
            return
        pattern = f"{self.backend.namespace}:*"
        batch: list[Any] = []
        async for key in self._redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await self._redis.delete(*batch)
                batch = []
        if batch:
            await self._redis.delete(*batch)

    # Reading and writing entries; failures are logged and read as misses.

    async def get_many(self, kind: Kind[V], suffixes: Iterable[str]) -> dict[str, V]:
        """The cached values of these keys that are present and decode."""
        wanted = list(dict.fromkeys(suffixes))
        if self.backend is None or not wanted:
            return {}
        try:
            raws = await self.backend.multi_get([kind.key(s) for s in wanted])
        except Exception:
            logger.warning("cache read failed; asking Stripe instead", exc_info=True)
            return {}
        found: dict[str, V] = {}
        for suffix, raw in zip(wanted, raws, strict=True):
            if raw is None:
                continue
            ok, value = kind.decode(raw)
            if ok:
                found[suffix] = value  # type: ignore[assignment]
            else:
                logger.warning("ignoring a cache entry that does not decode: %s", kind.prefix)
        return found

    async def set_many(
        self, kind: Kind[V], values: Mapping[str, V], ttl: int | None = None
    ) -> None:
        """Store values; misses (empty, not found) get the shorter miss TTL."""
        if self.backend is None or not values:
            return
        by_ttl: dict[int, list[tuple[str, str]]] = {}
        for suffix, value in values.items():
            seconds = ttl or (
                self.settings.cache_miss_ttl_seconds
                if kind.is_miss(value)
                else self.settings.cache_ttl_seconds
            )
            by_ttl.setdefault(seconds, []).append((kind.key(suffix), kind.encode(value)))
        try:
            for seconds, pairs in by_ttl.items():
                await self.backend.multi_set(pairs, ttl=seconds)
        except Exception:
            logger.warning("cache write failed", exc_info=True)

    async def delete(self, *keys: str) -> None:
        """Delete entries by key (`kind.key(suffix)`)."""
        if self.backend is None:
            return
        try:
            if self._redis is not None:
                if keys:
                    await self._redis.delete(*(self._raw_key(k) for k in keys))
            else:
                for key in keys:
                    await self.backend.delete(key)
        except Exception:
            logger.warning("cache delete failed", exc_info=True)

    # Cached lookups with single flight.

    async def load(
        self,
        kind: Kind[V],
        suffixes: Sequence[str],
        fetch: Fetch,
        *,
        usable: Callable[[str, V], bool] | None = None,
        on_fetched: Callable[[dict[str, V]], Awaitable[None]] | None = None,
    ) -> dict[str, V | BaseException]:
        """Each key's value: from the cache, or else from `fetch(missing keys)`.

        `fetch` returns a value or an exception per key it was given (or raises, which
        fails all of them). Values fetched are stored; exceptions never are. A cached value
        that `usable` rejects counts as a miss. `on_fetched` sees what was fetched.
        """
        wanted = list(dict.fromkeys(suffixes))
        if self.backend is None:
            return await _fetch_safely(fetch, wanted)
        results: dict[str, V | BaseException] = {
            s: v
            for s, v in (await self.get_many(kind, wanted)).items()
            if usable is None or usable(s, v)
        }
        owned: list[str] = []
        joined: dict[str, asyncio.Future[Outcome]] = {}
        loop = asyncio.get_running_loop()
        for suffix in wanted:
            if suffix in results:
                continue
            key = kind.key(suffix)
            running = self._inflight.get(key)
            if running is not None:
                joined[suffix] = running
            else:
                self._inflight[key] = loop.create_future()
                owned.append(suffix)
        if owned:
            fetched: dict[str, Outcome] = {}
            try:
                fetched = await self._fetch_once(kind, owned, fetch, on_fetched)
            finally:
                for suffix in owned:
                    future = self._inflight.pop(kind.key(suffix))
                    # A fetch cancelled midway (its client went away) leaves the others
                    # waiting on it to fetch for themselves.
                    future.set_result(fetched.get(suffix, _INTERRUPTED))
            results.update(fetched)
        retry: list[str] = []
        for suffix, future in joined.items():
            value = await asyncio.shield(future)
            if value is _INTERRUPTED:
                retry.append(suffix)
            elif isinstance(value, BaseException) or usable is None or usable(suffix, value):
                results[suffix] = value
            else:
                retry.append(suffix)
        if retry:
            again = await _fetch_safely(fetch, retry)
            await self._store_fetched(kind, again, on_fetched)
            results.update(again)
        return {s: results[s] for s in wanted}

    async def _store_fetched(
        self,
        kind: Kind[V],
        fetched: Mapping[str, Outcome],
        on_fetched: Callable[[dict[str, V]], Awaitable[None]] | None,
    ) -> None:
        values = {s: v for s, v in fetched.items() if not isinstance(v, BaseException)}
        await self.set_many(kind, values)
        if on_fetched is not None and values:
            await on_fetched(values)

    async def _fetch_once(
        self,
        kind: Kind[V],
        suffixes: list[str],
        fetch: Fetch,
        on_fetched: Callable[[dict[str, V]], Awaitable[None]] | None,
    ) -> dict[str, Outcome]:
        """Fetch and store; with Redis, only the keys no other process is fetching."""
        locked, others = await self._lock(kind, suffixes)
        if not others:
            return await self._fetch_and_store(kind, locked, fetch, on_fetched)
        mine, theirs = await asyncio.gather(
            self._fetch_and_store(kind, locked, fetch, on_fetched),
            self._wait_for_others(kind, others, fetch, on_fetched),
        )
        return {**mine, **theirs}

    async def _fetch_and_store(
        self,
        kind: Kind[V],
        suffixes: list[str],
        fetch: Fetch,
        on_fetched: Callable[[dict[str, V]], Awaitable[None]] | None,
    ) -> dict[str, Outcome]:
        if not suffixes:
            return {}
        try:
            fetched = await _fetch_safely(fetch, suffixes)
            await self._store_fetched(kind, fetched, on_fetched)
        finally:
            # Also when cancelled midway: other processes must not wait out the lease.
            await self._unlock(kind, suffixes)
        return fetched

    def _lock_key(self, kind: Kind[V], suffix: str) -> str:
        return self._raw_key(f"lock:{kind.key(suffix)}")

    def _raw_key(self, key: str) -> str:
        """The key as the backend stores it (with the namespace)."""
        assert self.backend is not None
        return str(self.backend.build_key(key, namespace=self.backend.namespace))

    async def _lock(self, kind: Kind[V], suffixes: list[str]) -> tuple[list[str], list[str]]:
        """Take the cross-process lock of each key: (keys locked here, keys locked elsewhere)."""
        if self._redis is None:
            return suffixes, []
        token = self._token
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for suffix in suffixes:
                    pipe.set(
                        self._lock_key(kind, suffix),
                        token,
                        nx=True,
                        px=int(LOCK_LEASE_SECONDS * 1000),
                    )
                replies = await pipe.execute()
        except Exception:
            logger.warning("cache lock failed; fetching without it", exc_info=True)
            return suffixes, []
        locked = [s for s, ok in zip(suffixes, replies, strict=True) if ok]
        return locked, [s for s, ok in zip(suffixes, replies, strict=True) if not ok]

    async def _unlock(self, kind: Kind[V], suffixes: list[str]) -> None:
        if self._redis is None or not suffixes:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for suffix in suffixes:
                    pipe.eval(_RELEASE, 1, self._lock_key(kind, suffix), self._token)
                await pipe.execute()
        except Exception:
            logger.warning("cache unlock failed (the lease will expire)", exc_info=True)

    async def _wait_for_others(
        self,
        kind: Kind[V],
        suffixes: list[str],
        fetch: Fetch,
        on_fetched: Callable[[dict[str, V]], Awaitable[None]] | None,
    ) -> dict[str, Outcome]:
        """Wait for other processes to store these keys; fetch those they gave up on."""
        results: dict[str, Outcome] = {}
        pending = list(suffixes)
        deadline = time.monotonic() + LOCK_LEASE_SECONDS
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(LOCK_POLL_SECONDS)
            results.update(await self.get_many(kind, pending))
            pending = [s for s in pending if s not in results]
            if not pending:
                break
            try:
                held = await self._redis.exists(*(self._lock_key(kind, s) for s in pending))
            except Exception:
                held = 0
            if held < len(pending):
                # A holder let go without storing a value (its fetch failed): take over.
                locked, pending = await self._lock(kind, pending)
                stored = await self.get_many(kind, locked)
                results.update(stored)
                await self._unlock(kind, list(stored))
                todo = [s for s in locked if s not in stored]
                results.update(await self._fetch_and_store(kind, todo, fetch, on_fetched))
        if pending:
            results.update(await self._fetch_and_store(kind, pending, fetch, on_fetched))
        return results

    # Customer lookups by email and domain, with what webhooks told us merged in.

    async def customers_by(
        self,
        kind: Kind[list[Customer]],
        suffixes: Sequence[str],
        fetch: Fetch,
    ) -> dict[str, list[Customer] | BaseException]:
        """Cached email or domain lookups (`kind` BY_EMAIL, BY_EMAIL_LIST or BY_DOMAIN)."""
        found = await self.load(kind, suffixes, fetch, on_fetched=self._store_found)
        if self.backend is None:
            return found
        overlay = codec.RECENT_DOMAIN if kind is codec.BY_DOMAIN else codec.RECENT_EMAIL
        overlay_key = domain_key if kind is codec.BY_DOMAIN else email_key
        return await self._with_recent(found, overlay, overlay_key)

    async def _store_found(self, found: dict[str, list[Customer]]) -> None:
        """Keep every customer a search found under `cus:<id>` too (unless a webhook's newer
        copy is there), so a later change to it can find the lookups that hold it."""
        customers = {c.id: c for cs in found.values() for c in cs}
        recent = await self.get_many(codec.RECENT_CUSTOMER, customers)
        await self.set_many(codec.CUSTOMER, {i: c for i, c in customers.items() if i not in recent})

    async def _with_recent(
        self,
        found: dict[str, list[Customer] | BaseException],
        overlay: Kind[list[str]],
        overlay_key: Callable[[str], str],
    ) -> dict[str, list[Customer] | BaseException]:
        keys = {s: overlay_key(s) for s in found}
        added = await self.get_many(overlay, keys.values())
        ids = {c.id for v in found.values() if isinstance(v, list) for c in v}
        ids.update(i for extra in added.values() for i in extra)
        recent = await self.get_many(codec.RECENT_CUSTOMER, ids)
        if not recent:
            return found
        merged: dict[str, list[Customer] | BaseException] = {}
        for suffix, value in found.items():
            if isinstance(value, BaseException):
                merged[suffix] = value
                continue
            customers = {c.id: _newer(c, recent.get(c.id)) for c in value}
            for extra_id in added.get(keys[suffix], ()):
                if extra_id in recent and extra_id not in customers:
                    customers[extra_id] = recent[extra_id]
            merged[suffix] = list(customers.values())
        return merged

    # The invalidation API (called by webhooks).

    async def _known(self, customer_id: str) -> list[Customer]:
        known = [
            *(await self.get_many(codec.CUSTOMER, [customer_id])).values(),
            *(await self.get_many(codec.RECENT_CUSTOMER, [customer_id])).values(),
        ]
        return [c for c in known if c is not None]

    def _lookup_keys(self, customers: Iterable[Customer]) -> set[str]:
        """The email and domain entries that may hold these customers."""
        keys: set[str] = set()
        for customer in customers:
            if not customer.email:
                continue
            keys.add(codec.BY_EMAIL.key(email_entry(customer.email)))
            address = customer.email.strip()
            keys.update(
                (codec.BY_EMAIL_LIST.key(address), codec.BY_EMAIL_LIST.key(address.lower()))
            )
            domain = email_domain(customer.email)
            if domain:
                keys.add(codec.BY_DOMAIN.key(domain))
        return keys

    async def invalidate_customer(self, customer_id: str) -> None:
        """Forget a customer, its charges and subscriptions, and every email and domain
        lookup that held it (as far as the cache knows its email)."""
        if self.backend is None:
            return
        known = await self._known(customer_id)
        await self.delete(
            codec.CUSTOMER.key(customer_id),
            codec.RECENT_CUSTOMER.key(customer_id),
            codec.CHARGES.key(customer_id),
            codec.SUBSCRIPTIONS.key(customer_id),
            *self._lookup_keys(known),
        )

    async def remember_customer(self, customer: Customer) -> None:
        """A webhook brought this customer's current data: serve it at once, by id and in
        the lookups of its email and domain, even before Stripe's search has indexed it."""
        if self.backend is None:
            return
        if customer.deleted:
            await self.forget_customer(customer.id)
            return
        known = await self._known(customer.id)
        if customer.subscriptions is None:
            # Webhook payloads do not expand subscriptions: keep the ones already known.
            subs = next((c.subscriptions for c in known if c.subscriptions is not None), None)
            customer = replace(customer, subscriptions=subs)
        moved = [c for c in known if c.email != customer.email]
        await self.delete(*self._lookup_keys(moved))
        recent_ttl = self.settings.cache_recent_ttl_seconds
        await self.set_many(codec.RECENT_CUSTOMER, {customer.id: customer}, ttl=recent_ttl)
        if customer.subscriptions is None:
            await self.delete(codec.CUSTOMER.key(customer.id))
        else:
            await self.set_many(codec.CUSTOMER, {customer.id: customer})
        if customer.email:
            await self._add_recent(codec.RECENT_EMAIL, email_key(customer.email), customer)
            domain = email_domain(customer.email)
            if domain:
                await self._add_recent(codec.RECENT_DOMAIN, domain, customer)

    async def _add_recent(self, kind: Kind[list[str]], suffix: str, customer: Customer) -> None:
        current = (await self.get_many(kind, [suffix])).get(suffix, [])
        if customer.id not in current:
            await self.set_many(
                kind,
                {suffix: [*current, customer.id]},
                ttl=self.settings.cache_recent_ttl_seconds,
            )

    async def forget_customer(self, customer_id: str) -> None:
        """The customer was deleted: answer it as deleted by id and drop it from lookups."""
        if self.backend is None:
            return
        known = await self._known(customer_id)
        gone = Customer(id=customer_id, deleted=True)
        await self.delete(
            codec.CHARGES.key(customer_id),
            codec.SUBSCRIPTIONS.key(customer_id),
            *self._lookup_keys(known),
        )
        await self.set_many(codec.CUSTOMER, {customer_id: gone})
        await self.set_many(
            codec.RECENT_CUSTOMER,
            {customer_id: gone},
            ttl=self.settings.cache_recent_ttl_seconds,
        )

    async def invalidate_charges(self, customer_id: str) -> None:
        """A charge of this customer changed (created, refunded, disputed...)."""
        await self.delete(codec.CHARGES.key(customer_id))

    async def invalidate_subscriptions(self, customer_id: str) -> None:
        """A subscription of this customer changed: drop its subscription list and every
        entry holding the customer with its subscriptions expanded."""
        if self.backend is None:
            return
        known = await self._known(customer_id)
        await self.delete(
            codec.SUBSCRIPTIONS.key(customer_id),
            codec.CUSTOMER.key(customer_id),
            *self._lookup_keys(known),
        )
        recent = (await self.get_many(codec.RECENT_CUSTOMER, [customer_id])).get(customer_id)
        if recent is not None and recent.subscriptions is not None:
            await self.set_many(
                codec.RECENT_CUSTOMER,
                {customer_id: replace(recent, subscriptions=None)},
                ttl=self.settings.cache_recent_ttl_seconds,
            )


def _newer(found: Customer, recent: Customer | None) -> Customer:
    """The webhook's copy of a customer over a (possibly lagging) search result's."""
    if recent is None:
        return found
    if recent.subscriptions is None and found.subscriptions is not None:
        return replace(recent, subscriptions=found.subscriptions)
    return recent
