"""A small data set for the fake's tests: every case the endpoints distinguish."""

from __future__ import annotations

from typing import Any

T0 = 1_750_000_000
KEY = "sk_test_fake0000abcd"


def sample_data() -> dict[str, Any]:
    """Customers, subscriptions in every status, charges, products and prices."""
    customers: list[dict[str, Any]] = [
        {
            "id": "cus_ada",
            "email": "Ada@Lovelace.example",
            "name": "Ada Lovelace",
            "phone": "+15550001",
            "created": T0 + 100,
            "metadata": {"tier": "Gold"},
            "address": {"city": "London", "country": "GB"},
        },
        {"id": "cus_ada_lower", "email": "ada@lovelace.example", "created": T0 + 90},
        {
            "id": "cus_obrien",
            "email": "o'brien@acme.com",
            "name": "Pat O'Brien",
            "created": T0 + 80,
        },
        {"id": "cus_quote", "email": 'weird"quote@acme.com', "created": T0 + 70},
        {"id": "cus_back", "email": "back\\slash@acme.com", "created": T0 + 60},
        {"id": "cus_gone", "deleted": True},
        {"id": "cus_many_subs", "email": "many@subs.example", "created": T0 + 50},
        {"id": "cus_jpy", "email": "kenji@sakura.example", "currency": "jpy", "created": T0 + 40},
    ]
    customers += [
        {"id": f"cus_bulk{i:02d}", "email": f"user{i}@bulk.example", "created": T0 + i}
        for i in range(15)
    ]
    statuses = ["active", "trialing", "past_due", "canceled", "incomplete_expired", "unpaid"]
    subscriptions: list[dict[str, Any]] = [
        {
            "id": f"sub_ada_{status}",
            "customer": "cus_ada",
            "status": status,
            "created": T0 + 200 + n,
            "items": [{"price": "price_pro", "quantity": 2}],
        }
        for n, status in enumerate(statuses)
    ]
    subscriptions.append(
        {
            "id": "sub_jpy",
            "customer": "cus_jpy",
            "status": "active",
            "created": T0 + 300,
            "current_period_start": T0 + 300,
            "current_period_end": T0 + 400,
            "items": [
                {
                    "id": "si_jpy",
                    "price": {
                        "id": "price_yen",
                        "product": {"id": "prod_tea", "name": "Tea club"},
                        "currency": "jpy",
                        "unit_amount": 1500,
                        "recurring": {"interval": "month"},
                    },
                }
            ],
        }
    )
    subscriptions += [
        {
            "id": f"sub_many{i:02d}",
            "customer": "cus_many_subs",
            "created": T0 + i,
            "items": [{"price": "price_pro"}],
        }
        for i in range(12)
    ]
    charges: list[dict[str, Any]] = [
        {"id": "ch_ada_ok", "customer": "cus_ada", "amount": 2000, "created": T0 + 10},
        {
            "id": "ch_ada_failed",
            "customer": "cus_ada",
            "amount": 2000,
            "status": "failed",
            "created": T0 + 20,
        },
        {
            "id": "ch_ada_refunded",
            "customer": "cus_ada",
            "amount": 500,
            "refunded": True,
            "created": T0 + 30,
        },
        {"id": "ch_jpy", "customer": "cus_jpy", "amount": 1500, "currency": "jpy", "created": T0},
    ]
    charges += [
        {"id": f"ch_bulk{i:02d}", "customer": "cus_bulk00", "amount": 100 + i, "created": T0 + i}
        for i in range(5)
    ]
    products = [
        {"id": "prod_pro", "name": "Pro", "created": T0},
        {"id": "prod_basic", "name": "Basic", "created": T0 + 1},
        {"id": "prod_old", "name": "Old", "active": False, "created": T0 + 2},
    ]
    prices = [
        {
            "id": "price_pro",
            "product": "prod_pro",
            "unit_amount": 2000,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "created": T0,
        },
        {"id": "price_once", "product": "prod_basic", "unit_amount": 500, "created": T0},
    ]
    return {
        "customers": customers,
        "subscriptions": subscriptions,
        "charges": charges,
        "products": products,
        "prices": prices,
        "contacts": [{"ignored": "unknown top-level keys are ignored"}],
    }
