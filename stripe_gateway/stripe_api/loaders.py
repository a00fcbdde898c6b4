"""Per-request DataLoaders: every lookup of one GraphQL operation, batched into few requests.

A loader per lookup kind collects the keys asked for in one tick of the event loop and
fetches them together: customers by id concurrently, exact emails and domains as searches
of up to 10 `OR` clauses, charges as a charge search over up to 10 customers, products by
`ids[]`. Results come back in key order; a failed request fails only the keys it carried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from stripe_gateway.records import ChargePage, Customer, Product, Subscription
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
) -> list[V | BaseException]:
    """Fetch keys in chunks concurrently; a failed chunk fails only its own keys."""
    chunks = list(search_query.chunks(dict.fromkeys(keys), size))
    if not chunks:
        return []
    outcomes = await asyncio.gather(*(fetch(c) for c in chunks), return_exceptions=True)
    by_key: dict[K, V | BaseException] = {}
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        for key in chunk:
            by_key[key] = outcome if isinstance(outcome, BaseException) else outcome[key]
    return [by_key[key] for key in keys]


async def _each(fetch: Callable[[K], Awaitable[V]], keys: Sequence[K]) -> list[V | BaseException]:
    """One request per key, all at once; a failure is returned in its key's place."""
    return await asyncio.gather(*(fetch(k) for k in keys), return_exceptions=True)


def _containing(customers: Iterable[Customer], needle: str) -> list[Customer]:
    """The customers whose email contains `needle` (case-insensitive): what one clause found.

    This only splits a batched search back into its clauses; `matching` applies the rule.
    """
    needle = needle.lower()
    return [c for c in customers if c.email and needle in c.email.lower()]


class StripeLoaders:
    """The DataLoaders of one GraphQL request; create one per request."""

    def __init__(self, reader: StripeReader, *, search_enabled: bool = True) -> None:
        self._reader = reader
        self._search_enabled = search_enabled
        self.customer = DataLoader(self._load_customers)
        self.by_email = DataLoader(self._load_by_email)
        self.by_domain = DataLoader(self._load_by_domain)
        self.charges = DataLoader(self._load_charges)
        self.subscriptions = DataLoader(self._load_subscriptions)
        self.product = DataLoader(self._load_products)

    # The matching package's CustomerLookup interface.

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        return await self.customer.load(customer_id)

    async def customers_by_email(self, email: str) -> Sequence[Customer]:
        return await self.by_email.load(email)

    async def customers_by_domain(self, domain: str) -> Sequence[Customer]:
        return await self.by_domain.load(domain)

    # Batch functions.

    async def _load_customers(self, ids: list[str]) -> list[Customer | BaseException | None]:
        return await asyncio.gather(
            *(self._reader.customer(i) for i in ids), return_exceptions=True
        )

    async def _load_by_email(self, emails: list[str]) -> list[list[Customer] | BaseException]:
        if not self._search_enabled:
            return await asyncio.gather(
                *(self._list_by_email(e) for e in emails), return_exceptions=True
            )

        async def search(chunk: list[str]) -> dict[str, list[Customer]]:
            query = search_query.any_of([search_query.exact("email", e) for e in chunk])
            found = await self._reader.search_customers(query)
            return {e: _containing(found, e) for e in chunk}

        return await _per_chunk(emails, search_query.MAX_CLAUSES, search)

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

        return await _per_chunk(domains, search_query.MAX_CLAUSES, search)

    async def _load_charges(self, keys: list[ChargesKey]) -> list[ChargePage | BaseException]:
        first_pages = [k for k in keys if k.after is None]

        async def search(chunk: list[ChargesKey]) -> dict[ChargesKey, ChargePage]:
            ids = list(dict.fromkeys(k.customer_id for k in chunk))
            query = search_query.any_of([search_query.exact("customer", i) for i in ids])
            found, more = await self._reader.search_charges(query)
            pages: dict[ChargesKey, ChargePage] = {}
            crowded_out: list[ChargesKey] = []
            for key in chunk:
                own = sorted(
                    (c for c in found if c.customer_id == key.customer_id),
                    key=lambda c: (-c.created, c.id),
                )
                if len(own) > key.first or not more:
                    pages[key] = ChargePage(tuple(own[: key.first]), len(own) > key.first)
                else:
                    # Other customers' charges filled the search page: this customer
                    # may have newer charges than the page holds. Ask for them directly.
                    crowded_out.append(key)
            for key, page in zip(
                crowded_out,
                await asyncio.gather(*(self._charge_page(k) for k in crowded_out)),
                strict=True,
            ):
                pages[key] = page
            return pages

        searched = (
            await _per_chunk(first_pages, search_query.MAX_CLAUSES, search) if first_pages else []
        )
        by_key: dict[ChargesKey, ChargePage | BaseException] = dict(
            zip(first_pages, searched, strict=True)
        )
        later = [k for k in keys if k.after is not None]
        later_pages = await asyncio.gather(
            *(self._charge_page(k) for k in later), return_exceptions=True
        )
        by_key.update(zip(later, later_pages, strict=True))
        return [by_key[k] for k in keys]

    async def _charge_page(self, key: ChargesKey) -> ChargePage:
        charges, more = await self._reader.list_charges(key.customer_id, key.first, key.after)
        return ChargePage(tuple(charges), more)

    async def _load_subscriptions(self, ids: list[str]) -> list[list[Subscription] | BaseException]:
        return await asyncio.gather(
            *(self._reader.list_subscriptions(i) for i in ids), return_exceptions=True
        )

    async def _load_products(self, ids: list[str]) -> list[Product | BaseException | None]:
        async def fetch(chunk: list[str]) -> dict[str, Product | None]:
            found = {p.id: p for p in await self._reader.list_products(chunk)}
            return {i: found.get(i) for i in chunk}

        return await _per_chunk(ids, PAGE_LIMIT, fetch)
