"""Benchmark data, generated: Stripe objects for the fake and helpdesk contacts for the gateway.

A "fifty set" is the helpdesk screen of the issue: 20 contacts matched by customer id, 20 by
email (some of them with duplicate customers), 7 by domain and 3 that match nothing. Every
set has its own customers, so each set is cold the first time it is asked for. Customers
have 2 to 12 charges and half of them a live subscription, whose prices name products.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

BASE_TIME = 1_700_000_000
PRODUCTS = [("prod_bench_basic", "Basic"), ("prod_bench_pro", "Pro"), ("prod_bench_team", "Team")]


@dataclass
class Dataset:
    """Stripe objects (the fake's data file) and contacts (for `import-contacts`)."""

    stripe: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            "customers": [],
            "charges": [],
            "subscriptions": [],
            "products": [],
            "prices": [],
        }
    )
    contacts: list[dict[str, Any]] = field(default_factory=list)

    def customer(self, rng: random.Random, cid: str, email: str, created: int) -> None:
        self.stripe["customers"].append(
            {
                "id": cid,
                "object": "customer",
                "email": email,
                "name": f"Customer {cid}",
                "created": created,
                "currency": "usd",
                "metadata": {"source": "benchmark"},
            }
        )
        for n in range(rng.randint(2, 9)):
            amount = rng.choice([900, 1500, 4900, 9900])
            self.stripe["charges"].append(
                {
                    "id": f"ch_{cid[4:]}_{n}",
                    "object": "charge",
                    "customer": cid,
                    "amount": amount,
                    "amount_captured": amount,
                    "currency": "usd",
                    "created": created + 1000 + n * 3600,
                    "status": "succeeded",
                    "paid": True,
                    "payment_method_details": {
                        "type": "card",
                        "card": {
                            "brand": "visa",
                            "last4": "4242",
                            "exp_month": 1,
                            "exp_year": 2031,
                        },
                    },
                }
            )
        if rng.random() < 0.5:
            price = rng.choice(self.stripe["prices"])["id"]
            self.stripe["subscriptions"].append(
                {
                    "id": f"sub_{cid[4:]}",
                    "object": "subscription",
                    "customer": cid,
                    "status": "active",
                    "created": created + 500,
                    "items": {
                        "object": "list",
                        "data": [
                            {
                                "id": f"si_{cid[4:]}",
                                "object": "subscription_item",
                                "price": price,
                                "quantity": 1,
                                "current_period_start": created,
                                "current_period_end": created + 30 * 86400,
                            }
                        ],
                    },
                }
            )


def fifty_set(data: Dataset, rng: random.Random, tag: str) -> None:
    """50 contacts named `<tag>-NN` over customers of their own."""
    t = BASE_TIME
    for i in range(20):
        cid = f"cus_{tag}_id{i:02d}"
        data.customer(rng, cid, f"owner{i}@id-{tag}.example", t + i)
        data.contacts.append(
            {
                "id": f"{tag}-{i:02d}",
                "name": f"{tag}-{i:02d}",
                "email": f"agent{i}@id-{tag}.example",
                "customData": {"stripeCustomerId": cid},
            }
        )
    for i in range(20):
        email = f"buyer{i}@mail-{tag}.example"
        data.customer(rng, f"cus_{tag}_em{i:02d}", email, t + 100 + i)
        if i % 5 == 0:  # a duplicate customer with the same email
            data.customer(rng, f"cus_{tag}_em{i:02d}b", email.upper(), t + 200 + i)
        data.contacts.append(
            {"id": f"{tag}-{20 + i:02d}", "name": f"{tag}-{20 + i:02d}", "email": email}
        )
    for i in range(10):
        domain = f"co{i}-{tag}.example"
        if i < 7:
            data.customer(rng, f"cus_{tag}_dom{i:02d}", f"billing@{domain}", t + 300 + i)
        data.contacts.append(
            {
                "id": f"{tag}-{40 + i:02d}",
                "name": f"{tag}-{40 + i:02d}",
                "email": f"new{i}@{domain}",
            }
        )


def single(data: Dataset, rng: random.Random, tag: str) -> None:
    """One contact `<tag>` matched by customer id."""
    cid = f"cus_{tag}"
    data.customer(rng, cid, f"owner@{tag}.example", BASE_TIME)
    data.contacts.append(
        {
            "id": tag,
            "name": tag,
            "email": f"agent@{tag}.example",
            "customData": {"stripeCustomerId": cid},
        }
    )


def build(*, fifty_sets: int, singles: int, crowd: int, noise: int = 300, seed: int = 7) -> Dataset:
    """Sets `f000`.., single contacts `s000`.., crowd contacts `c000`.. (half by id, half by
    email) and `noise` unrelated customers."""
    rng = random.Random(seed)
    data = Dataset()
    for pid, name in PRODUCTS:
        data.stripe["products"].append({"id": pid, "object": "product", "name": name})
        data.stripe["prices"].append(
            {
                "id": f"price_{pid[5:]}",
                "object": "price",
                "product": pid,
                "currency": "usd",
                "unit_amount": rng.choice([1500, 4900, 9900]),
                "recurring": {"interval": "month", "interval_count": 1},
            }
        )
    for k in range(fifty_sets):
        fifty_set(data, rng, f"f{k:03d}")
    for k in range(singles):
        single(data, rng, f"s{k:03d}")
    for k in range(crowd):
        tag = f"c{k:03d}"
        if k % 2:
            single(data, rng, tag)
        else:
            email = f"crowd{k}@crowd-{tag}.example"
            data.customer(rng, f"cus_{tag}", email, BASE_TIME + k)
            data.contacts.append({"id": tag, "name": tag, "email": email})
    for k in range(noise):
        data.customer(rng, f"cus_noise{k:04d}", f"someone{k}@noise{k % 40}.example", BASE_TIME)
    return data
