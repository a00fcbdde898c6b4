"""Object shapes: Stripe's fixtures give the keys, Stripe's defaults fill what data leaves out.

`NORMALIZERS[kind](obj, now)` turns a partial Stripe object from a data file into one with
exactly the top-level keys of Stripe's fixture of that resource. Missing fields take the
value Stripe itself would give (null, false, `{}` metadata, `[]` lists, a few documented
defaults such as a price's `billing_scheme`), never the fixture's example values.
Unknown keys are dropped with a warning, so the served shape always matches Stripe's.
"""

from __future__ import annotations

import copy
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

logger = logging.getLogger("fake_stripe")

FIXTURES_PATH = Path(__file__).parent / "stripe_fixtures" / "fixtures3.json"

# Free-form or polymorphic objects: given values are kept as they are, never filled in.
_NO_FILL = frozenset({"metadata", "source", "payment_method_details", "fraud_details", "shipping"})

_EMPTY_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}

# Stripe's own defaults for fields whose default is not simply null/false/[].
_DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {
        "balance": 0,
        "delinquent": False,
        "tax_exempt": "none",
        "next_invoice_sequence": 1,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
    },
    "charge": {
        "amount": 0,
        "amount_refunded": 0,
        "currency": "usd",
        "status": "succeeded",
        "fraud_details": {},
        "billing_details": {
            "address": dict(_EMPTY_ADDRESS),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
    },
    "subscription": {
        "status": "active",
        "collection_method": "charge_automatically",
        "cancel_at_period_end": False,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "billing_mode": {"type": "classic"},
    },
    "subscription_item": {"quantity": 1},
    "price": {
        "active": True,
        "billing_scheme": "per_unit",
        "currency": "usd",
        "tax_behavior": "unspecified",
    },
    "product": {"active": True, "type": "service"},
}


@cache
def fixtures() -> dict[str, Any]:
    """Stripe's example objects (`resources.<name>`), loaded once."""
    with FIXTURES_PATH.open(encoding="utf-8") as handle:
        resources: dict[str, Any] = json.load(handle)["resources"]
    return resources


def fixture(name: str) -> dict[str, Any]:
    """A deep copy of Stripe's example `name` object."""
    value: dict[str, Any] = copy.deepcopy(fixtures()[name])
    return value


def fixture_keys(name: str) -> list[str]:
    """The top-level keys of Stripe's example `name` object, in fixture order."""
    return list(fixtures()[name])


def _blank(key: str, example: Any) -> Any:
    """Stripe's default for a field absent from the data: null, false, `{}` or `[]`."""
    if key == "metadata":
        return {}
    if isinstance(example, bool):
        return False
    if isinstance(example, list):
        return []
    return None


def _fill(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` with every key of `template` present, filling nested objects the same way."""
    out: dict[str, Any] = {}
    for key, example in template.items():
        if key not in given:
            out[key] = _blank(key, example)
            continue
        value = given[key]
        if (
            isinstance(value, dict)
            and isinstance(example, dict)
            and example
            and key not in _NO_FILL
        ):
            value = _fill(example, value)
        out[key] = value
    return out


def shape(
    name: str, given: dict[str, Any], defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`given` with exactly the keys of fixture `name`; absent fields take `defaults` or blank."""
    template = fixtures()[name]
    merged = copy.deepcopy(_DEFAULTS.get(name, {}))
    merged.update(copy.deepcopy(defaults or {}))
    merged.update(copy.deepcopy(given))
    unknown = sorted(set(given) - set(template))
    if unknown:
        logger.warning(
            "%s %s: dropping keys Stripe does not send: %s", name, given.get("id"), unknown
        )
    out = _fill(template, merged)
    out["object"] = template["object"]
    if "livemode" in template and out["livemode"] is None:
        out["livemode"] = False
    return out


def ref_id(value: Any) -> Any:
    """An id from either an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def normalize_customer(given: dict[str, Any], now: int) -> dict[str, Any]:
    """A customer with the fixture's keys (a `deleted` one keeps only id, object, deleted)."""
    if given.get("deleted"):
        return {"deleted": True, "id": given["id"], "object": "customer"}
    data = {k: v for k, v in given.items() if k != "subscriptions"}
    return shape("customer", data, {"created": now})


def normalize_charge(given: dict[str, Any], now: int) -> dict[str, Any]:
    """A charge; `paid`, `captured`, `amount_captured`, `refunds` follow from the data."""
    data = dict(given)
    data["customer"] = ref_id(data.get("customer"))
    status = data.get("status", "succeeded")
    amount = int(data.get("amount", 0))
    data.setdefault("paid", status == "succeeded")
    data.setdefault("captured", status == "succeeded")
    data.setdefault("amount_captured", amount if data["captured"] else 0)
    if data.get("refunded") and "amount_refunded" not in data:
        data["amount_refunded"] = amount
    data.setdefault(
        "refunds",
        {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/charges/{data['id']}/refunds",
        },
    )
    return shape("charge", data, {"created": now})


def normalize_price(given: dict[str, Any], now: int) -> dict[str, Any]:
    """A price; `type` and `unit_amount_decimal` follow from `recurring` and `unit_amount`."""
    data = dict(given)
    data["product"] = ref_id(data.get("product"))
    recurring = data.get("recurring")
    if isinstance(recurring, dict):
        data["recurring"] = {
            "interval": recurring.get("interval", "month"),
            "interval_count": recurring.get("interval_count", 1),
            "meter": recurring.get("meter"),
            "usage_type": recurring.get("usage_type", "licensed"),
            "trial_period_days": recurring.get("trial_period_days"),
        }
    data.setdefault("type", "recurring" if isinstance(recurring, dict) else "one_time")
    if data.get("unit_amount") is not None:
        data.setdefault("unit_amount_decimal", str(data["unit_amount"]))
    return shape("price", data, {"created": now})


def normalize_product(given: dict[str, Any], now: int) -> dict[str, Any]:
    """A product; `updated` defaults to `created`."""
    data = dict(given)
    data["default_price"] = ref_id(data.get("default_price"))
    created = data.get("created", now)
    return shape("product", data, {"created": created, "updated": created})


def normalize_subscription(given: dict[str, Any], now: int) -> dict[str, Any]:
    """A subscription whose `items` is a list of item dicts with `price` as an id or object.

    `current_period_start`/`current_period_end` given on the subscription (older API
    versions) move onto its items, where the current API keeps them.
    """
    data = dict(given)
    data["customer"] = ref_id(data.get("customer"))
    created = data.get("created", now)
    data.setdefault("created", created)
    data.setdefault("start_date", created)
    data.setdefault("billing_cycle_anchor", created)
    period = {k: data.pop(k) for k in ("current_period_start", "current_period_end") if k in data}
    raw_items = data.pop("items", [])
    if isinstance(raw_items, dict):
        raw_items = raw_items.get("data", [])
    items = []
    for index, raw in enumerate(raw_items):
        item = dict(raw) if isinstance(raw, dict) else {"price": raw}
        item.setdefault("id", f"si_{str(data['id']).removeprefix('sub_')}_{index}")
        item.setdefault("created", created)
        item.setdefault("current_period_start", period.get("current_period_start", created))
        item.setdefault("current_period_end", period.get("current_period_end"))
        items.append(item)
    shaped = shape("subscription", data, {"created": created})
    shaped["items"] = items
    return shaped


def shape_item(item: dict[str, Any], subscription_id: str, price: dict[str, Any]) -> dict[str, Any]:
    """A subscription item with the fixture's keys, its price expanded and plan derived."""
    data = dict(item)
    data["price"] = price
    data["subscription"] = subscription_id
    data["plan"] = plan_from_price(price)
    if data.get("current_period_end") is None:
        data["current_period_end"] = period_end(data.get("current_period_start"), price)
    return shape("subscription_item", data)


def plan_from_price(price: dict[str, Any]) -> dict[str, Any] | None:
    """The legacy `plan` Stripe derives from a recurring price (null for one-time prices)."""
    recurring = price.get("recurring")
    if not isinstance(recurring, dict):
        return None
    plan = {
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "id": price["id"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": price["livemode"],
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "object": "plan",
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type"),
    }
    template = fixtures()["subscription_item"]["plan"]
    return {key: plan.get(key) for key in template}


_INTERVAL_SECONDS = {"day": 86_400, "week": 604_800, "month": 2_592_000, "year": 31_536_000}


def period_end(start: Any, price: dict[str, Any]) -> int | None:
    """A period end one billing interval after `start` (30-day months, 365-day years)."""
    recurring = price.get("recurring")
    if not isinstance(start, int) or not isinstance(recurring, dict):
        return None
    seconds = _INTERVAL_SECONDS.get(str(recurring.get("interval")), 2_592_000)
    return start + seconds * int(recurring.get("interval_count") or 1)


NORMALIZERS = {
    "customer": normalize_customer,
    "charge": normalize_charge,
    "subscription": normalize_subscription,
    "product": normalize_product,
    "price": normalize_price,
}
