"""`expand[]`: replace ids in a served object with the objects they name.

Paths are dotted as in Stripe (`subscriptions`, `data.subscriptions`,
`subscriptions.data.items.data.price.product`); `data` steps into a list envelope.
A customer's `subscriptions` is computed (its current subscriptions); other expandable
fields are ids of stored objects. Anything else answers Stripe's 400.
"""

from __future__ import annotations

from typing import Any

from fake_stripe import render
from fake_stripe.errors import StripeError
from fake_stripe.store import Store

# (object type, field) -> kind of the object the field's id names.
RELATIONS = {
    ("charge", "customer"): "customer",
    ("subscription", "customer"): "customer",
    ("price", "product"): "product",
    ("product", "default_price"): "price",
    ("subscription_item", "price"): "price",
}
# Fields Stripe can expand but the fake never has objects for: they stay as they are (null).
NULL_EXPANDABLE = frozenset(
    {
        "default_source",
        "test_clock",
        "default_payment_method",
        "latest_invoice",
        "pending_setup_intent",
        "schedule",
        "balance_transaction",
        "payment_intent",
        "invoice",
        "review",
        "on_behalf_of",
        "application",
    }
)


def cannot_expand(path: str) -> StripeError:
    """Stripe's 400 for an expand path it does not allow."""
    return StripeError(400, f"This property cannot be expanded ({path}).", param="expand")


def expand(store: Store, obj: dict[str, Any], path: str) -> None:
    """Expand `path` in place in `obj`, a served object."""
    _expand(store, obj, path.split("."), path)


def _expand(store: Store, obj: Any, steps: list[str], path: str) -> None:
    if not isinstance(obj, dict) or not steps:
        return
    head, rest = steps[0], steps[1:]
    if head == "data" and obj.get("object") == "list":
        for item in obj["data"]:
            _expand(store, item, rest, path)
        return
    kind = obj.get("object")
    if kind == "customer" and head == "subscriptions":
        if obj.get("deleted"):
            return
        obj["subscriptions"] = render.subscriptions_envelope(store, obj["id"])
    elif head not in obj:
        raise cannot_expand(path)
    elif isinstance(obj[head], str):
        target = RELATIONS.get((str(kind), head))
        if target is None:
            if head in NULL_EXPANDABLE:
                return
            raise cannot_expand(path)
        found = store.get(target, obj[head])
        if found is not None:
            obj[head] = (
                render.deleted_stub(obj[head])
                if found.get("deleted")
                else render.render(store, found)
            )
    elif obj[head] is not None and not isinstance(obj[head], dict):
        raise cannot_expand(path)
    _expand(store, obj[head], rest, path)
