"""Turn Stripe objects (as plain dicts, from `StripeObject.to_dict()`) into records."""

from __future__ import annotations

from typing import Any

from stripe_gateway.records import (
    Address,
    Charge,
    Customer,
    PaymentMethodSummary,
    Price,
    Product,
    Subscription,
    SubscriptionItem,
)

Obj = dict[str, Any]


def _id_of(value: Any) -> str | None:
    """An expandable field holds an id or the expanded object."""
    if isinstance(value, dict):
        return str(value["id"])
    return str(value) if value is not None else None


def address(data: Obj | None) -> Address | None:
    if not data:
        return None
    return Address(
        line1=data.get("line1"),
        line2=data.get("line2"),
        city=data.get("city"),
        state=data.get("state"),
        postal_code=data.get("postal_code"),
        country=data.get("country"),
    )


def price(data: Obj) -> Price:
    recurring = data.get("recurring") or {}
    return Price(
        id=data["id"],
        product_id=_id_of(data.get("product")) or "",
        currency=data.get("currency") or "",
        unit_amount=data.get("unit_amount"),
        nickname=data.get("nickname"),
        recurring_interval=recurring.get("interval"),
    )


def product(data: Obj) -> Product:
    return Product(id=data["id"], name=data.get("name"))


def subscription(data: Obj) -> Subscription:
    items = (data.get("items") or {}).get("data") or []
    return Subscription(
        id=data["id"],
        customer_id=_id_of(data.get("customer")) or "",
        status=data.get("status") or "",
        created=data.get("created") or 0,
        livemode=bool(data.get("livemode")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        cancel_at=data.get("cancel_at"),
        canceled_at=data.get("canceled_at"),
        ended_at=data.get("ended_at"),
        trial_end=data.get("trial_end"),
        items=tuple(
            SubscriptionItem(
                id=item["id"],
                price=price(item["price"]),
                quantity=item.get("quantity"),
                current_period_start=item.get("current_period_start"),
                current_period_end=item.get("current_period_end"),
            )
            for item in items
        ),
    )


def customer(data: Obj) -> Customer:
    """A customer, or a deleted stub (`deleted: true`) with only its id."""
    if data.get("deleted"):
        return Customer(id=data["id"], deleted=True)
    subscriptions: tuple[Subscription, ...] | None = None
    expanded = data.get("subscriptions")
    if isinstance(expanded, dict) and not expanded.get("has_more"):
        subscriptions = tuple(subscription(s) for s in expanded.get("data") or [])
    return Customer(
        id=data["id"],
        created=data.get("created") or 0,
        email=data.get("email"),
        name=data.get("name"),
        phone=data.get("phone"),
        description=data.get("description"),
        currency=data.get("currency"),
        balance=data.get("balance") or 0,
        delinquent=data.get("delinquent"),
        metadata=dict(data.get("metadata") or {}),
        address=address(data.get("address")),
        livemode=bool(data.get("livemode")),
        subscriptions=subscriptions,
    )


def _payment_method(details: Obj | None) -> PaymentMethodSummary | None:
    if not details or not details.get("type"):
        return None
    kind = details["type"]
    specific = details.get(kind) or {}
    wallet = specific.get("wallet") or {}
    return PaymentMethodSummary(
        type=kind,
        brand=specific.get("brand"),
        last4=specific.get("last4"),
        exp_month=specific.get("exp_month"),
        exp_year=specific.get("exp_year"),
        wallet=wallet.get("type") if isinstance(wallet, dict) else None,
    )


def charge(data: Obj) -> Charge:
    return Charge(
        id=data["id"],
        customer_id=_id_of(data.get("customer")),
        amount=data.get("amount") or 0,
        currency=data.get("currency") or "",
        created=data.get("created") or 0,
        status=data.get("status") or "",
        amount_refunded=data.get("amount_refunded") or 0,
        paid=bool(data.get("paid")),
        refunded=bool(data.get("refunded")),
        disputed=bool(data.get("disputed")),
        livemode=bool(data.get("livemode")),
        description=data.get("description"),
        failure_message=data.get("failure_message"),
        receipt_url=data.get("receipt_url"),
        payment_method=_payment_method(data.get("payment_method_details")),
    )
