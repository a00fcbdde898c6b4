"""Plain typed records that cross layers: built by `stripe_api`, read by `matching` and `schema`.

They are neither Stripe SDK objects nor Strawberry types, so every layer can use them
without importing the others. Amounts are integers in the currency's minor unit, times are
Unix seconds, as Stripe sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LIVE_SUBSCRIPTION_STATUSES = frozenset({"active", "trialing", "past_due"})


@dataclass(frozen=True, slots=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Price:
    id: str
    product_id: str
    currency: str
    unit_amount: int | None = None
    nickname: str | None = None
    recurring_interval: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionItem:
    id: str
    price: Price
    quantity: int | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    customer_id: str
    status: str
    created: int
    livemode: bool = False
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    trial_end: int | None = None
    items: tuple[SubscriptionItem, ...] = ()

    @property
    def is_live(self) -> bool:
        """Active, trialing or past due: the customer is paying or about to."""
        return self.status in LIVE_SUBSCRIPTION_STATUSES

    @property
    def current_period_end(self) -> int | None:
        """Latest period end over the items (the field lives on items in the current API)."""
        ends = [i.current_period_end for i in self.items if i.current_period_end is not None]
        return max(ends) if ends else None


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    created: int = 0
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    currency: str | None = None
    balance: int = 0
    delinquent: bool | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    address: Address | None = None
    livemode: bool = False
    deleted: bool = False
    # Current (not canceled) subscriptions when they came expanded with the customer;
    # None when they were not fetched or Stripe said there were more than it sent.
    subscriptions: tuple[Subscription, ...] | None = None

    @property
    def has_live_subscription(self) -> bool:
        return any(s.is_live for s in self.subscriptions or ())


@dataclass(frozen=True, slots=True)
class PaymentMethodSummary:
    type: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    wallet: str | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    id: str
    customer_id: str | None
    amount: int
    currency: str
    created: int
    status: str
    amount_refunded: int = 0
    paid: bool = False
    refunded: bool = False
    disputed: bool = False
    livemode: bool = False
    description: str | None = None
    failure_message: str | None = None
    receipt_url: str | None = None
    payment_method: PaymentMethodSummary | None = None


@dataclass(frozen=True, slots=True)
class ChargePage:
    """One page of a customer's charges, newest first."""

    charges: tuple[Charge, ...]
    has_more: bool


JsonObject = dict[str, Any]
