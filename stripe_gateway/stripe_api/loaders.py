"""Per-request DataLoaders: every lookup of one GraphQL operation, batched into few requests.

A loader per lookup kind collects the keys asked for in one tick of the event loop, reads
the cross-request cache (`stripe_gateway.cache`) and fetches only the misses, together:
customers by id concurrently (subscriptions expanded), exact emails and domains as
searches of up to 10 `OR` clauses (never mixed in one search), charges as a charge search
over up to 10 customers with a per-customer list when others' charges crowd one out, and
products by `ids[]`. Results come back in key order; a failed request fails only the keys
it carried.

With `STRIPE_BATCHING_ENABLED=false` (the naive baseline of the benchmarks) every key is
its own request: no OR-folding, no `ids[]` lists, no charge search.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from stripe_gateway.cache import RecentCharges, StripeCache, codec
from stripe_gateway.cache.stripe_cache import email_entry
from stripe_gateway.matching.emails import domain_key
from stripe_gateway.records import Charge, ChargePage, Customer, Product, Subscription
from stripe_gateway.stripe_api import search_query
from stripe_gateway.stripe_api.reader import PAGE_LIMIT, StripeReader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ChargesKey:
    """One page of one customer's charges: `first` newest after the charge id `after`."""

    customer_id: str
    first: int
    after: str | None = None


async def _per_chunk(
    keys: Sequence[K],
    size: int,
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]],
) -> dict[K, V | BaseException]:
    """Fetch keys in chunks concurrently; a failed chunk fails only its own keys."""
    chunks = list(search_query.chunks(dict.fromkeys(keys), size))
    outcomes = await asyncio.gather(*(fetch(c) for c in chunks), return_exceptions=True)
    by_key: dict[K, V | BaseException] = {}
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        for key in chunk:
            by_key[key] = outcome if isinstance(outcome, BaseException) else outcome[key]
    return by_key


async def _each(
    fetch: Callable[[K], Awaitable[V]], keys: Sequence[K]
) -> dict[K, V | BaseException]:
    """One request per key, all at once; a failure is returned in its key's place."""
    unique = list(dict.fromkeys(keys))
    outcomes = await asyncio.gather(*(fetch(k) for k in unique), return_exceptions=True)
    return dict(zip(unique, outcomes, strict=True))


def _containing(customers: Iterable[Customer], needle: str) -> list[Customer]:
    """The customers whose email contains `needle` (case-insensitive): what one clause found.

    This only splits a batched search back into its clauses; `matching` applies the rule.
    """
    needle = needle.lower()
    return [c for c in customers if c.email and needle in c.email.lower()]


def _newest_first(charges: Iterable[Charge]) -> list[Charge]:
    return sorted(charges, key=lambda c: (-c.created, c.id))


class StripeLoaders:
    """The DataLoaders of one GraphQL request; create one per request."""

    def __init__(
        self,
        reader: StripeReader,
        *,
        cache: StripeCache | None = None,
        search_enabled: bool = True,
        batching: bool = True,
    ) -> None:
        self._reader = reader
        self._cache = cache or StripeCache(reader.settings, None)
        self._search_enabled = search_enabled
        self.batching = self._batching = batching
        # Naive baseline: one key per batch, one clause per search.
        self._clauses = search_query.MAX_CLAUSES if batching else 1
        self._ids_per_list = PAGE_LIMIT if batching else 1
        size = None if batching else 1
        self.customer = DataLoader(self._load_customers, max_batch_size=size)
        self.by_email = DataLoader(self._load_by_email, max_batch_size=size)
        self.by_domain = DataLoader(self._load_by_domain, max_batch_size=size)
        self.charges = DataLoader(self._load_charges, max_batch_size=size)
        self.subscriptions = DataLoader(self._load_subscriptions, max_batch_size=size)
        self.product = DataLoader(self._load_products, max_batch_size=size)

    # The matching package's CustomerLookup interface.

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        return await self.customer.load(customer_id)

    async def customers_by_email(self, email: str) -> Sequence[Customer]:
        return await self.by_email.load(email)

    async def customers_by_domain(self, domain: str) -> Sequence[Customer]:
        return await self.by_domain.load(domain)

    # Batch functions.

    async def _load_customers(self, ids: list[str]) -> list[Customer | BaseException | None]:
        async def fetch(missing: list[str]) -> dict[str, Customer | BaseException | None]:
            # Let the same tick's email searches go out first: they are on the longer path
            # (a miss leads to a domain search, a hit to charges), retrieves are leaves.
            await asyncio.sleep(0)
            return await _each(self._reader.customer, missing)

        found = await self._cache.load(codec.CUSTOMER, ids, fetch)
        return [found[i] for i in ids]

    async def _load_by_email(self, emails: list[str]) -> list[list[Customer] | BaseException]:
        if not self._search_enabled:
            listed = await self._cache.customers_by(
                codec.BY_EMAIL_LIST, emails, lambda missing: _each(self._list_by_email, missing)
            )
            return [listed[e] for e in emails]

        async def search(chunk: list[str]) -> dict[str, list[Customer]]:
            query = search_query.any_of([search_query.exact("email", e) for e in chunk])
            found = await self._reader.search_customers(query)
            return {e: _containing(found, e) for e in chunk}

        async def fetch(missing: list[str]) -> dict[str, list[Customer] | BaseException]:
            return await _per_chunk(missing, self._clauses, search)

        keys = [email_entry(e) for e in emails]
        found = await self._cache.customers_by(codec.BY_EMAIL, keys, fetch)
        return [found[k] for k in keys]

    async def _list_by_email(self, email: str) -> list[Customer]:
        """Without Search: the list endpoint, with the address as given, then lower-cased."""
        found = {c.id: c for c in await self._reader.list_customers_by_email(email)}
        if email.lower() != email:
            found.update(
                (c.id, c) for c in await self._reader.list_customers_by_email(email.lower())
            )
        return list(found.values())

    async def _load_by_domain(self, domains: list[str]) -> list[list[Customer] | BaseException]:
        async def search(chunk: list[str]) -> dict[str, list[Customer]]:
            searchable = [d for d in chunk if len(d) >= search_query.MIN_SUBSTRING_LENGTH]
            found: list[Customer] = []
            if searchable:
                clauses = [search_query.substring("email", d) for d in searchable]
                found = await self._reader.search_customers(search_query.any_of(clauses))
            return {d: _containing(found, d) for d in chunk}

        async def fetch(missing: list[str]) -> dict[str, list[Customer] | BaseException]:
            return await _per_chunk(missing, self._clauses, search)

        keys = [domain_key(d) for d in domains]
        found = await self._cache.customers_by(codec.BY_DOMAIN, keys, fetch)
        return [found[k] for k in keys]

    async def _load_charges(self, keys: list[ChargesKey]) -> list[ChargePage | BaseException]:
        by_key: dict[ChargesKey, ChargePage | BaseException] = {}
        first_pages = [k for k in keys if k.after is None]
        if first_pages:
            needed: dict[str, int] = {}
            for key in first_pages:
                needed[key.customer_id] = max(key.first, needed.get(key.customer_id, 0))

            def usable(customer_id: str, recent: RecentCharges) -> bool:
                return recent.page(needed[customer_id]) is not None

            async def fetch(ids: list[str]) -> dict[str, RecentCharges | BaseException]:
                if not self._batching:
                    return await _each(lambda i: self._recent_charges(i, needed[i]), ids)
                return await _per_chunk(
                    ids, search_query.MAX_CLAUSES, lambda chunk: self._search_charges(chunk, needed)
                )

            recent = await self._cache.load(codec.CHARGES, list(needed), fetch, usable=usable)
            for key in first_pages:
                entry = recent[key.customer_id]
                page = None if isinstance(entry, BaseException) else entry.page(key.first)
                if page is not None:
                    by_key[key] = ChargePage(*page)
                elif isinstance(entry, BaseException):
                    by_key[key] = entry
        rest = [k for k in keys if k not in by_key]
        by_key.update(await _each(self._charge_page, rest))
        return [by_key[k] for k in keys]

    async def _search_charges(
        self, customer_ids: list[str], needed: dict[str, int]
    ) -> dict[str, RecentCharges]:
        """One charge search over up to 10 customers; a customer whose newest charges may
        have been crowded off the page by the others' gets its own list request."""
        query = search_query.any_of([search_query.exact("customer", i) for i in customer_ids])
        found, more = await self._reader.search_charges(query)
        recent: dict[str, RecentCharges] = {}
        crowded_out: list[str] = []
        for customer_id in customer_ids:
            own = _newest_first(c for c in found if c.customer_id == customer_id)
            if not more:
                recent[customer_id] = RecentCharges(tuple(own), more=False)
            elif len(own) > needed[customer_id]:
                # The page ended somewhere after these; only the last one's successor is
                # unknown, so keep all but the last as a prefix with more to come.
                recent[customer_id] = RecentCharges(tuple(own[:-1]), more=True)
            else:
                crowded_out.append(customer_id)
        listed = await asyncio.gather(*(self._recent_charges(i, needed[i]) for i in crowded_out))
        recent.update(zip(crowded_out, listed, strict=True))
        return recent

    async def _recent_charges(self, customer_id: str, first: int) -> RecentCharges:
        charges, more = await self._reader.list_charges(customer_id, first, None)
        return RecentCharges(tuple(charges), more)

    async def _charge_page(self, key: ChargesKey) -> ChargePage:
        charges, more = await self._reader.list_charges(key.customer_id, key.first, key.after)
        return ChargePage(tuple(charges), more)

    async def _load_subscriptions(self, ids: list[str]) -> list[list[Subscription] | BaseException]:
        async def fetch(missing: list[str]) -> dict[str, list[Subscription] | BaseException]:
            return await _each(self._reader.list_subscriptions, missing)

        found = await self._cache.load(codec.SUBSCRIPTIONS, ids, fetch)
        return [found[i] for i in ids]

    async def _load_products(self, ids: list[str]) -> list[Product | BaseException | None]:
        async def listed(chunk: list[str]) -> dict[str, Product | None]:
            found = {p.id: p for p in await self._reader.list_products(chunk)}
            return {i: found.get(i) for i in chunk}

        async def fetch(missing: list[str]) -> dict[str, Product | BaseException | None]:
            return await _per_chunk(missing, self._ids_per_list, listed)

        found = await self._cache.load(codec.PRODUCT, ids, fetch)
        return [found[i] for i in ids]
