"""Stored objects as Stripe serves them: copies, with subscription items built on the way out.

A subscription's `items` becomes Stripe's list envelope of subscription items, each with
its price expanded (looked up in the store when the data named it by id) and the legacy
`plan` derived from that price, so a later change to a price shows in every subscription.
"""

from __future__ import annotations

import copy
from typing import Any

from fake_stripe import shapes
from fake_stripe.store import Store

# Statuses of subscriptions Stripe no longer counts as the customer's current ones.
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
EMBEDDED_LIST_LIMIT = 10


def deleted_stub(object_id: str) -> dict[str, Any]:
    """What Stripe answers for a deleted customer."""
    return {"deleted": True, "id": object_id, "object": "customer"}


def render(store: Store, obj: dict[str, Any]) -> dict[str, Any]:
    """A stored object as Stripe sends it (a fresh copy the caller may change)."""
    if obj.get("object") == "subscription":
        return render_subscription(store, obj)
    return copy.deepcopy(obj)


def resolve_price(store: Store, price: Any) -> dict[str, Any]:
    """A subscription item's price as a full price object, from an id or a (partial) object."""
    price_id = shapes.ref_id(price)
    stored = store.get("price", price_id) if isinstance(price_id, str) else None
    if stored is not None:
        return copy.deepcopy(stored)
    given = price if isinstance(price, dict) else {"id": price_id}
    return shapes.normalize_price(given, 0)


def render_subscription(store: Store, sub: dict[str, Any]) -> dict[str, Any]:
    """A subscription with Stripe's items envelope of fully shaped subscription items."""
    out = copy.deepcopy(sub)
    items = []
    for item in sub["items"]:
        price = resolve_price(store, item.get("price"))
        items.append(shapes.shape_item(item, sub["id"], price))
    if out.get("currency") is None:
        out["currency"] = items[0]["price"]["currency"] if items else "usd"
    out["items"] = {
        "data": items,
        "has_more": False,
        "object": "list",
        "url": f"/v1/subscription_items?subscription={sub['id']}",
    }
    return out


def current_subscriptions(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """A customer's subscriptions that have not ended, newest first, stored form."""
    found = store.select(
        "subscription",
        lambda e: (
            e.obj.get("customer") == customer_id and e.obj.get("status") not in ENDED_STATUSES
        ),
    )
    return [entry.obj for entry in found]


def subscriptions_envelope(store: Store, customer_id: str) -> dict[str, Any]:
    """The list envelope `expand[]=subscriptions` puts on a customer (first 10, has_more)."""
    subs = current_subscriptions(store, customer_id)
    return {
        "object": "list",
        "data": [render_subscription(store, sub) for sub in subs[:EMBEDDED_LIST_LIMIT]],
        "has_more": len(subs) > EMBEDDED_LIST_LIMIT,
        "url": f"/v1/customers/{customer_id}/subscriptions",
    }
