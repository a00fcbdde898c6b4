"""What the cache holds, per kind of entry, and how each is written as JSON.

Values are the records of `stripe_gateway.records`, encoded and decoded by pydantic
`TypeAdapter`s as JSON text. Nothing is pickled: whoever can write to the cache can at
worst make the gateway show wrong data, never run code in it. A value that does not
decode is treated as a miss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from stripe_gateway.records import Charge, Customer, Product, Subscription

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class RecentCharges:
    """A customer's newest charges, newest first; `more` when older ones exist beyond them."""

    charges: tuple[Charge, ...]
    more: bool

    def page(self, first: int) -> tuple[tuple[Charge, ...], bool] | None:
        """The first `first` charges and whether more follow; None when this cannot tell."""
        if first > len(self.charges) and self.more:
            return None
        return self.charges[:first], len(self.charges) > first or self.more


@dataclass(frozen=True, slots=True)
class Entry(Generic[V]):
    """The JSON envelope of a cached value, so a cached null differs from an absent key."""

    v: V


class Kind(Generic[V]):
    """One kind of cache entry: its key prefix, its JSON codec, and which values are misses
    (cached for the shorter miss TTL)."""

    def __init__(self, prefix: str, value_type: Any, is_miss: Callable[[V], bool]) -> None:
        self.prefix = prefix
        self.is_miss = is_miss
        self._adapter: TypeAdapter[Entry[V]] = TypeAdapter(Entry[value_type])

    def key(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    def encode(self, value: V) -> str:
        return self._adapter.dump_json(Entry(value)).decode()

    def decode(self, raw: str | bytes) -> tuple[bool, V | None]:
        """(True, value) for a valid entry, (False, None) for one that does not decode."""
        try:
            return True, self._adapter.validate_json(raw).v
        except ValidationError:
            return False, None


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, list | tuple) and not value)


def _no_charges(value: object) -> bool:
    return isinstance(value, RecentCharges) and not value.charges


CUSTOMER: Kind[Customer | None] = Kind("cus", Customer | None, _empty)
"""A customer by id (subscriptions expanded); null for an unknown id (404)."""
BY_EMAIL: Kind[list[Customer]] = Kind("email", list[Customer], _empty)
"""Customer search results for one exact email (lower-cased)."""
BY_EMAIL_LIST: Kind[list[Customer]] = Kind("email-list", list[Customer], _empty)
"""Without Search: the list endpoint's customers for one email as given."""
BY_DOMAIN: Kind[list[Customer]] = Kind("domain", list[Customer], _empty)
"""Customer search results for one email domain."""
CHARGES: Kind[RecentCharges] = Kind("charges", RecentCharges, _no_charges)
"""A customer's newest charges."""
SUBSCRIPTIONS: Kind[list[Subscription]] = Kind("subs", list[Subscription], _empty)
"""All of a customer's subscriptions, ended ones included."""
PRODUCT: Kind[Product | None] = Kind("product", Product | None, _empty)
"""A product by id."""
RECENT_CUSTOMER: Kind[Customer] = Kind("recent", Customer, _empty)
"""A customer as a webhook last told it: overrides search results that may lag behind."""
RECENT_EMAIL: Kind[list[str]] = Kind("recent-email", list[str], _empty)
"""Ids of customers a webhook gave this email, merged into search results for it."""
RECENT_DOMAIN: Kind[list[str]] = Kind("recent-domain", list[str], _empty)
"""Ids of customers a webhook gave an email at this domain."""
